/**
 * What the simulated scrapers' live views share (FakePrometheus, FakeVMAgent, FakeAlloy): the jobs
 * they build from monitors and raw jobs, and the targets' health from real scrapes of the simulated
 * sidecars, made in rounds as the scraper makes them, with its container's TLS files read as its user.
 * What differs by scraper is given by the subclass: where its jobs come from, its HTTP client
 * (ScrapeClient: ALPN, when it reads the TLS files, how it words a failure) and the API that shows them.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';
import type { EndpointSlice, KubeObject, Monitor, MonitorEndpoint, Pod, Service } from '../model/k8s.js';
import { discoverKubernetes } from '../model/kubernetes-sd.js';
import { populateTarget, portOfAddress } from '../model/relabel.js';
import type { RawScrapeJob } from '../model/scrape-config.js';
import { inMonitorNamespaces, matchesLabels } from '../model/selectors.js';
import type { ClusterState, SimPod } from './cluster.js';
import { canRead, type PodFilesystems } from './filesystem.js';

const SCRAPE_TIMEOUT_MS = 3_000;
const CACHE_MS = 15_000;
const CONCURRENCY = 32;
/** how long an API question waits for a scrape round in progress before answering with what it has */
const ANSWER_WAIT_MS = 8_000;

export interface Target {
  job: string;
  url: string;
  host: string;
  port: number;
  endpoint: MonitorEndpoint;
  labels: Record<string, string>;
  discovered: Record<string, string>;
}

export interface Scrape { health: 'up' | 'down' | 'unknown'; lastError: string; durationMs: number; at: Date }

export interface Job {
  name: string;
  /** the monitor (ServiceMonitor, PodMonitor, VMServiceScrape, VMPodScrape) of an operator job */
  monitor?: Monitor;
  /** a raw job (a configuration file's, a ScrapeConfig's, an Alloy prometheus.scrape's) */
  raw?: RawScrapeJob;
  endpoint: MonitorEndpoint;
  /** why the pool could not be built (the TLS files), if so: the job has no targets */
  poolError?: string;
  targets: Target[];
}

export type TlsFileRole = 'ca' | 'cert' | 'key';
export interface TlsFileProblem { role: TlsFileRole; path: string; reason: string }

