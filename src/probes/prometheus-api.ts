/**
 * Prometheus's own view of its targets, read from its HTTP API: `--prometheus-url` (offline too), or in
 * cluster mode through the API server's service proxy to the operator's governing service
 * `prometheus-operated` (port `web`), else the pod proxy of a Prometheus pod on 9090 (CONTRACT.md).
 *
 * Read: /api/v1/targets?state=any (active and dropped), /api/v1/status/config (the loaded jobs and
 * their tls_config), /api/v1/scrape_pools (Prometheus ≥ 2.42; a 404 is fine) and Prometheus's own
 * /metrics for prometheus_target_scrape_pools_failed_total. The last two tell a pool that failed to
 * build (TLS files missing at start: no pool, nothing dropped) from a job whose discovery found nothing.
 * Every request has the --timeout; whatever cannot be read is recorded in the view, never thrown, so
 * that PROMETHEUS_API_UNREACHABLE is a warning and the rest of the run goes on.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { oneLine } from '../core/errors.js';
import { Interner } from '../core/intern.js';
import { parseWithArrays } from '../core/json-arrays.js';
import { mapLimit } from '../core/limit.js';
import type { DoctorOptions } from '../core/options.js';
import { isOffline } from '../core/options.js';
import { Unavailable, type Providers, type ResourceStore } from '../core/resources.js';
import type { PrometheusPod } from '../model/inventory.js';
import type { KubeAccess } from '../model/kube-access.js';
import type { KubeObject } from '../model/k8s.js';
import { nameOf, namespaceOf } from '../model/k8s.js';
import { alloyListenAddress, readAlloyView } from './alloy-api.js';

export interface ActiveTarget {
  scrapePool: string;
  scrapeUrl: string;
  health: string;
  lastError: string;
  lastScrape?: string;
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
}

export interface DroppedTarget {
  /** Prometheus ≥ 2.49 names it; older ones leave only the `job` discovered label */
  scrapePool?: string;
  discoveredLabels: Record<string, string>;
}

/** A job of the loaded configuration, with the TLS files it reads. */
export interface ScrapeJob {
  name: string;
  scheme?: string;
  tlsFiles: { caFile?: string; certFile?: string; keyFile?: string };
  insecureSkipVerify?: boolean;
}

export interface UnreadablePart {
  /** the API path, or '' when nothing at all answered */
  path: string;
  reason: string;
}

export interface PrometheusView {
  /** where it was read from, for messages: a URL (credentials removed) or the proxy route */
  source: string;
  /** the Prometheus resource or pod it belongs to (cluster mode) */
  prometheus?: KubeObject;
  /** the program whose view it is, when not Prometheus (vmagent's targets API, Alloy's components) */
  scraper?: 'vmagent' | 'Alloy';
  activeTargets?: ActiveTarget[];
  droppedTargets?: DroppedTarget[];
  jobs?: ScrapeJob[];
  /** the loaded configuration's YAML, as /api/v1/status/config gives it */
  configYaml?: string;
  /** names of the pools Prometheus built; undefined when this Prometheus cannot list them */
  scrapePools?: string[];
  /** prometheus_target_scrape_pools_failed_total, when Prometheus's /metrics could be read */
  scrapePoolsFailed?: number;
  /** the required parts (targets, config) that could not be read */
  unreadable: UnreadablePart[];
}

declare module '../model/inventory.js' {
  interface ResourceMap {
    /** one per Prometheus whose HTTP API was asked (`--prometheus-url`: exactly one) */
    prometheusViews: PrometheusView[];
  }
}

const TARGETS_PATH = '/api/v1/targets?state=any';
const CONFIG_PATH = '/api/v1/status/config';
const SCRAPE_POOLS_PATH = '/api/v1/scrape_pools';
const METRICS_PATH = '/metrics';

/** Answers larger than this are hostile or broken; a large cluster's targets list stays well below. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface ApiResponse {
  status: number;
  body: string;
  /** the body as received, when the getter kept it (read instead of `body` for the targets answer) */
  bytes?: Uint8Array;
}
/** One GET against a Prometheus, by path (with query); throws on transport failure or timeout. */
export type ApiGet = (path: string) => Promise<ApiResponse>;

/** A failure to read one part of the API, with its reason in the user's terms. */
class ApiError extends Error {
  override readonly name = 'ApiError';
}

