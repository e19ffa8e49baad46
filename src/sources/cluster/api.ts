/**
 * A small read-only client for the Kubernetes API: GETs and paginated lists of raw JSON, with a
 * timeout on every call, the run's --deadline, a --concurrency limit, and the failure semantics
 * CONTRACT.md promises. Authentication and TLS come from client-node's KubeConfig.
 *
 * Why not client-node's generated CoreV1Api & co: they deserialise into model classes (Dates,
 * unknown fields dropped) while the checks read objects as manifests state them, and they offer no
 * per-call timeout. Raw JSON keeps the live inventory the same shape as the offline one.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { Semaphore } from '../../core/limit.js';
import type { KubeObject } from '../../model/k8s.js';
import { ListPageParser } from './list-stream.js';

/**
 * Items per page of a list. Larger than kubectl's 500: lists are already narrowed on the server
 * (selectors), a page of a few thousand pods is a few MB, and a clusters' worth of target pods
 * should cost one request, not one per 500 pods. Pagination still bounds what one response holds.
 */
export const PAGE_SIZE = 5000;

/** The largest answer read from the API server. */
const MAX_ANSWER_BYTES = 256 << 20;

/** The API server cannot be used at all: not reachable, or it refuses our credentials. */
export class ClusterUnreachable extends Error {
  override readonly name = 'ClusterUnreachable';
}

