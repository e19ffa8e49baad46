/**
 * prometheus-api.targets-down beyond the HTTP stand-in of test/prometheus-api.test.ts: the views are
 * given to the runner through a store, beside stand-ins for the checks that ran before, so that each
 * rule of the check shows: the subject and endpoint of a down target, the scheme its lastError is
 * read with, which prior findings bear on it (same endpoint, pod or monitor; Prometheus's own pod and
 * files) and in what order, and which codes explain it.
 */
import { describe, expect, it } from 'vitest';
import { prometheusApiChecks } from '../../checks/prometheus-api/index.js';
import { defineCheck, type Check } from '../../src/core/check.js';
import type { Code } from '../../src/core/codes.js';
import { ResourceStore } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { Category, Evidence, Finding, Subject } from '../../src/core/types.js';
import type { KubeObject } from '../../src/model/k8s.js';
import type { ActiveTarget, PrometheusView } from '../../src/probes/prometheus-api.js';

const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 10_000 };

/** A finding a check of another category made before: `check` is its id (`<category>.<name>`). */
interface Prior { check: string; code: Code; subject: Subject; args?: object; evidence?: Evidence }

/** Stand-ins for the checks that run before targets-down, one per check id, reporting what they are given. */
function standIns(priors: readonly Prior[], passing: { id: string; codes: Code[] }[] = []): Check[] {
  const ids = [...new Set(priors.map((p) => p.check))];
  return [
    ...ids.map((id) => {
      const mine = priors.filter((p) => p.check === id);
      return defineCheck({
        id, title: `stands in for ${id}`, category: id.split('.')[0] as Category, codes: [...new Set(mine.map((p) => p.code))], needs: [],
        run(ctx) {
          for (const p of mine) ctx.report(p.code, (p.args ?? {}) as never, { subject: p.subject, ...(p.evidence ? { evidence: p.evidence } : {}) });
        },
      });
    }),
    ...passing.map(({ id, codes }) => defineCheck({ id, title: `stands in for ${id}`, category: id.split('.')[0] as Category, codes, needs: [], run() {} })),
  ];
}

const view = (over: Partial<PrometheusView> = {}): PrometheusView => ({ source: 'http://prometheus.test:9090', unreadable: [], activeTargets: [], jobs: [], ...over });

/** A down target of the operator's job for ServiceMonitor apps/web, on pod apps/web-7d9f, as Prometheus's targets API gives it. */
function down(over: Partial<ActiveTarget> = {}): ActiveTarget {
  return {
    scrapePool: 'serviceMonitor/apps/web/0', scrapeUrl: 'https://10.0.0.7:8443/metrics', health: 'down',
    lastError: 'Get "https://10.0.0.7:8443/metrics": remote error: tls: unknown certificate authority',
    discoveredLabels: { __address__: '10.0.0.7:8443', __meta_kubernetes_namespace: 'apps', __meta_kubernetes_pod_name: 'web-7d9f', job: 'serviceMonitor/apps/web/0' },
    labels: { instance: '10.0.0.7:8443', job: 'serviceMonitor/apps/web/0', namespace: 'apps', pod: 'web-7d9f' },
    ...over,
  };
}

async function run(views: PrometheusView[], checks: Check[] = [], store = new ResourceStore()): Promise<{ findings: Finding[]; targetsDown: Finding[] }> {
  store.provide({ prometheusViews: () => views });
  const { findings, checks: results } = await runChecks([...prometheusApiChecks, ...checks], store, RUN);
  expect(results.filter((c) => c.status === 'crash')).toEqual([]);
  return { findings, targetsDown: findings.filter((f) => f.code === 'TARGET_DOWN') };
}

async function one(target: ActiveTarget, priors: Prior[] = [], v: Partial<PrometheusView> = {}): Promise<Finding> {
  const { targetsDown } = await run([view({ activeTargets: [target], ...v })], standIns(priors));
  expect(targetsDown).toHaveLength(1);
  return targetsDown[0]!;
}