/** Reads every part of the view concurrently; a part that fails is recorded, never thrown. */
export async function readPrometheusView(get: ApiGet, source: string, prometheus?: KubeObject): Promise<PrometheusView> {
  const view: PrometheusView = { source, unreadable: [] };
  if (prometheus) view.prometheus = prometheus;
  const attempt = async (path: string, use: (data: unknown) => void, arrays?: ItemArrays) => {
    try {
      use(await getData(get, path, arrays));
    } catch (error) {
      view.unreadable.push({ path, reason: oneLine(error) });
    }
  };
  const targets = targetsReader();
  await Promise.all([
    attempt(TARGETS_PATH, (data) => Object.assign(view, targets.read(data)), targets.arrays),
    attempt(CONFIG_PATH, (data) => {
      view.jobs = parseConfigJobs(data);
      if (isRecord(data) && typeof data.yaml === 'string') view.configYaml = data.yaml;
    }),
    // Optional parts (a 404 before Prometheus 2.42, a hostile answer): their absence only makes the evidence less certain.
    getData(get, SCRAPE_POOLS_PATH).then((data) => {
      view.scrapePools = parseScrapePools(data);
    }).catch(() => undefined),
    get(METRICS_PATH).then((r) => {
      if (r.status === 200) view.scrapePoolsFailed = parseCounter(r.body, 'prometheus_target_scrape_pools_failed_total');
    }).catch(() => undefined),
  ]);
  // When nothing answered, say it once for the whole API rather than per path.
  const required = [TARGETS_PATH, CONFIG_PATH];
  if (view.unreadable.length === required.length && new Set(view.unreadable.map((u) => u.reason)).size === 1) {
    view.unreadable = [{ path: '', reason: view.unreadable[0]!.reason }];
  }
  return view;
}

/** Arrays of an answer read item by item (see parseWithArrays). */
interface ItemArrays {
  paths: readonly (readonly string[])[];
  each: (path: number, item: unknown) => void;
}

/** GET and unwrap Prometheus's `{status, data}` envelope. */
async function getData(get: ApiGet, path: string, arrays?: ItemArrays): Promise<unknown> {
  const response = await get(path);
  if (response.status !== 200) {
    const detail = errorOfEnvelope(response.body) ?? snippet(response.body);
    throw new ApiError(`HTTP ${response.status}${detail ? `: ${detail}` : ''}`);
  }
  let envelope: unknown;
  try {
    envelope = arrays ? parseWithArrays(response.bytes ?? response.body, arrays.paths, arrays.each) : JSON.parse(response.body);
  } catch {
    throw new ApiError(`the answer is not JSON${response.body ? ` (starts with ${JSON.stringify(snippet(response.body, 40))})` : ' (empty)'}`);
  }
  if (!isRecord(envelope) || envelope.status !== 'success' || !('data' in envelope)) {
    throw new ApiError(errorOfEnvelope(response.body) ?? 'the answer is not a Prometheus API response');
  }
  return envelope.data;
}

function errorOfEnvelope(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && parsed.status === 'error') return [str(parsed.errorType), str(parsed.error)].filter(Boolean).join(': ') || 'error';
  } catch {
    // not JSON: the caller shows a snippet instead
  }
  return undefined;
}

/**
 * The targets answer, read as it is parsed: each target of `data.activeTargets` and
 * `data.droppedTargets` becomes what the checks read as soon as its text is parsed (tens of
 * thousands of targets never exist whole as parsed JSON), and `read` then checks the envelope.
 */
