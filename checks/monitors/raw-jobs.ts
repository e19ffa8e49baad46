/**
 * Raw scrape jobs (`scrape_configs`) as the monitors.* checks read them: each job's targets from
 * Kubernetes discovery over the inventory and the job's relabelling, with the scheme, address and
 * path left after relabelling, and the workload (and Service port) each target stands for. The
 * per-endpoint judgements of the monitor checks run on these the same way as on monitor endpoints.
 */
import type { CheckContext } from '../../src/core/check.js';
import type { TargetWorkload } from '../../src/model/inventory.js';
import type { KubeObject, Service, ServicePort } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { discoverKubernetes, resolveTargetPort, sdNamespaces } from '../../src/model/kubernetes-sd.js';
import { sidecarVerdict } from '../../src/model/mtls.js';
import { populateTarget, portOfAddress, splitHostPort } from '../../src/model/relabel.js';
import type { ScrapeTls } from '../../src/model/scrape-config.js';
import type { ScrapeJobEntry } from '../../src/sources/raw-scrape-configs.js';
import { exposingServicePort, workloadsOfService } from './scrape-targets.js';

export interface RawJobTarget {
  scheme: 'http' | 'https';
  address: string;
  metricsPath: string;
  /** the workload the target reaches, when relabelling left its pod's address in place */
  workload?: TargetWorkload;
  port?: number;
  service?: Service;
  servicePort?: ServicePort;
}

export interface ResolvedRawJob {
  entry: ScrapeJobEntry;
  /** `job "NAME"`, as findings name the endpoint */
  label: string;
  targets: RawJobTarget[];
  /** the schemes the job's targets use after relabelling (the job's own when nothing was discovered) */
  schemes: Set<'http' | 'https'>;
  /** namespaces discovery looks in; `all` for any kubernetes_sd_config without namespaces */
  namespaces: string[] | 'all';
  /** discovery this model cannot follow: other SD mechanisms, static targets, node/ingress roles, another API server */
  opaque: boolean;
  /** how many targets Kubernetes discovery gave the relabelling */
  discovered: number;
}

/** Raw jobs, or none when no raw configuration could be read (monitor checks still run). */
export async function loadRawJobs(ctx: CheckContext): Promise<ScrapeJobEntry[]> {
  return ((await ctx.tryGet('scrapeConfigs')) ?? []).flatMap((s) => s.jobs);
}

const asScheme = (s: string): 'http' | 'https' => (s.toLowerCase() === 'https' ? 'https' : 'http');