const WEB: Subject = { kind: 'ServiceMonitor', namespace: 'apps', name: 'web' };
const SIDECAR = { cause: 'inject-false', namespace: 'apps' };
const PROM_POD: Subject = { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0' };

describe('the down target, as the finding names it', () => {
  it('a pod target: the pod and the endpoint, the scraper, the pool, the lastError, the monitor and the last scrape', async () => {
    const f = await one(down({ lastScrape: '2026-12-06T10:00:00.123Z' }));
    expect(f.subject).toEqual({ kind: 'Pod', namespace: 'apps', name: 'web-7d9f', endpoint: '10.0.0.7:8443' });
    expect(f.message).toBe('Prometheus reports the target down in serviceMonitor/apps/web/0: Get "https://10.0.0.7:8443/metrics": remote error: tls: unknown certificate authority');
    expect(f.evidence).toEqual({
      scraper: 'Prometheus', scrapePool: 'serviceMonitor/apps/web/0',
      lastError: 'Get "https://10.0.0.7:8443/metrics": remote error: tls: unknown certificate authority',
      causes: ['ROOT_MISMATCH', 'CHAIN_BROKEN', 'CLIENT_CERT_REJECTED'], explainedBy: [], possibleCauses: ['ROOT_MISMATCH', 'CHAIN_BROKEN', 'CLIENT_CERT_REJECTED'],
      scrapeUrl: 'https://10.0.0.7:8443/metrics', prometheus: 'http://prometheus.test:9090',
      monitor: 'ServiceMonitor apps/web endpoints[0]', lastScrape: '2026-12-06T10:00:00.123Z',
    });
  });

  it('a target of another scraper, with no lastError given, belonging to a Prometheus resource', async () => {
    const prometheus: KubeObject = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s', namespace: 'monitoring' } };
    const f = await one(down({ lastError: '' }), [], { scraper: 'vmagent', prometheus });
    expect(f.message).toBe('vmagent reports the target down in serviceMonitor/apps/web/0: (none given)');
    expect(f.evidence).toMatchObject({ scraper: 'vmagent', lastError: '(none given)', causes: [], prometheus: 'Prometheus monitoring/k8s' });
    expect(f.evidence).not.toHaveProperty('lastScrape');
  });

  it('a target that is no pod (a Service endpoint outside any pod: a namespace but no pod name): the target, by the scheme\'s default port', async () => {
    const noPod = { __address__: 'web.apps.svc', __meta_kubernetes_namespace: 'apps', job: 'web' };
    const https = await one(down({ scrapePool: 'web', scrapeUrl: 'https://web.apps.svc/metrics', discoveredLabels: noPod }));
    expect(https.subject).toEqual({ kind: 'Target', endpoint: 'web.apps.svc:443' });
    expect(https.evidence).not.toHaveProperty('monitor');
    const http = await one(down({ scrapePool: 'web', scrapeUrl: 'http://web.apps.svc/metrics', lastError: 'Get "http://web.apps.svc/metrics": EOF', discoveredLabels: noPod }));
    expect(http.subject).toEqual({ kind: 'Target', endpoint: 'web.apps.svc:80' });
    // a pod name without a namespace names no pod either
    const nameOnly = await one(down({ discoveredLabels: { __address__: '10.0.0.7:8443', __meta_kubernetes_pod_name: 'web-7d9f' } }));
    expect(nameOnly.subject).toEqual({ kind: 'Target', endpoint: '10.0.0.7:8443' });
  });

  it('without a scrape URL (Alloy leaves it out): the discovered address, else the instance label', async () => {
    const alloy = await one(down({ scrapeUrl: '', discoveredLabels: {}, labels: { instance: '10.0.0.9:8443' } }));
    expect(alloy.subject).toEqual({ kind: 'Target', endpoint: '10.0.0.9:8443' });
    const discovered = await one(down({ scrapeUrl: '', discoveredLabels: { __address__: '10.0.0.7:8443' }, labels: { instance: 'web-7d9f' } }));
    expect(discovered.subject).toEqual({ kind: 'Target', endpoint: '10.0.0.7:8443' });
  });
});

describe('the scheme the lastError is read with', () => {
  // A body cut by a reset: Prometheus reports the read error without the `Get "<url>": ` prefix, so only
  // the scrape URL says whether the scrape was https (a refused client certificate) or http (STRICT mTLS).
  const RESET = 'read tcp 10.0.1.4:43210->10.0.0.7:8443: read: connection reset by peer';

  it('https: the refusals of a TLS client', async () => {
    const f = await one(down({ lastError: RESET }));
    expect(f.evidence.causes).toEqual(['SCRAPE_CONNECTION_CLOSED', 'CLIENT_CERT_REJECTED', 'CERT_EXPIRED']);
  });

  it('http: plain text toward a sidecar that demands mTLS', async () => {
    const f = await one(down({ scrapeUrl: 'http://10.0.0.7:8443/metrics', lastError: RESET }));
    expect(f.evidence.causes).toEqual(['MONITOR_SCHEME_HTTP_ON_STRICT', 'SCRAPE_CONNECTION_CLOSED']);
  });

  it('unknown (Alloy gave no URL): every reading', async () => {
    const f = await one(down({ scrapeUrl: '', lastError: RESET }));
    expect(f.evidence.causes).toEqual(['SCRAPE_CONNECTION_CLOSED', 'CLIENT_CERT_REJECTED', 'CERT_EXPIRED', 'MONITOR_SCHEME_HTTP_ON_STRICT']);
  });
});

describe('which prior findings bear on it', () => {
  const related = async (target: ActiveTarget, priors: Prior[]) => (await one(target, priors)).evidence.relatedFindings;

  it('same endpoint, same pod, same monitor: related; another pod, namespace, kind or monitor: not', async () => {
    expect(await related(down(), [
      { check: 'targets.probe', code: 'CLIENT_CERT_REJECTED', subject: { kind: 'Target', endpoint: '10.0.0.7:8443' }, args: { alert: 'unknown_ca' } },
      { check: 'prometheus.pod', code: 'SIDECAR_NOT_INJECTED', subject: { kind: 'Pod', namespace: 'apps', name: 'web-7d9f' }, args: SIDECAR },
      { check: 'monitors.verify', code: 'MONITOR_VERIFY_SPIFFE', subject: WEB, args: { endpoint: 'endpoints[0]' } },
      // none of these is about this target
      { check: 'prometheus.other-pod', code: 'SIDECAR_NOT_INJECTED', subject: { kind: 'Pod', namespace: 'apps', name: 'db-0' }, args: SIDECAR },
      { check: 'prometheus.other-namespace', code: 'SIDECAR_NOT_INJECTED', subject: { kind: 'Pod', namespace: 'shop', name: 'web-7d9f' }, args: SIDECAR },
      { check: 'monitors.other-kind', code: 'MONITOR_VERIFY_SPIFFE', subject: { kind: 'Deployment', namespace: 'apps', name: 'web-7d9f' } },
      { check: 'monitors.pod-monitor', code: 'MONITOR_VERIFY_SPIFFE', subject: { kind: 'PodMonitor', namespace: 'apps', name: 'web' } },
      { check: 'monitors.other-monitor', code: 'MONITOR_VERIFY_SPIFFE', subject: { ...WEB, name: 'db' } },
      { check: 'monitors.other-namespace', code: 'MONITOR_VERIFY_SPIFFE', subject: { ...WEB, namespace: 'shop' } },
      { check: 'targets.other-endpoint', code: 'CLIENT_CERT_REJECTED', subject: { kind: 'Target', endpoint: '10.0.0.8:8443' }, args: { alert: 'unknown_ca' } },
    ])).toEqual(['CLIENT_CERT_REJECTED (targets.probe)', 'SIDECAR_NOT_INJECTED (prometheus.pod)', 'MONITOR_VERIFY_SPIFFE (monitors.verify)']);
  });

  it('a target of no pod and no monitor: only what is about its endpoint', async () => {
    const plain = down({ scrapePool: 'kubernetes-pods', discoveredLabels: { __address__: '10.0.0.7:8443', job: 'kubernetes-pods' } });
    expect(await related(plain, [
      { check: 'targets.probe', code: 'CLIENT_CERT_REJECTED', subject: { kind: 'Target', endpoint: '10.0.0.7:8443' }, args: { alert: 'unknown_ca' } },
      { check: 'prometheus.other-pod', code: 'SIDECAR_NOT_INJECTED', subject: { kind: 'Pod', namespace: 'apps', name: 'web-7d9f' }, args: SIDECAR },
      { check: 'monitors.verify', code: 'MONITOR_VERIFY_SPIFFE', subject: WEB, args: { endpoint: 'endpoints[0]' } },
    ])).toEqual(['CLIENT_CERT_REJECTED (targets.probe)']);
  });

  it('an info finding on the same target bears on nothing', async () => {
    const f = await one(down(), [
      { check: 'targets.probe', code: 'TARGET_OK', subject: { kind: 'Target', endpoint: '10.0.0.7:8443' }, args: { status: 200, samples: 3 } },
    ]);
    expect(f.evidence).not.toHaveProperty('relatedFindings');
    expect(f.evidence.explainedBy).toEqual([]);
  });

  it("Prometheus's own pod and files, when the classifier names their code; a monitor elsewhere or an unnamed code, not", async () => {
    const f = await one(down({ lastError: 'Get "https://10.0.0.7:8443/metrics": remote error: tls: expired certificate' }), [
      { check: 'certs.validity', code: 'CERT_EXPIRED', subject: { kind: 'File', path: '/etc/prom-certs/cert-chain.pem' }, args: { certificate: 'cert-chain.pem', notAfter: '2026-12-01' } },
      { check: 'prometheus.startup', code: 'CERT_NOT_ROTATED', subject: PROM_POD, args: { usedPercent: 120, notAfter: '2026-12-01' } },
      // named by the classifier, but about another monitor: not Prometheus-wide
      { check: 'monitors.elsewhere', code: 'CLIENT_CERT_REJECTED', subject: { ...WEB, name: 'db' }, args: { alert: 'x' } },
      // Prometheus-wide, but not named by the classifier
      { check: 'prometheus.mounts', code: 'CERTS_NOT_MOUNTED', subject: PROM_POD, args: { volume: 'istio-certs', container: 'prometheus' } },
    ]);
    expect(f.evidence.relatedFindings).toEqual(['CERT_EXPIRED (certs.validity)', 'CERT_NOT_ROTATED (prometheus.startup)']);
    expect(f.evidence.explainedBy).toEqual(['CERT_EXPIRED', 'CERT_NOT_ROTATED']);
    expect(f.evidence.possibleCauses).toEqual(['CLIENT_CERT_REJECTED']);
  });

  it('most telling first: named on the target by the classifier\'s rank, then Prometheus-wide by rank, then the rest on the target', async () => {
    const f = await one(down({ lastError: 'Get "https://10.0.0.7:8443/metrics": remote error: tls: bad certificate' }), [
      // causes, by rank: ROOT_MISMATCH, CERT_EXPIRED, CHAIN_BROKEN, CLIENT_CERT_REJECTED
      { check: 'targets.unnamed', code: 'SIDECAR_NOT_INJECTED', subject: { kind: 'Pod', namespace: 'apps', name: 'web-7d9f' }, args: SIDECAR },
      { check: 'certs.chain', code: 'CHAIN_BROKEN', subject: PROM_POD, args: { reason: 'x' } },
      { check: 'certs.root', code: 'ROOT_MISMATCH', subject: PROM_POD, args: { meshRoot: 'x' } },
      { check: 'targets.probe', code: 'CLIENT_CERT_REJECTED', subject: { kind: 'Target', endpoint: '10.0.0.7:8443' }, args: { alert: 'bad_certificate' } },
      { check: 'monitors.expired', code: 'CERT_EXPIRED', subject: WEB, args: { certificate: 'x', notAfter: 'y' } },
    ]);
    expect(f.evidence.relatedFindings).toEqual([
      'CERT_EXPIRED (monitors.expired)', 'CLIENT_CERT_REJECTED (targets.probe)',
      'ROOT_MISMATCH (certs.root)', 'CHAIN_BROKEN (certs.chain)',
      'SIDECAR_NOT_INJECTED (targets.unnamed)',
    ]);
    expect(f.evidence.explainedBy).toEqual(['CERT_EXPIRED', 'CLIENT_CERT_REJECTED', 'ROOT_MISMATCH', 'CHAIN_BROKEN', 'SIDECAR_NOT_INJECTED']);
    expect(f.hint).toBe('Explained by CERT_EXPIRED, CLIENT_CERT_REJECTED, ROOT_MISMATCH, CHAIN_BROKEN, SIDECAR_NOT_INJECTED, found in this run (see their findings and docs).');
  });
});

describe('explainedBy', () => {
  it("a related finding's own explainers come first, only those found in this run as warnings or errors", async () => {
    const f = await one(down(), [
      { check: 'certs.root', code: 'ROOT_MISMATCH', subject: { kind: 'File', path: '/etc/istio-certs/root-cert.pem' }, args: { meshRoot: 'x' } },
      { check: 'prometheus.inbound', code: 'INBOUND_CAPTURED', subject: { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0' }, args: { value: null } },
      {
        check: 'targets.probe', code: 'CLIENT_CERT_REJECTED', subject: { kind: 'Target', endpoint: '10.0.0.7:8443' }, args: { alert: 'unknown_ca' },
        // INBOUND_CAPTURED is only info here; CERT_EXPIRED was not found; 42 is no code
        evidence: { explainedBy: ['INBOUND_CAPTURED', 'CERT_EXPIRED', 42, 'ROOT_MISMATCH'] },
      },
    ]);
    expect(f.evidence.explainedBy).toEqual(['ROOT_MISMATCH', 'CLIENT_CERT_REJECTED']);
    expect(f.evidence.possibleCauses).toEqual(['CHAIN_BROKEN']);
  });

  it('a passing check rules its codes out of possibleCauses; a failing one does not', async () => {
    const { targetsDown } = await run([view({ activeTargets: [down()] })], standIns(
      [{ check: 'certs.other', code: 'CHAIN_BROKEN', subject: { kind: 'File', path: '/tmp/other.pem' }, args: { reason: 'x' } }],
      [{ id: 'certs.root', codes: ['ROOT_MISMATCH'] }],
    ));
    // CHAIN_BROKEN about another file is Prometheus-wide (certs category, named by the classifier)
    expect(targetsDown[0]!.evidence).toMatchObject({ explainedBy: ['CHAIN_BROKEN'], possibleCauses: ['CLIENT_CERT_REJECTED'] });
  });
});

describe('which views are judged', () => {
  it('no view at all: skipped, saying no Prometheus could be asked', async () => {
    const store = new ResourceStore({ prometheusViews: () => [] });
    const { checks } = await runChecks(prometheusApiChecks, store, RUN);
    expect(checks.map((c) => [c.id, c.status, c.skipReason])).toEqual([
      ['prometheus-api.reachable', 'pass', undefined],
      ['prometheus-api.targets-down', 'skip', 'no running Prometheus pod whose HTTP API could be asked'],
      ['prometheus-api.scrape-pools', 'skip', 'no running Prometheus pod whose HTTP API could be asked'],
    ]);
  });

  it('an unreadable view is reported on its Prometheus (or its URL) and left out; the readable one is judged', async () => {
    const prometheus: KubeObject = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s', namespace: 'monitoring' } };
    const store = new ResourceStore();
    store.locations.set(prometheus, { file: 'prom.yaml', line: 3 });
    const { findings } = await run([
      view({ prometheus, source: '/api/v1/namespaces/monitoring/services/prometheus-operated:web/proxy', activeTargets: undefined, unreadable: [{ path: '/api/v1/targets?state=any', reason: 'HTTP 503: no endpoints available for service' }] }),
      view({ source: 'http://127.0.0.1:9090', jobs: undefined, unreadable: [{ path: '/api/v1/status/config', reason: 'HTTP 500: internal: boom' }] }),
      view({ activeTargets: [down()] }),
    ], [], store);
    expect(findings.map((f) => [f.code, f.subject, f.evidence.url])).toEqual([
      ['PROMETHEUS_API_UNREACHABLE', { kind: 'Prometheus', namespace: 'monitoring', name: 'k8s', file: 'prom.yaml', line: 3 }, '/api/v1/namespaces/monitoring/services/prometheus-operated:web/proxy/api/v1/targets?state=any'],
      ['PROMETHEUS_API_UNREACHABLE', { kind: 'PrometheusAPI', name: 'http://127.0.0.1:9090' }, 'http://127.0.0.1:9090/api/v1/status/config'],
      ['TARGET_DOWN', { kind: 'Pod', namespace: 'apps', name: 'web-7d9f', endpoint: '10.0.0.7:8443' }, undefined],
    ]);
    expect(findings[1]!.message).toBe("Prometheus's HTTP API at http://127.0.0.1:9090/api/v1/status/config could not be read: HTTP 500: internal: boom");
  });
});