function targetsReader(): { arrays: ItemArrays; read: (data: unknown) => { activeTargets: ActiveTarget[]; droppedTargets: DroppedTarget[] } } {
  // tens of thousands of targets repeat their pools, jobs, namespaces, ports and health: one copy of each string
  const interner = new Interner();
  const text = (v: unknown) => interner.string(str(v));
  const labels = (v: unknown) => Object.fromEntries(Object.entries(labelsOf(v)).map(([k, value]) => [k, interner.string(value)]));
  const active = (t: Record<string, unknown>): ActiveTarget => {
    const target: ActiveTarget = {
      scrapePool: text(t.scrapePool) || labelsOf(t.labels).job || '',
      scrapeUrl: text(t.scrapeUrl),
      health: text(t.health),
      lastError: text(t.lastError),
      discoveredLabels: labels(t.discoveredLabels),
      labels: labels(t.labels),
    };
    if (str(t.lastScrape)) target.lastScrape = text(t.lastScrape);
    return target;
  };
  const dropped = (t: Record<string, unknown>): DroppedTarget => {
    const target: DroppedTarget = { discoveredLabels: labels(t.discoveredLabels) };
    if (str(t.scrapePool)) target.scrapePool = text(t.scrapePool);
    return target;
  };
  const activeTargets: ActiveTarget[] = [];
  const droppedTargets: DroppedTarget[] = [];
  return {
    arrays: {
      paths: [['data', 'activeTargets'], ['data', 'droppedTargets']],
      each: (path, item) => {
        if (!isRecord(item)) return;
        if (path === 0) activeTargets.push(active(item));
        else droppedTargets.push(dropped(item));
      },
    },
    read: (data) => {
      if (!isRecord(data) || !Array.isArray(data.activeTargets)) throw new ApiError('the targets answer has no activeTargets list');
      return { activeTargets, droppedTargets };
    },
  };
}

/** The jobs of the loaded configuration (data.yaml), with their TLS files. */
function parseConfigJobs(data: unknown): ScrapeJob[] {
  if (!isRecord(data) || typeof data.yaml !== 'string') throw new ApiError('the config answer has no yaml');
  let config: unknown;
  try {
    config = parseYaml(data.yaml, { maxAliasCount: 100, logLevel: 'error' });
  } catch (error) {
    throw new ApiError(`the loaded configuration is not YAML: ${oneLine(error)}`);
  }
  const scrapeConfigs = isRecord(config) && Array.isArray(config.scrape_configs) ? config.scrape_configs : [];
  return scrapeConfigs.filter(isRecord).filter((j) => str(j.job_name)).map((j): ScrapeJob => {
    const tls = isRecord(j.tls_config) ? j.tls_config : {};
    const job: ScrapeJob = { name: str(j.job_name), tlsFiles: {} };
    if (str(j.scheme)) job.scheme = str(j.scheme);
    if (str(tls.ca_file)) job.tlsFiles.caFile = str(tls.ca_file);
    if (str(tls.cert_file)) job.tlsFiles.certFile = str(tls.cert_file);
    if (str(tls.key_file)) job.tlsFiles.keyFile = str(tls.key_file);
    if (typeof tls.insecure_skip_verify === 'boolean') job.insecureSkipVerify = tls.insecure_skip_verify;
    return job;
  });
}

function parseScrapePools(data: unknown): string[] {
  if (!isRecord(data) || !Array.isArray(data.scrapePools)) throw new ApiError('the scrape pools answer has no scrapePools list');
  return data.scrapePools.filter((p): p is string => typeof p === 'string');
}