/** The API answered with an error status for one request (403, 404, 5xx, …). */
export class ApiStatusError extends Error {
  override readonly name: string = 'ApiStatusError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A 2xx whose JSON is cut short (a torn answer): asked again, as a 5xx is. */
export class TornAnswer extends ApiStatusError {
  override readonly name: string = 'TornAnswer';
}

/** The run's --deadline passed before the call could finish. */
export class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

export interface ApiResource {
  /** '' for the core group */
  group: string;
  version: string;
  /** the plural resource name as in URLs and RBAC rules */
  plural: string;
  kind: string;
}

export const RESOURCES = {
  prometheuses: { group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheuses', kind: 'Prometheus' },
  prometheusAgents: { group: 'monitoring.coreos.com', version: 'v1alpha1', plural: 'prometheusagents', kind: 'PrometheusAgent' },
  serviceMonitors: { group: 'monitoring.coreos.com', version: 'v1', plural: 'servicemonitors', kind: 'ServiceMonitor' },
  podMonitors: { group: 'monitoring.coreos.com', version: 'v1', plural: 'podmonitors', kind: 'PodMonitor' },
  vmAgents: { group: 'operator.victoriametrics.com', version: 'v1beta1', plural: 'vmagents', kind: 'VMAgent' },
  vmServiceScrapes: { group: 'operator.victoriametrics.com', version: 'v1beta1', plural: 'vmservicescrapes', kind: 'VMServiceScrape' },
  vmPodScrapes: { group: 'operator.victoriametrics.com', version: 'v1beta1', plural: 'vmpodscrapes', kind: 'VMPodScrape' },
  otelCollectors: { group: 'opentelemetry.io', version: 'v1beta1', plural: 'opentelemetrycollectors', kind: 'OpenTelemetryCollector' },
  otelCollectorsV1alpha1: { group: 'opentelemetry.io', version: 'v1alpha1', plural: 'opentelemetrycollectors', kind: 'OpenTelemetryCollector' },
  scrapeConfigs: { group: 'monitoring.coreos.com', version: 'v1alpha1', plural: 'scrapeconfigs', kind: 'ScrapeConfig' },
  statefulSets: { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet' },
  replicaSets: { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet' },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  daemonSets: { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet' },
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  services: { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  endpoints: { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints' },
  endpointSlices: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice' },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace' },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  serviceAccounts: { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount' },
  peerAuthentications: { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications', kind: 'PeerAuthentication' },
  peerAuthenticationsV1beta1: { group: 'security.istio.io', version: 'v1beta1', plural: 'peerauthentications', kind: 'PeerAuthentication' },
  roles: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role' },
  clusterRoles: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole' },
  roleBindings: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding' },
  clusterRoleBindings: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding' },
} as const satisfies Record<string, ApiResource>;

/** `servicemonitors.monitoring.coreos.com`, `pods`: the name RBAC rules and kubectl use. */
export function resourceName(resource: ApiResource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

/** The URL path of a collection (namespace undefined: every namespace, or a cluster-scoped resource). */
function collectionPath(resource: ApiResource, namespace?: string): string {
  const base = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  return `${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resource.plural}`;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Applied to each item as its page arrives (slimming): a page is dropped before the next is read. */
export type ItemTransform<T> = (item: T) => T;

/** Where a streamed body goes (a list page parser). */
export interface BodySink {
  write(chunk: Buffer): void;
}

export interface ApiClientOptions {
  timeoutMs: number;
  /** epoch ms after which no call starts or continues (--deadline) */
  deadlineAt: number;
  concurrency: number;
  /** items per page of a list (default PAGE_SIZE) */
  pageSize?: number;
}

interface RawResponse {
  status: number;
  /** the body as text, decoded when first asked for */
  readonly body: string;
  /** the body as received */
  bytes: Buffer;
  /** the Retry-After header, when the server sent one */
  retryAfter?: string;
}

/** An answer whose text is decoded only when read: a large proxied answer can be parsed from its bytes, outside the JS heap. */
function rawResponse(status: number, bytes: Buffer, retryAfter: string | undefined): RawResponse {
  let text: string | undefined;
  return { status, bytes, get body() { return (text ??= bytes.toString('utf8')); }, ...(retryAfter ? { retryAfter } : {}) };
}

/** Error codes of a connection that never got an answer: retried (CONTRACT.md), then the server is unreachable. */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'TIMEOUT']);

/**
 * Retries of an idempotent read, as client-go makes them: on 429 (after its Retry-After), on 5xx,
 * on a torn answer and on a connection reset, at most MAX_TRIES in all, with exponential backoff
 * (no jitter: the same faults give the same run). A connection that keeps failing makes the server
 * unreachable within twice --timeout of the first failure; nothing waits past --deadline.
 */
export const MAX_TRIES = 5;
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 3_200;

export function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A failed attempt worth another try: what to say if it stays failed, and how long to wait first. */
interface Retryable {
  error: Error;
  waitMs: number;
}

export class ApiClient {
  /** set once the API server proved unusable; every later call fails fast with it */
  private unreachable: ClusterUnreachable | undefined;
  private readonly slots: Semaphore;
  private agentOptions: Promise<https.RequestOptions> | undefined;
  constructor(readonly kubeConfig: KubeConfig, readonly server: string, readonly options: ApiClientOptions) {
    this.slots = new Semaphore(options.concurrency);
  }

  /** TLS material and credentials of the context, read at the first request (an exec credential plugin runs then). */
  private authOptions(): Promise<https.RequestOptions> {
    this.agentOptions ??= (async () => {
      const opts: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(opts);
      return opts;
    })();
    return this.agentOptions;
  }

  /** The unreachable state, once known (for the diagnostic). */
  get failure(): ClusterUnreachable | undefined {
    return this.unreachable;
  }

  /** Time left for one network step: --timeout, cut short by the --deadline. */
  stepTimeout(): number {
    const left = this.options.deadlineAt - Date.now();
    if (left <= 0) throw new DeadlineReached('the run reached its --deadline before this API call');
    return Math.min(this.options.timeoutMs, left);
  }

  /** Runs fn holding one of the --concurrency slots (API calls and execs share them). */
  withSlot<T>(fn: () => Promise<T>): Promise<T> {
    return this.slots.run(fn);
  }

  /** Marks the server unreachable (also used by exec when the socket cannot even connect). */
  markUnreachable(reason: string): ClusterUnreachable {
    this.unreachable ??= new ClusterUnreachable(reason);
    return this.unreachable;
  }

  /** GET of a JSON object; an error status throws ApiStatusError. A torn answer (not JSON) is asked again. */
  async getJson<T>(path: string): Promise<T> {
    let parsed: T | undefined;
    await this.getRaw(path, {
      accept: (response) => {
        if (response.status < 200 || response.status > 299) return new ApiStatusError(response.status, statusMessage(response));
        try {
          parsed = JSON.parse(response.body) as T;
          return undefined;
        } catch {
          // starting as JSON but not parsing: torn; anything else (a login page) is no JSON at all
          return /^\s*[[{]/.test(response.body)
            ? new TornAnswer(response.status, `GET ${path}: the answer is not JSON (${response.body.length} bytes, cut short?)`)
            : new ApiStatusError(response.status, `GET ${path}: the answer is not JSON`);
        }
      },
    });
    return parsed as T;
  }

  /**
   * Every item of a collection, page by page (limit/continue), filtered on the server. Items of a
   * list carry no kind/apiVersion on a real API server: they are filled in, as in a manifest.
   */
  async list<T extends KubeObject>(resource: ApiResource, namespace: string | undefined, query: ListQuery = {}, transform: ItemTransform<T> = (item) => item): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const params = new URLSearchParams({ limit: String(this.options.pageSize ?? PAGE_SIZE) });
      if (query.labelSelector) params.set('labelSelector', query.labelSelector);
      if (query.fieldSelector) params.set('fieldSelector', query.fieldSelector);
      if (token) params.set('continue', token);
      const path = `${collectionPath(resource, namespace)}?${params}`;
      const fallbackVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
      // Items are completed and transformed one by one as the page streams in; a retry starts a fresh page.
      let parser: ListPageParser<T> | undefined;
      await this.getRaw(path, {
        sink: () => (parser = new ListPageParser<T>((item) => transform({ ...item, apiVersion: item.apiVersion ?? fallbackVersion, kind: item.kind ?? resource.kind })) ),
        accept: (response) => {
          if (response.status < 200 || response.status > 299) return new ApiStatusError(response.status, statusMessage(response));
          try {
            parser!.end();
            return undefined;
          } catch (error) {
            return new TornAnswer(response.status, `GET ${path}: ${(error as Error).message}`);
          }
        },
      });
      const page = parser!;
      const apiVersion = typeof page.top.apiVersion === 'string' ? page.top.apiVersion : undefined;
      for (const item of page.items) items.push(apiVersion && !item.apiVersion ? { ...item, apiVersion } : item);
      const metadata = page.top.metadata as { continue?: string } | undefined;
      token = metadata?.continue || undefined;
    } while (token);
    return items;
  }

  /** One object by name; undefined when it does not exist (404). */
  async getObject<T extends KubeObject>(resource: ApiResource, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      const object = await this.getJson<T>(`${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`);
      return { ...object, apiVersion: object.apiVersion ?? (resource.group ? `${resource.group}/${resource.version}` : resource.version), kind: object.kind ?? resource.kind };
    } catch (error) {
      if (error instanceof ApiStatusError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * A GET, retried as MAX_TRIES says. A proxied GET's status is the target's, judged by the caller
   * (only the API server's own 429 is retried), and its timeout fails only itself: the API server may
   * be waiting for a slow backend. 401 makes the server unreachable at once. `accept` judges an
   * answer: an ApiStatusError back is the call's failure (retried when its status or a torn body says so).
   */
  async getRaw(path: string, options: { timeoutMs?: number; proxied?: boolean; accept?: (response: RawResponse) => ApiStatusError | undefined; sink?: () => BodySink } = {}): Promise<RawResponse> {
    return this.withSlot(async () => {
      let firstConnectionFailure: number | undefined;
      for (let attempt = 1; ; attempt++) {
        if (this.unreachable) throw this.unreachable;
        let retry: Retryable;
        try {
          const response = await this.request(path, Math.min(options.timeoutMs ?? Infinity, this.stepTimeout()), options.sink?.());
          if (response.status === 401) throw this.markUnreachable('it refuses our credentials (401 Unauthorized)');
          const failure = options.accept?.(response);
          const retryStatus = !options.proxied && RETRY_STATUSES.has(response.status);
          if (!failure && !retryStatus) return response;
          const error = failure ?? new ApiStatusError(response.status, statusMessage(response));
          if (!retryStatus && !(failure instanceof TornAnswer)) throw error;
          retry = { error, waitMs: (response.status === 429 || response.status === 503 ? retryAfterMs(response.retryAfter) : undefined) ?? backoffMs(attempt) };
        } catch (error) {
          if (error instanceof ClusterUnreachable || error instanceof DeadlineReached || error instanceof ApiStatusError) throw error;
          const code = (error as NodeJS.ErrnoException).code ?? '';
          if (options.proxied && code === 'TIMEOUT') throw error;
          if (!CONNECTION_FAILURES.has(code)) throw this.markUnreachable(describeNetworkError(error));
          firstConnectionFailure ??= Date.now();
          // a timeout already took --timeout: one more try at most, so that unreachable comes within twice --timeout
          const waitMs = code === 'TIMEOUT' ? 0 : backoffMs(attempt);
          const withinTwiceTimeout = Date.now() + waitMs - firstConnectionFailure < 2 * this.options.timeoutMs && (code !== 'TIMEOUT' || attempt < 2);
          if (attempt >= MAX_TRIES || !withinTwiceTimeout || !(await this.pause(waitMs))) throw this.markUnreachable(describeNetworkError(error));
          continue;
        }
        if (attempt >= MAX_TRIES) throw annotate(retry.error, `after ${attempt} tries`);
        if (!(await this.pause(retry.waitMs))) throw annotate(retry.error, `not retried after ${attempt} ${attempt === 1 ? 'try' : 'tries'}: waiting ${Math.ceil(retry.waitMs / 1000)} s would pass --deadline`);
      }
    });
  }

  /** Waits before a retry, unless that would pass the --deadline (false then). */
  private async pause(ms: number): Promise<boolean> {
    if (Date.now() + ms >= this.options.deadlineAt) return false;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return true;
  }

  /** One GET; a 2xx body goes to `sink` as it arrives when one is given (the returned body is then empty). */
  private async request(path: string, timeoutMs: number, sink?: BodySink): Promise<RawResponse> {
    const base = await this.authOptions();
    // the server URL may carry a path prefix (a Rancher-style proxy): keep it in front of the API path
    const url = new URL(`${this.server.replace(/\/$/, '')}${path}`);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = transport.request(url, { ...base, method: 'GET', headers: { ...base.headers, Accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const streaming = sink && (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) <= 299 ? sink : undefined;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // A page is a few MB; far more is no answer we can use (and must not exhaust memory).
          if (size > MAX_ANSWER_BYTES) return void req.destroy(new ApiStatusError(res.statusCode ?? 0, `GET ${path}: the answer is larger than ${MAX_ANSWER_BYTES >> 20} MiB`));
          if (!streaming) return void chunks.push(chunk);
          try {
            streaming.write(chunk);
          } catch (error) {
            req.destroy(new TornAnswer(res.statusCode ?? 0, `GET ${path}: ${(error as Error).message}`));
          }
        });
        res.on('end', () => {
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          const body = Buffer.concat(chunks);
          chunks.length = 0; // a page is held once, not twice
          resolve(rawResponse(res.statusCode ?? 0, body, retryAfter));
        });
        res.on('error', fail);
      });
      // One timer for the whole exchange: connect, TLS, headers and body.
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })), timeoutMs);
      function fail(error: Error) {
        clearTimeout(timer);
        reject(error);
      }
      req.on('error', fail);
      req.end();
    });
  }
}

/** The error with how it stayed failed, for the report of what stayed unreadable. */
function annotate(error: Error, how: string): Error {
  return error instanceof ApiStatusError ? new ApiStatusError(error.status, `${error.message} (${how})`) : error;
}

/** The Status message of an error answer, or its HTTP status. */
function statusMessage(response: RawResponse): string {
  try {
    const status = JSON.parse(response.body) as { message?: string };
    if (status.message) return `HTTP ${response.status}: ${status.message.split('\n')[0]!}`;
  } catch {
    // not a Status object: fall through to the bare code
  }
  return `HTTP ${response.status}`;
}

function describeNetworkError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'TIMEOUT':
      return e.message;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${e.code})`;
    default:
      return (e.message || String(error)).split('\n')[0]!;
  }
}