/** The job's targets over the Services and workloads given (each may be unknown: then no target). */
export function resolveRawJob(entry: ScrapeJobEntry, services: readonly Service[] | undefined, workloads: readonly TargetWorkload[] | undefined, namespaces: readonly KubeObject[] | undefined): ResolvedRawJob {
  const { job } = entry;
  const ownNamespace = entry.scraper?.namespace;
  const targets: RawJobTarget[] = [];
  const seen = new Set<string>();
  let discoveredCount = 0;
  const scopes = job.kubernetesSd.map((sd) => sdNamespaces(sd, ownNamespace));
  const inventory = { workloads: workloads ?? [], services: services ?? [], namespaces };
  for (const sd of job.kubernetesSd) {
    if (sd.apiServer) continue;
    const found = discoverKubernetes(sd, ownNamespace, inventory);
    discoveredCount += found.length;
    for (const discovered of found) {
      const result = populateTarget(discovered.labels, { jobName: job.name, scheme: job.scheme, metricsPath: job.metricsPath, scrapeInterval: job.scrapeInterval, scrapeTimeout: job.scrapeTimeout, params: job.params }, job.relabelConfigs);
      if ('dropped' in result || 'error' in result) continue;
      const key = JSON.stringify(result.publicLabels) + result.address;
      if (seen.has(key)) continue;
      seen.add(key);
      const port = portOfAddress(result.address);
      const target: RawJobTarget = { scheme: asScheme(result.scheme), address: result.address, metricsPath: result.metricsPath, port };
      // a port means the address splits into host and port
      if (discovered.workload && port !== undefined && splitHostPort(result.address)!.host === discovered.podIp) {
        target.workload = discovered.workload;
        Object.assign(target, discovered.servicePort && resolveTargetPort(discovered.workload.template, discovered.servicePort) === port
          ? { service: discovered.service!, servicePort: discovered.servicePort }
          : exposingServicePort(discovered.workload, port, services ?? []));
      } else if (discovered.service && discovered.labels.__address__ === result.address) {
        // role service, address untouched: the scrape reaches the Service's pods through its port
        // (still one target, toward the Service, when none of its pods is among the inputs)
        const backing = workloadsOfService(discovered.service, workloads ?? []);
        for (const w of backing) {
          const p = resolveTargetPort(w.template, discovered.servicePort!);
          targets.push({ ...target, workload: w, ...(p !== undefined ? { port: p } : {}), service: discovered.service, servicePort: discovered.servicePort! });
        }
        if (backing.length) continue;
      }
      targets.push(target);
    }
  }
  const schemes = new Set(targets.map((t) => t.scheme));
  if (!schemes.size) schemes.add(asScheme(job.scheme));
  return {
    entry, label: `job "${job.name}"`, targets, schemes,
    namespaces: scopes.includes('all') ? 'all' : [...new Set(scopes.flat())],
    opaque: job.otherSd.length > 0 || job.staticTargets.length > 0 || job.kubernetesSd.some((sd) => sd.apiServer || sd.role === 'node' || sd.role === 'ingress'),
    discovered: discoveredCount,
  };
}

const byIdentity = <T extends { object?: KubeObject } | KubeObject>(items: T[], key: (t: T) => KubeObject): T[] =>
  [...new Map(items.map((t) => [`${key(t).kind}/${namespaceOf(key(t))}/${nameOf(key(t))}`, t])).values()];

/** Every raw job resolved over what the check may read (live, with the pods and Services the jobs watch). */
export async function resolveRawJobs(ctx: CheckContext): Promise<ResolvedRawJob[]> {
  const entries = await loadRawJobs(ctx);
  if (!entries.length) return [];
  const [services, workloads, namespaces, watched] = await Promise.all([ctx.tryGet('services'), ctx.tryGet('workloads'), ctx.tryGet('namespaces'), ctx.tryGet('rawJobTargets')]);
  const allServices = watched ? byIdentity([...(services ?? []), ...watched.services], (s) => s) : services;
  const allWorkloads = watched ? byIdentity([...(workloads ?? []), ...watched.workloads], (w) => w.object) : workloads;
  return entries.map((e) => resolveRawJob(e, allServices, allWorkloads, namespaces));
}

const CERT_FILE_NAMES = /(^|\/)(root-cert|cert-chain|key)\.pem$/;

/**
 * Whether a raw https job is meant to use Istio's certificates: its targets are workloads with a
 * sidecar, or its TLS files are the sidecar's. Jobs toward the API server or kubelets (their own CA,
 * a service-account token) are not the recipe's and are left alone.
 */
export function usesMeshTls(job: ResolvedRawJob, namespaces: readonly KubeObject[] | undefined): boolean {
  const tls: ScrapeTls | undefined = job.entry.job.tls;
  if ([tls?.caFile, tls?.certFile, tls?.keyFile].some((f) => typeof f === 'string' && CERT_FILE_NAMES.test(f))) return true;
  return job.targets.some((t) => t.scheme === 'https' && t.workload && sidecarVerdict(t.workload.object, t.workload.template, namespaces?.find((n) => nameOf(n) === t.workload!.namespace)).sidecar === true);
}

/** The subject and evidence of a finding about a raw job. */
export function rawJobTarget(job: ResolvedRawJob, evidence: Record<string, unknown> = {}) {
  return { subject: job.entry.subject, evidence: { source: job.entry.source, ...evidence } };
}