/** The value of an unlabelled counter in the Prometheus text format, if present. */
export function parseCounter(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{\\})?\\s+(\\S+)`, 'm').exec(text);
  const value = m ? Number(m[1]) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The operators' job names, `<prefix>/<ns>/<name>/<i>`: Prometheus Operator's `serviceMonitor/` and
 * `podMonitor/`, the VictoriaMetrics operator's `serviceScrape/` and `podScrape/` (its VMServiceScrape
 * and VMPodScrape, converted ServiceMonitors and PodMonitors included).
 */
const JOB_PREFIX = { ServiceMonitor: 'serviceMonitor', PodMonitor: 'podMonitor', VMServiceScrape: 'serviceScrape', VMPodScrape: 'podScrape' } as const;

export interface MonitorRef {
  kind: keyof typeof JOB_PREFIX;
  namespace: string;
  name: string;
  endpoint: number;
}

const KIND_OF_PREFIX = new Map<string, MonitorRef['kind']>(Object.entries(JOB_PREFIX).map(([kind, prefix]) => [prefix, kind as MonitorRef['kind']]));
const OPERATOR_JOB = new RegExp(`^(${[...KIND_OF_PREFIX.keys()].join('|')})/([^/]+)/([^/]+)/(\\d+)$`);

export function monitorOfJob(job: string): MonitorRef | undefined {
  const m = OPERATOR_JOB.exec(job);
  if (!m) return undefined;
  return { kind: KIND_OF_PREFIX.get(m[1]!)!, namespace: m[2]!, name: m[3]!, endpoint: Number(m[4]) };
}

export function jobOfMonitor(ref: MonitorRef): string {
  return `${JOB_PREFIX[ref.kind]}/${ref.namespace}/${ref.name}/${ref.endpoint}`;
}

// ── Reaching the API ─────────────────────────────────────────────────────────────────────────────

/**
 * GETs relative to a base URL (which may carry a path prefix and user:password), with the timeout
 * over the whole exchange and a cap on the size of the answer. node:http rather than fetch, which
 * refuses some ports outright and hides the reason of a failure.
 */
export function urlGetter(baseUrl: string, timeoutMs: number): ApiGet {
  const base = new URL(baseUrl);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (base.username || base.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  const client = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return (path) => new Promise<ApiResponse>((resolve, reject) => {
    const url = new URL(base);
    const [pathname, query] = path.split('?');
    url.pathname = `${prefix}${pathname}`;
    url.search = query ? `?${query}` : '';
    const fail = (reason: string) => {
      request.destroy();
      reject(new ApiError(reason));
    };
    const request = client(url, { headers, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) fail(`the answer is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
        else chunks.push(chunk);
      });
      response.on('end', () => {
        const bytes = Buffer.concat(chunks);
        chunks.length = 0;
        let text: string | undefined;
        // the text only when asked for: the targets answer is read from its bytes
        resolve({ status: response.statusCode ?? 0, bytes, get body() { return (text ??= bytes.toString('utf8')); } });
      });
      response.on('error', (error) => fail(describeRequestError(error, timeoutMs)));
    });
    request.on('error', (error) => fail(describeRequestError(error, timeoutMs)));
    request.end();
  });
}

function describeRequestError(error: Error, timeoutMs: number): string {
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = (error as { code?: string }).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : oneLine(error);
}

/** The URL as shown in messages: without user:password. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

type ProxyTarget = Parameters<KubeAccess['proxyGet']>[0];

function proxyGetter(kube: KubeAccess, target: ProxyTarget, prefix: string, timeoutMs: number): ApiGet {
  return (path) => kube.proxyGet(target, `${prefix}${path}`, { timeoutMs });
}

function describeProxy(target: ProxyTarget): string {
  const what = target.service ? `services/${target.service}:${target.port}` : `pods/${target.pod}:${target.port}`;
  return `/api/v1/namespaces/${target.namespace}/${what}/proxy`;
}

/**
 * Cluster mode: one view per Prometheus resource (through prometheus-operated when it is the only
 * resource of its namespace, since that service spans them all; else or on failure, the pod proxy),
 * and one per Prometheus pod that no operator manages.
 */
async function clusterViews(kube: KubeAccess, pods: readonly PrometheusPod[], options: Pick<DoctorOptions, 'timeoutMs' | 'concurrency'>): Promise<PrometheusView[]> {
  const { timeoutMs } = options;
  const byOwner = new Map<string, PrometheusPod[]>();
  for (const pod of pods) {
    const owner = pod.resource ? `${pod.resource.kind}/${namespaceOf(pod.resource)}/${nameOf(pod.resource)}` : `Pod/${pod.namespace}/${nameOf(pod.pod)}`;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), pod]);
  }
  const resourcesPerNamespace = new Map<string, number>();
  for (const group of byOwner.values()) {
    const key = `${group[0]!.resource?.kind}/${group[0]!.namespace}`;
    if (group[0]!.resource) resourcesPerNamespace.set(key, (resourcesPerNamespace.get(key) ?? 0) + 1);
  }
  // Each view makes four API calls at once: keep the total within --concurrency.
  return mapLimit([...byOwner.values()], Math.max(1, Math.floor(options.concurrency / 4)), async (group) => {
    const first = group[0]!;
    const owner = first.resource ?? first.subject;
    const prefix = routePrefixOf(first);
    // vmagent serves the Prometheus-compatible /api/v1/targets on its own port (its container's `http`, 8429 by default)
    const vmagentPort = () => first.pod.spec?.containers?.find((c) => c.name === first.prometheusContainer)?.ports?.find((p) => p.name === 'http')?.containerPort ?? 8429;
    const podTarget: ProxyTarget = { namespace: first.namespace, pod: nameOf(first.pod), port: first.scraper?.kind === 'VMAgent' ? vmagentPort() : 9090 };
    if (first.resource && resourcesPerNamespace.get(`${first.resource.kind}/${first.namespace}`) === 1) {
      // The operator's governing service: prometheus-operated, or prometheus-agent-operated for PrometheusAgents.
      const service = first.resource.kind === 'PrometheusAgent' ? 'prometheus-agent-operated' : 'prometheus-operated';
      const serviceTarget: ProxyTarget = { namespace: first.namespace, service, port: 'web' };
      const viaService = await readPrometheusView(proxyGetter(kube, serviceTarget, prefix, timeoutMs), describeProxy(serviceTarget), owner);
      if (!viaService.unreadable.some((u) => u.path === '' || u.path === TARGETS_PATH)) return viaService;
    }
    const view = await readPrometheusView(proxyGetter(kube, podTarget, prefix, timeoutMs), describeProxy(podTarget), owner);
    return first.scraper?.kind === 'VMAgent' ? { ...view, scraper: 'vmagent' } : view;
  });
}

