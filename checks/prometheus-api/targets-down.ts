import { defineCheck, type CheckContext } from '../../src/core/check.js';
import type { Code } from '../../src/core/codes.js';
import { categoryOfCheckId } from '../../src/core/runner.js';
import type { Finding, Subject } from '../../src/core/types.js';
import { classifyLastError, type Scheme } from '../../src/probes/classify.js';
import { monitorOfJob, type ActiveTarget, type MonitorRef } from '../../src/probes/prometheus-api.js';
import { readableViews, scraperName, viewLabel } from './subjects.js';

/**
 * Every target Prometheus reports down, with the codes that explain its lastError: those the doctor
 * itself found in this run for the same target (its endpoint, pod or monitor) or for Prometheus's
 * own pod and files (`explainedBy`); the classifier's other candidates are `possibleCauses`, minus
 * those a passing check ruled out.
 */
export default defineCheck({
  id: 'prometheus-api.targets-down',
  title: 'Prometheus reports every target up',
  category: 'prometheus-api',
  codes: ['TARGET_DOWN'],
  needs: ['prometheusViews'],
  after: ['prometheus', 'monitors', 'certs', 'targets'],
  async run(ctx) {
    for (const view of readableViews(await ctx.get('prometheusViews'), 'activeTargets')) {
      for (const target of view.activeTargets) {
        if (target.health !== 'down') continue;
        const endpoint = endpointOf(target);
        const pod = podOf(target);
        const monitor = monitorOfJob(target.scrapePool);
        const causes = classifyLastError(target.lastError, schemeOf(target.scrapeUrl)).map((c) => c.code);
        const related = relatedFindings(ctx, { endpoint, pod, monitor }, causes);
        // Only what this run found explains it; the classifier's other candidates stay possible,
        // unless a check that would have reported them ran and passed.
        const explainedBy = explainingCodes(ctx, related);
        const ruledOut = ruledOutCodes(ctx);
        const possibleCauses = causes.filter((code) => !explainedBy.includes(code) && !ruledOut.has(code));
        const subject: Subject = pod ? { kind: 'Pod', ...pod, endpoint } : { kind: 'Target', endpoint };
        ctx.report('TARGET_DOWN', { scraper: scraperName(view), scrapePool: target.scrapePool, lastError: target.lastError || '(none given)', causes, explainedBy, possibleCauses }, {
          subject,
          evidence: {
            scrapeUrl: target.scrapeUrl,
            prometheus: viewLabel(view),
            ...(monitor ? { monitor: `${monitor.kind} ${monitor.namespace}/${monitor.name} endpoints[${monitor.endpoint}]` } : {}),
            ...(target.lastScrape ? { lastScrape: target.lastScrape } : {}),
            ...(related.length ? { relatedFindings: unique(related.map((f) => `${f.code} (${f.check})`)) } : {}),
          },
        });
      }
    }
  },
});

/** `host:port` of the scrape URL (the scheme's default port when it names none); else the instance label. */
function endpointOf(target: ActiveTarget): string {
  try {
    const url = new URL(target.scrapeUrl);
    return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return target.discoveredLabels.__address__ ?? target.labels.instance ?? target.scrapeUrl;
  }
}

function schemeOf(scrapeUrl: string): Scheme | undefined {
  if (scrapeUrl.startsWith('https://')) return 'https';
  if (scrapeUrl.startsWith('http://')) return 'http';
  return undefined;
}

function podOf(target: ActiveTarget): { namespace: string; name: string } | undefined {
  const namespace = target.discoveredLabels.__meta_kubernetes_namespace;
  const name = target.discoveredLabels.__meta_kubernetes_pod_name;
  return namespace && name ? { namespace, name } : undefined;
}

interface TargetIdentity {
  endpoint: string;
  pod?: { namespace: string; name: string };
  monitor?: MonitorRef;
}

/**
 * The doctor's warnings and errors that bear on this target, most telling first: about the same
 * target (endpoint, pod, monitor) and named by the classifier; about Prometheus's own pod or files
 * and named by the classifier; about the same target but not named by it.
 */
function relatedFindings(ctx: CheckContext, target: TargetIdentity, causes: readonly Code[]): Finding[] {
  const rank = (f: Finding) => (causes.includes(f.code as Code) ? causes.indexOf(f.code as Code) : causes.length);
  const prior = ctx.priorFindings().filter((f) => f.severity !== 'info');
  const sameTarget = prior.filter((f) => isAbout(f.subject, target));
  const prometheusWide = prior.filter((f) => {
    const category = categoryOfCheckId(f.check);
    return (category === 'prometheus' || category === 'certs') && causes.includes(f.code as Code) && !sameTarget.includes(f);
  });
  const byRank = (list: Finding[]) => [...list].sort((a, b) => rank(a) - rank(b));
  const named = byRank(sameTarget.filter((f) => causes.includes(f.code as Code)));
  const unnamed = sameTarget.filter((f) => !causes.includes(f.code as Code));
  return [...named, ...byRank(prometheusWide), ...unnamed];
}

function isAbout(subject: Subject, target: TargetIdentity): boolean {
  if (subject.endpoint === target.endpoint) return true;
  const same = (ns: string, name: string) => subject.namespace === ns && subject.name === name;
  if (target.pod && subject.kind === 'Pod' && same(target.pod.namespace, target.pod.name)) return true;
  return target.monitor !== undefined && subject.kind === target.monitor.kind && same(target.monitor.namespace, target.monitor.name);
}

/**
 * The codes of the related findings, each preceded by the codes that explain it in turn (a probe's
 * CLIENT_CERT_REJECTED explained by ROOT_MISMATCH): the root cause first, and only codes found in this run.
 */
function explainingCodes(ctx: CheckContext, related: readonly Finding[]): string[] {
  const found = new Set(ctx.priorFindings().filter((f) => f.severity !== 'info').map((f) => f.code));
  return unique(related.flatMap((f) => {
    const deeper = Array.isArray(f.evidence.explainedBy) ? f.evidence.explainedBy.filter((c): c is string => typeof c === 'string' && found.has(c as Code)) : [];
    return [...deeper, f.code];
  }));
}

/** Codes a check that ran and passed would have reported: they are not the cause. */
function ruledOutCodes(ctx: CheckContext): Set<Code> {
  return new Set(ctx.priorChecks().filter((c) => c.status === 'pass').flatMap((c) => c.codes));
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