/** How a scraper's HTTP client scrapes, and its words for a failed scrape (each target's lastError). */
export interface ScrapeClient {
  userAgent: string;
  accept: string;
  /** the ALPN protocols offered over TLS (none: undefined) */
  alpn(endpoint: MonitorEndpoint): string[] | undefined;
  /** a request that failed with Go's error text (`Get "<url>": …` in Go's own words) */
  requestError(url: string, goError: string): string;
  /** Go's error text for a scrape that reached its timeout */
  timeoutError: string;
  /** an answer other than 200 (`body`: its first KiB) */
  statusError(url: string, status: number, body: string): string;
  /** what the scraper's parser says of the body, when it refuses it */
  parseError(body: string): string | undefined;
  /**
   * A TLS file the scraper cannot read: `pool` (Prometheus reads them once, building the pool: the
   * job gets no targets) or each scrape's lastError (vmagent reads them at every handshake).
   */
  fileError: { at: 'pool'; words: (problem: TlsFileProblem) => string } | { at: 'handshake'; words: (problem: TlsFileProblem) => string };
  /** the pair does not match (Go's tls.X509KeyPair) */
  keyPairError(certFile: string | undefined, keyFile: string | undefined): string;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/**
 * Prometheus's scrape client (prometheus/scrape, prometheus/common config): ALPN h2 unless
 * `enable_http2: false`, `Get "<url>": …` from net/http, the TLS files read when the pool is built.
 * Alloy scrapes with Prometheus's scrape manager, so it words failures the same.
 */
export const PROMETHEUS_CLIENT: ScrapeClient = {
  userAgent: 'Prometheus/2.53.0',
  accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  alpn: (endpoint) => (endpoint.enableHttp2 === false ? ['http/1.1'] : ['h2', 'http/1.1']),
  requestError: (url, goError) => `Get "${url}": ${goError}`,
  timeoutError: 'context deadline exceeded',
  statusError: (_url, status) => `server returned HTTP status ${status} ${STATUS_TEXT[status] ?? ''}`.trim(),
  // an HTML page fails at `<`
  parseError: (body) => (body.trimStart().startsWith('<') ? '"INVALID" is not a valid start token' : undefined),
  fileError: {
    at: 'pool',
    // prometheus/common ≥ v0.54 wording
    words: ({ role, path, reason }) => `error creating HTTP client: ${{ ca: 'unable to read CA cert', cert: 'unable to read specified client cert', key: 'unable to read specified client key' }[role]}: unable to read file ${path}: open ${path}: ${reason}`,
  },
  keyPairError: (certFile, keyFile) => `unable to use specified client cert (${certFile}) & key (${keyFile}): tls: private key does not match public key`,
};

const GO_ALERTS: Record<string, string> = {
  CERTIFICATE_REQUIRED: 'certificate required', UNKNOWN_CA: 'unknown certificate authority', BAD_CERTIFICATE: 'bad certificate',
  CERTIFICATE_EXPIRED: 'expired certificate', HANDSHAKE_FAILURE: 'handshake failure', NO_APPLICATION_PROTOCOL: 'no application protocol',
};

/** Node's codes (OpenSSL's X509_V_ERR names) for a server certificate that does not verify. */
const VERIFY_CODE = /^(?!ERR_)[A-Z_]*(?:CERT|ISSUER|SIGNATURE|INVALID_CA|INVALID_PURPOSE|CHAIN)/;
const EXPIRY_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * Node's error, in the words Go's net/http and crypto/tls use for it. `local` is the scrape's own
 * address (`ip:port`), which Go names in read errors.
 */
export function goErrorText(error: NodeJS.ErrnoException, target: { host: string; port: number }, local = '127.0.0.1:0'): string {
  const address = `${target.host}:${target.port}`;
  const alert = /ALERT_([A-Z_]+)$/.exec(error.code ?? '')?.[1];
  if (alert) return `remote error: tls: ${GO_ALERTS[alert] ?? alert.toLowerCase().replace(/_/g, ' ')}`;
  switch (error.code) {
    case 'ECONNREFUSED': return `dial tcp ${address}: connect: connection refused`;
    case 'ECONNRESET': return `read tcp ${local}->${address}: read: connection reset by peer`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG': return 'http: server gave HTTP response to HTTPS client';
    case 'ETIMEDOUT': return 'context deadline exceeded';
    case 'UNEXPECTED_EOF': return 'unexpected EOF';
  }
  const code = error.code ?? '';
  // Go checks the leaf's dates, then the host name, and builds the chain last: Istio certificates carry
  // no IP SAN, so with verification on every scrape of a pod IP fails on the name, whatever the root.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || VERIFY_CODE.test(code)) {
    return EXPIRY_CODES.has(code)
      ? 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid'
      : `tls: failed to verify certificate: x509: cannot validate certificate for ${target.host} because it doesn't contain any IP SANs`;
  }
  return code.startsWith('ERR_SSL') ? `tls: failed to verify certificate: x509: ${error.message}` : 'EOF';
}

export const sendJson = (res: ServerResponse, body: unknown, status = 200): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** A request's path without its query and trailing slashes. */
export const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?')[0]!.replace(/(.)\/+$/, '$1');

/** A scraper in a simulated pod: its jobs, scraped in rounds; the subclass serves its API. */
export abstract class SimulatedScraper {
  /** the current scrape round; targets it has not reached yet are `unknown`, as before a first scrape */
  private round: { at: number; jobs: Job[]; scrapes: Map<string, Scrape>; done: Promise<void>; warm?: boolean } | undefined;
  private stopped = false;
  /** every target up without a scrape: the targets of a mesh too large for a listener per pod do not listen */
  private scrapes = true;

  protected constructor(
    protected readonly state: ClusterState,
    protected readonly filesystems: PodFilesystems,
    protected readonly sim: SimPod,
    /** the scraping container, whose files and user the scrapes use */
    protected readonly container: string,
    private readonly client: ScrapeClient,
  ) {}