/** The operator serves the API under spec.routePrefix when one is set. */
function routePrefixOf(pod: PrometheusPod): string {
  const prefix = pod.resource?.spec?.routePrefix;
  return typeof prefix === 'string' ? prefix.replace(/\/+$/, '') : '';
}

export async function readPrometheusViews(options: DoctorOptions, store: ResourceStore): Promise<PrometheusView[]> {
  if (options.prometheusUrl) {
    return [await readPrometheusView(urlGetter(options.prometheusUrl, options.timeoutMs), displayUrl(options.prometheusUrl))];
  }
  if (isOffline(options)) throw new Unavailable("Prometheus's own view needs --prometheus-url when offline");
  const [kube, all] = await Promise.all([store.require('kube'), store.require('prometheusPods')]);
  // Alloy: its UI's component API (src/probes/alloy-api.ts), on its running pods whose API is not loopback-only.
  // The OpenTelemetry Collector serves no targets API: its receiver sends up/scrape_* down its pipeline.
  const pods = all.filter((p) => p.scraper?.kind !== 'Alloy' && p.scraper?.kind !== 'OpenTelemetryCollector');
  const alloys = all.filter((p) => p.scraper?.kind === 'Alloy' && p.admitted && nameOf(p.pod))
    .map((p) => ({ pod: p, listen: alloyListenAddress(p.pod.spec?.containers?.find((c) => c.name === p.prometheusContainer)) }));
  const reachable = alloys.filter((a) => !a.listen.loopback);
  if (!pods.length && !reachable.length) throw new Unavailable(unreadableScrapersReason(all, alloys));
  const perView = Math.max(1, Math.floor(options.concurrency / 4));
  const [prometheusViews, alloyViews] = await Promise.all([
    pods.length ? clusterViews(kube, pods, options) : [],
    mapLimit(reachable, perView, ({ pod, listen }) => {
      const target: ProxyTarget = { namespace: pod.namespace, pod: nameOf(pod.pod), port: listen.port };
      return readAlloyView(proxyGetter(kube, target, '', options.timeoutMs), describeProxy(target), pod.subject);
    }),
  ]);
  return [...prometheusViews, ...alloyViews];
}

/** Why no scraper's own view can be read: each kind found, and what keeps its view out of reach. */
function unreadableScrapersReason(all: readonly PrometheusPod[], alloys: readonly { pod: PrometheusPod; listen: { flag: string } }[]): string {
  const reasons: string[] = [];
  if (alloys.length) {
    reasons.push(`Alloy serves its API on ${alloys[0]!.listen.flag}, loopback only: the API server's pod proxy cannot reach it (the Helm chart's --server.http.listen-addr=0.0.0.0:12345 can be)`);
  } else if (all.some((p) => p.scraper?.kind === 'Alloy')) {
    reasons.push('no running Alloy pod was found to ask');
  }
  if (all.some((p) => p.scraper?.kind === 'OpenTelemetryCollector')) {
    reasons.push('the OpenTelemetry Collector serves no targets API (its prometheus receiver sends up and scrape_* series down its pipeline and logs failures without their reason)');
  }
  return reasons.join('; ') || 'no scraper with a readable API was found';
}

export function prometheusApiProviders(options: DoctorOptions, store: ResourceStore): Providers {
  return { prometheusViews: () => readPrometheusViews(options, store) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function labelsOf(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function snippet(body: string, max = 120): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