  /** The jobs the scraper runs now, with their targets. */
  protected abstract jobs(): Job[];

  /** Answers a request to the scraper's HTTP API. */
  abstract handle(req: IncomingMessage, res: ServerResponse): void;

  /** Reports every target up without scraping it (the targets do not listen). */
  withoutScrapes(): this {
    this.scrapes = false;
    return this;
  }

  /** Starts the first scrape round, as a scraper scrapes from its start. */
  warm(): void {
    // The rest of the mesh's start-up (certificates made synchronously) can hold the event loop past a
    // scrape's timeout: the first question to the API gets a round of its own, not this one's timeouts.
    this.currentRound().warm = true;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Calls `answer` with the jobs and each target's scrape once the round has them (or after a wait). */
  protected withStatuses(answer: (jobs: Job[], scrapeOf: (t: Target) => Scrape) => void): void {
    const round = this.currentRound();
    let waited: NodeJS.Timeout | undefined;
    void Promise.race([round.done, new Promise((resolve) => (waited = setTimeout(resolve, ANSWER_WAIT_MS)))]).then(() => {
      clearTimeout(waited);
      answer(round.jobs, (t) => round.scrapes.get(scrapeKey(t)) ?? { health: 'unknown', lastError: '', durationMs: 0, at: new Date(0) });
    });
  }

  /** The latest round of scrapes, or a new one when it is older than a scrape interval. */
  private currentRound(): NonNullable<SimulatedScraper['round']> {
    if (this.round && !this.round.warm && Date.now() - this.round.at < CACHE_MS) return this.round;
    const jobs = this.jobs();
    const targets = jobs.flatMap((j) => j.targets);
    const scrapes = new Map<string, Scrape>();
    let next = 0;
    const worker = async () => {
      while (next < targets.length && !this.stopped) {
        const target = targets[next++]!;
        scrapes.set(scrapeKey(target), await this.scrape(target));
      }
    };
    const done = Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker)).then(() => undefined);
    const round = { at: Date.now(), jobs, scrapes, done };
    // keep the previous results visible until the new round has them
    if (this.round) for (const [target, scrape] of this.round.scrapes) if (!scrapes.has(target)) scrapes.set(target, scrape);
    this.round = round;
    return round;
  }

  // ── Jobs ──────────────────────────────────────────────────────────────────────────────────────

  /** A monitor endpoint's job: its targets, or none when its client cannot be built. */
  protected monitorJob(name: string, monitor: Monitor, endpoint: MonitorEndpoint): Job {
    const job: Job = { name, monitor, endpoint, targets: [] };
    job.poolError = this.poolError(endpoint);
    if (!job.poolError) job.targets = monitor.spec?.podMetricsEndpoints ? this.podTargets(name, monitor, endpoint) : this.serviceTargets(name, monitor, endpoint);
    return job;
  }

  /** A ServiceMonitor's (VMServiceScrape's) targets: the ready endpoints of the Services it selects, on the endpoint's port. */
  private serviceTargets(jobName: string, monitor: Monitor, endpoint: MonitorEndpoint): Target[] {
    const services = this.state.ofKind('Service').filter((s) => inMonitorNamespaces(monitor, s.metadata!.namespace!) && matchesLabels(monitor.spec?.selector ?? {}, s.metadata?.labels ?? {}));
    return services.flatMap((svc) => {
      const slices = (this.state.ofKind('EndpointSlice', svc.metadata!.namespace) as EndpointSlice[]).filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === svc.metadata!.name);
      return slices.flatMap((slice) => {
        const port = slice.ports?.find((p) => p.name === endpoint.port);
        if (!port?.port) return [];
        return (slice.endpoints ?? []).flatMap((e) => (e.addresses ?? []).map((host): Target => {
          const labels = {
            container: '', endpoint: endpoint.port ?? '', instance: `${host}:${port.port}`, job: svc.metadata!.name!,
            namespace: svc.metadata!.namespace!, pod: e.targetRef?.name ?? '', service: svc.metadata!.name!,
          };
          return this.target(jobName, endpoint, host, port.port!, labels, {
            __meta_kubernetes_namespace: svc.metadata!.namespace!, __meta_kubernetes_service_name: svc.metadata!.name!,
            __meta_kubernetes_pod_name: e.targetRef?.name ?? '', __meta_kubernetes_endpointslice_port_name: port.name ?? '',
          });
        }));
      });
    });
  }

  /** A PodMonitor's (VMPodScrape's) targets: the running pods it selects, on the endpoint's named container port. */
  private podTargets(jobName: string, monitor: Monitor, endpoint: MonitorEndpoint): Target[] {
    const pods = this.state.pods.filter((p) => inMonitorNamespaces(monitor, p.pod.metadata!.namespace!) && matchesLabels(monitor.spec?.selector ?? {}, p.pod.metadata?.labels ?? {}));
    return pods.flatMap(({ pod, ip }) => {
      const spec: Pod['spec'] = pod.spec;
      const port = (spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => ({ container: c.name ?? '', ...p })))
        .find((p) => (endpoint.port ? p.name === endpoint.port : p.containerPort === endpoint.portNumber));
      if (!port?.containerPort) return [];
      const labels = { container: port.container, endpoint: endpoint.port ?? String(port.containerPort), instance: `${ip}:${port.containerPort}`, job: `${monitor.metadata!.namespace}/${monitor.metadata!.name}`, namespace: pod.metadata!.namespace!, pod: pod.metadata!.name! };
      return [this.target(jobName, endpoint, ip, port.containerPort, labels, {
        __meta_kubernetes_namespace: pod.metadata!.namespace!, __meta_kubernetes_pod_name: pod.metadata!.name!, __meta_kubernetes_pod_container_port_name: port.name ?? '',
      })];
    });
  }

  private target(job: string, endpoint: MonitorEndpoint, host: string, port: number, labels: Record<string, string>, meta: Record<string, string>): Target {
    const scheme = endpoint.scheme ?? 'http';
    const path = endpoint.path ?? '/metrics';
    return {
      job, host, port, endpoint, labels, url: `${scheme}://${host}:${port}${path}`,
      discovered: { __address__: `${host}:${port}`, ...meta, __scheme__: scheme, __metrics_path__: path, job },
    };
  }

  /** Raw jobs: Kubernetes discovery over the simulated pods and Services, static targets, then the job's relabelling, as Prometheus does. */
  protected rawJobs(jobs: readonly RawScrapeJob[], ownNamespace: string): Job[] {
    const inventory = {
      workloads: this.state.pods.map((p) => ({ object: p.pod, namespace: p.pod.metadata!.namespace!, template: { metadata: p.pod.metadata, spec: p.pod.spec } })),
      services: this.state.ofKind('Service') as Service[],
      namespaces: this.state.ofKind('Namespace'),
    };
    return jobs.map((raw): Job => {
      const endpoint: MonitorEndpoint = {
        scheme: raw.scheme, path: raw.metricsPath, interval: raw.scrapeInterval, scrapeTimeout: raw.scrapeTimeout, enableHttp2: raw.enableHttp2,
        ...(raw.tls ? { tlsConfig: { caFile: raw.tls.caFile, certFile: raw.tls.certFile, keyFile: raw.tls.keyFile, insecureSkipVerify: raw.tls.insecureSkipVerify } } : {}),
      };
      const job: Job = { name: raw.name, raw, endpoint, targets: [] };
      job.poolError = this.poolError(endpoint);
      if (job.poolError) return job;
      const discovered = [
        ...raw.kubernetesSd.filter((d) => !d.apiServer).flatMap((sd) => discoverKubernetes(sd, ownNamespace, inventory).map((d) => d.labels)),
        ...raw.staticTargets.flatMap((group) => group.targets.map((address) => ({ ...group.labels, __address__: address }))),
      ];
      const seen = new Set<string>();
      for (const labels of discovered) {
        const t = populateTarget(labels, { jobName: raw.name, scheme: raw.scheme, metricsPath: raw.metricsPath, scrapeInterval: raw.scrapeInterval, scrapeTimeout: raw.scrapeTimeout, params: raw.params }, raw.relabelConfigs);
        const port = 'address' in t ? portOfAddress(t.address) : undefined;
        if (!('address' in t) || port === undefined || seen.has(JSON.stringify(t.publicLabels))) continue;
        seen.add(JSON.stringify(t.publicLabels));
        const host = t.address.slice(0, t.address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
        job.targets.push({
          job: raw.name, host, port, endpoint: { ...endpoint, scheme: t.scheme, path: t.metricsPath }, labels: t.publicLabels,
          url: `${t.scheme}://${t.address}${t.metricsPath}`, discovered: labels,
        });
      }
      return job;
    });
  }

  // ── Files ─────────────────────────────────────────────────────────────────────────────────────

  /** The first TLS file of the endpoint the scraping container cannot read, in the order given. */
  private fileProblem(endpoint: MonitorEndpoint, roles: readonly TlsFileRole[]): TlsFileProblem | undefined {
    const tls = endpoint.tlsConfig;
    const view = this.filesystems.view(this.sim, this.container);
    if (!tls || !view) return undefined;
    const paths: Record<TlsFileRole, string | undefined> = { ca: tls.caFile, cert: tls.certFile, key: tls.keyFile };
    for (const role of roles) {
      const path = paths[role];
      if (!path) continue;
      const l = view.lookup(path);
      const reason = !l ? 'no such file or directory' : l.type === 'dir' ? 'is a directory' : !canRead(view.identity(), l.file) ? 'permission denied' : undefined;
      if (reason) return { role, path, reason };
    }
    return undefined;
  }

  /** The scraper's error creating the pool's HTTP client, when it reads the TLS files then. */
  private poolError(endpoint: MonitorEndpoint): string | undefined {
    const { fileError } = this.client;
    if (fileError.at !== 'pool') return undefined;
    const problem = this.fileProblem(endpoint, ['ca', 'cert', 'key']);
    return problem && fileError.words(problem);
  }

  private readFile(path: string | undefined): string | undefined {
    if (!path) return undefined;
    const l = this.filesystems.view(this.sim, this.container)?.lookup(path);
    return l?.type === 'file' ? l.file.content : undefined;
  }

  // ── Scrapes ───────────────────────────────────────────────────────────────────────────────────

  /** One scrape as the scraper makes it; resolves with the health and its client's lastError text. */
  private scrape(target: Target): Promise<Scrape> {
    if (!this.scrapes) return Promise.resolve({ health: 'up', lastError: '', durationMs: 1, at: new Date() });
    const started = Date.now();
    const https = target.url.startsWith('https:');
    const tls = target.endpoint.tlsConfig ?? {};
    const path = target.endpoint.path ?? '/metrics';
    const { client } = this;
    return new Promise((resolve) => {
      let settled = false;
      let socket: Socket | TLSSocket | undefined;
      /** the scrape's own address, kept from the connect: a reset socket no longer tells it */
      let local: string | undefined;
      const connected = (s: Socket) => s.once('connect', () => (local = `${s.localAddress}:${s.localPort}`));
      /** error: of the request, in Go's words; else the status and the body's head */
      const done = (error?: string, status?: number, body = '') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.destroy();
        const lastError = error !== undefined ? client.requestError(target.url, error)
          : status !== 200 ? client.statusError(target.url, status ?? 0, body)
          : client.parseError(body) ?? '';
        resolve({ health: lastError ? 'down' : 'up', lastError, durationMs: Date.now() - started, at: new Date() });
      };
      const timer = setTimeout(() => done(client.timeoutError), this.state.scenario.prometheusScrapeTimeoutMs ?? SCRAPE_TIMEOUT_MS);
      const fail = (error: NodeJS.ErrnoException) => done(goErrorText(error, target, local));
      const http1 = (s: Socket) => {
        const req = httpRequest({ createConnection: () => s, path, headers: { accept: client.accept, 'user-agent': client.userAgent } }, (res) => {
          const body = bodyHead(res);
          res.on('end', () => done(undefined, res.statusCode, body()));
          res.on('error', () => done('unexpected EOF'));
        });
        req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' && e.message === 'socket hang up' ? done('EOF') : fail(e)));
        req.end();
      };
      if (!https) {
        socket = netConnect({ host: target.host, port: target.port }, () => http1(socket!));
        connected(socket);
        socket.on('error', fail);
        return;
      }
      // a client that reads its files at each handshake fails there (the connection is made first, as Go dials before the handshake)
      if (client.fileError.at === 'handshake') {
        const problem = this.fileProblem(target.endpoint, tls.insecureSkipVerify === true ? ['cert', 'key'] : ['ca', 'cert', 'key']);
        if (problem) return done(client.fileError.words(problem));
      }
      let tlsSocket: TLSSocket;
      try {
        tlsSocket = tlsConnect({
          host: target.host, port: target.port, ca: this.readFile(tls.caFile), cert: this.readFile(tls.certFile), key: this.readFile(tls.keyFile),
          ...(client.alpn(target.endpoint) ? { ALPNProtocols: client.alpn(target.endpoint) } : {}),
          rejectUnauthorized: tls.insecureSkipVerify !== true,
          // Go verifies the IP against IP SANs, which Istio certificates never carry
          checkServerIdentity: () => Object.assign(new Error('no IP SANs'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
        });
      } catch {
        // both clients load the pair at each handshake; a torn pair fails every scrape
        return done(client.keyPairError(tls.certFile, tls.keyFile));
      }
      socket = tlsSocket;
      connected(tlsSocket);
      tlsSocket.on('error', fail);
      // Go's HTTP/2 transport reads a connection closed before any response as `unexpected EOF` (the
      // TCP chain's HTTP/1.1 app hanging up, failure-modes.md row 16); HTTP/1.1 reads it as `EOF`.
      tlsSocket.on('end', () => done(tlsSocket.alpnProtocol === 'h2' ? 'unexpected EOF' : 'EOF'));
      tlsSocket.on('secureConnect', () => {
        if (tlsSocket.alpnProtocol !== 'h2') return http1(tlsSocket);
        const session = http2Connect(`https://${target.host}:${target.port}`, { createConnection: () => tlsSocket });
        session.on('error', () => done('unexpected EOF'));
        session.on('close', () => done('unexpected EOF'));
        const stream = session.request({ ':path': path });
        stream.on('response', (headers) => {
          const body = bodyHead(stream);
          stream.on('end', () => done(undefined, Number(headers[':status']), body()));
        });
        stream.on('error', () => done('unexpected EOF'));
        stream.end();
      });
    });
  }
}

const scrapeKey = (t: Target) => `${t.job} ${t.url}`;

/** The namespaces a monitor's namespaceSelector covers, for a job's kubernetes_sd_configs. */
export const namespacesOf = (monitor: Monitor, namespaces: readonly KubeObject[]): string[] => namespaces.map((n) => n.metadata!.name!).filter((n) => inMonitorNamespaces(monitor, n));

/** A monitor job as a scrape_configs entry (enough for the jobs and TLS files the doctor reads from a loaded configuration). */
export function scrapeConfigEntry(job: Job, namespaces: readonly KubeObject[], role: string): Record<string, unknown> {
  const { endpoint } = job;
  return {
    job_name: job.name, honor_timestamps: true, scrape_interval: endpoint.interval ?? '30s', scrape_timeout: endpoint.scrapeTimeout ?? '10s',
    metrics_path: endpoint.path ?? '/metrics', scheme: endpoint.scheme ?? 'http', enable_http2: endpoint.enableHttp2 ?? true,
    ...(endpoint.tlsConfig ? { tls_config: { ca_file: endpoint.tlsConfig.caFile, cert_file: endpoint.tlsConfig.certFile, key_file: endpoint.tlsConfig.keyFile, insecure_skip_verify: endpoint.tlsConfig.insecureSkipVerify ?? false } } : {}),
    kubernetes_sd_configs: [{ role, namespaces: { names: job.monitor ? namespacesOf(job.monitor, namespaces) : [] } }],
  };
}

/** Keeps the first KiB of a response body (and drains the rest): enough for the parser's first verdict. */
function bodyHead(stream: NodeJS.ReadableStream): () => string {
  let head = '';
  stream.on('data', (chunk: Buffer) => {
    if (head.length < 1024) head += chunk.toString('utf8');
  });
  return () => head;
}
