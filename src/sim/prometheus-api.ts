/**
 * A stand-in for Prometheus's HTTP API on each Prometheus pod (port 9090): the operator's scrape
 * jobs for the ServiceMonitors its resource selects, and the targets' health from real scrapes of
 * the simulated sidecars, made as Prometheus makes them (its container's TLS files, read as its
 * user; ALPN h2 unless `enableHttp2: false`) with Go's error texts for `lastError`. A job whose TLS
 * files cannot be read when the pool is built has no targets at all (failure-modes.md row 7).
 * For the real thing, register a real Prometheus with `registerServiceBackend`.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';
import { stringify } from 'yaml';
import type { PrometheusPod } from '../model/inventory.js';
import type { EndpointSlice, KubeObject, Monitor, MonitorEndpoint, PrometheusResource, Service } from '../model/k8s.js';
import { discoverKubernetes } from '../model/kubernetes-sd.js';
import { prometheusContainerOf } from '../model/prometheus.js';
import { populateTarget, portOfAddress } from '../model/relabel.js';
import { scrapeClassFor } from '../model/scrape-class.js';
import { loadScrapeConfigObject, operatorScrapeJob, type ScrapeConfigObject } from '../model/scrape-config-crd.js';
import { loadPrometheusConfig, type RawScrapeJob } from '../model/scrape-config.js';
import { configFileOf } from '../sources/raw-scrape-configs.js';
import { inMonitorNamespaces, matchesLabels, prometheusSelects } from '../model/selectors.js';
import type { ClusterState, SimPod } from './cluster.js';
import { canRead, type PodFilesystems } from './filesystem.js';

const SCRAPE_TIMEOUT_MS = 3_000;
const CACHE_MS = 15_000;
const CONCURRENCY = 32;
/** how long /api/v1/targets waits for a scrape round in progress before answering with what it has */
const ANSWER_WAIT_MS = 8_000;

interface Target {
  job: string;
  url: string;
  host: string;
  port: number;
  endpoint: MonitorEndpoint;
  labels: Record<string, string>;
  discovered: Record<string, string>;
}

interface Scrape { health: 'up' | 'down' | 'unknown'; lastError: string; durationMs: number }

interface Job {
  name: string;
  /** the ServiceMonitor of an operator job; none for a raw job or a ScrapeConfig's */
  monitor?: Monitor;
  /** a raw job (the pod's own configuration, or a ScrapeConfig's generated job) */
  raw?: RawScrapeJob;
  endpoint: MonitorEndpoint;
  /** why the pool could not be built (the TLS files), if so */
  poolError?: string;
  targets: Target[];
}

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

export class FakePrometheus {
  /** the current scrape round; targets it has not reached yet are `unknown`, as in Prometheus before a first scrape */
  private round: { at: number; jobs: Job[]; scrapes: Map<string, Scrape>; done: Promise<void>; warm?: boolean } | undefined;
  private stopped = false;
  /** the operator's resource; none for a Prometheus run from its own configuration file */
  private readonly resource: PrometheusResource | undefined;
  private readonly container: string;

  /** `scrape: false`: every target is up without a scrape (the targets do not listen) */
  constructor(private readonly state: ClusterState, private readonly filesystems: PodFilesystems, private readonly sim: SimPod, private readonly options: { scrape: boolean } = { scrape: true }) {
    this.resource = sim.prometheus;
    this.container = prometheusContainerOf(sim.pod.spec)?.name ?? 'prometheus';
  }

  private version(): string {
    const image = this.sim.pod.spec?.containers?.find((c) => c.name === this.container)?.image ?? '';
    return (this.resource?.spec?.version ?? /:v?(\d[\d.]*)$/.exec(image)?.[1] ?? '2.53.0').replace(/^v/, '');
  }

  /** The text of --config.file as the container sees it (a plain Prometheus: its mounted ConfigMap). */
  private ownConfig(): string | undefined {
    if (this.resource) return undefined;
    const path = configFileOf({ pod: this.sim.pod, prometheusContainer: this.container } as PrometheusPod);
    const found = this.filesystems.view(this.sim, this.container)?.lookup(path);
    return found?.type === 'file' ? found.file.content : '';
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    const json = (body: unknown, status = 200) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (path === '/-/ready' || path === '/-/healthy') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`Prometheus Server is ${path === '/-/ready' ? 'Ready' : 'Healthy'}.\n`);
    if (path === '/api/v1/status/buildinfo') return json({ status: 'success', data: { version: this.version(), revision: 'simulated', branch: 'HEAD', buildUser: 'sim', buildDate: '20240619-07:39:12', goVersion: 'go1.22.4' } });
    if (path === '/api/v1/status/config') return json({ status: 'success', data: { yaml: this.configYaml() } });
    if (path === '/api/v1/targets') {
      const round = this.currentRound();
      const answer = () => json({ status: 'success', data: { activeTargets: this.activeTargets(round.jobs, round.scrapes), droppedTargets: [], droppedTargetCounts: Object.fromEntries(round.jobs.map((j) => [j.name, 0])) } });
      let waited: NodeJS.Timeout | undefined;
      void Promise.race([round.done, new Promise((resolve) => (waited = setTimeout(resolve, ANSWER_WAIT_MS)))]).then(() => {
        clearTimeout(waited);
        answer();
      });
      return;
    }
    json({ status: 'error', errorType: 'not_found', error: 'not found' }, 404);
  }

  /**
   * The operator's jobs: one per selected ServiceMonitor endpoint, `serviceMonitor/<ns>/<name>/<i>`,
   * and one per selected ScrapeConfig; a plain Prometheus's: the jobs of its configuration file.
   */
  private jobs(): Job[] {
    if (!this.resource) return this.rawJobs(loadPrometheusConfig(this.ownConfig() ?? '').jobs);
    const namespaces = this.state.ofKind('Namespace');
    const scrapeConfigJobs = this.scrapeConfigs(this.resource).flatMap(({ object, scrapeClass }) => loadScrapeConfigObject(object, scrapeClass).jobs);
    return [...this.monitorJobs(this.resource, namespaces), ...this.rawJobs(scrapeConfigJobs)];
  }

  /** The ScrapeConfig objects the operator gives this Prometheus, with their scrape class. */
  private scrapeConfigs(resource: PrometheusResource) {
    const namespaces = this.state.ofKind('Namespace');
    return (this.state.ofKind('ScrapeConfig') as ScrapeConfigObject[])
      .filter((object) => prometheusSelects(resource, object, namespaces).selected === true && !scrapeClassFor(resource, object).notFound)
      .map((object) => ({ object, scrapeClass: scrapeClassFor(resource, object).scrapeClass }));
  }

  private monitorJobs(resource: PrometheusResource, namespaces: KubeObject[]): Job[] {
    const monitors = (this.state.ofKind('ServiceMonitor') as Monitor[]).filter((m) => prometheusSelects(resource, m, namespaces).selected === true);
    return monitors.flatMap((monitor) => (monitor.spec?.endpoints ?? []).map((endpoint, i) => {
      const job: Job = { name: `serviceMonitor/${monitor.metadata!.namespace}/${monitor.metadata!.name}/${i}`, monitor, endpoint, targets: [] };
      job.poolError = this.tlsFilesError(endpoint);
      if (!job.poolError) job.targets = this.targetsOf(job);
      return job;
    }));
  }

  /** Raw jobs: Kubernetes discovery over the simulated pods and Services, then the job's relabelling, as Prometheus does. */
  private rawJobs(jobs: RawScrapeJob[]): Job[] {
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
      job.poolError = this.tlsFilesError(endpoint);
      if (job.poolError) return job;
      const seen = new Set<string>();
      for (const sd of raw.kubernetesSd.filter((d) => !d.apiServer)) {
        for (const discovered of discoverKubernetes(sd, this.sim.pod.metadata!.namespace, inventory)) {
          const t = populateTarget(discovered.labels, { jobName: raw.name, scheme: raw.scheme, metricsPath: raw.metricsPath, scrapeInterval: raw.scrapeInterval, scrapeTimeout: raw.scrapeTimeout, params: raw.params }, raw.relabelConfigs);
          const port = 'address' in t ? portOfAddress(t.address) : undefined;
          if (!('address' in t) || port === undefined || seen.has(JSON.stringify(t.publicLabels))) continue;
          seen.add(JSON.stringify(t.publicLabels));
          const host = t.address.slice(0, t.address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
          job.targets.push({
            job: raw.name, host, port, endpoint: { ...endpoint, scheme: t.scheme, path: t.metricsPath }, labels: t.publicLabels,
            url: `${t.scheme}://${t.address}${t.metricsPath}`, discovered: discovered.labels,
          });
        }
      }
      return job;
    });
  }

  private targetsOf(job: Job): Target[] {
    const { endpoint } = job;
    const monitor = job.monitor!;
    const services = this.state.ofKind('Service').filter((s) => inMonitorNamespaces(monitor, s.metadata!.namespace!) && matchesLabels(monitor.spec?.selector ?? {}, s.metadata?.labels ?? {}));
    return services.flatMap((svc) => {
      const slices = (this.state.ofKind('EndpointSlice', svc.metadata!.namespace) as EndpointSlice[]).filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === svc.metadata!.name);
      return slices.flatMap((slice) => {
        const port = slice.ports?.find((p) => p.name === endpoint.port);
        if (!port?.port) return [];
        return (slice.endpoints ?? []).flatMap((e) => (e.addresses ?? []).map((host): Target => {
          const scheme = endpoint.scheme ?? 'http';
          const labels = {
            container: '', endpoint: endpoint.port ?? '', instance: `${host}:${port.port}`, job: svc.metadata!.name!,
            namespace: svc.metadata!.namespace!, pod: e.targetRef?.name ?? '', service: svc.metadata!.name!,
          };
          return {
            job: job.name, host, port: port.port!, endpoint, labels,
            url: `${scheme}://${host}:${port.port}${endpoint.path ?? '/metrics'}`,
            discovered: { __address__: `${host}:${port.port}`, __meta_kubernetes_namespace: svc.metadata!.namespace!, __meta_kubernetes_service_name: svc.metadata!.name!, __meta_kubernetes_pod_name: e.targetRef?.name ?? '', __meta_kubernetes_endpointslice_port_name: port.name ?? '', __scheme__: scheme, __metrics_path__: endpoint.path ?? '/metrics', job: job.name },
          };
        }));
      });
    });
  }

  /** Prometheus's error creating the pool's HTTP client (prometheus/common ≥ v0.54 wording), if any. */
  private tlsFilesError(endpoint: MonitorEndpoint): string | undefined {
    const tls = endpoint.tlsConfig;
    if (!tls) return undefined;
    const view = this.filesystems.view(this.sim, this.container);
    const files: [string | undefined, string][] = [[tls.caFile, 'unable to read CA cert'], [tls.certFile, 'unable to read specified client cert'], [tls.keyFile, 'unable to read specified client key']];
    for (const [path, what] of files) {
      if (!path || !view) continue;
      const l = view.lookup(path);
      const reason = !l ? 'no such file or directory' : l.type === 'dir' ? 'is a directory' : !canRead(view.identity(), l.file) ? 'permission denied' : undefined;
      if (reason) return `error creating HTTP client: ${what}: unable to read file ${path}: open ${path}: ${reason}`;
    }
    return undefined;
  }

  private readFile(path: string | undefined): string | undefined {
    if (!path) return undefined;
    const l = this.filesystems.view(this.sim, this.container)?.lookup(path);
    return l?.type === 'file' ? l.file.content : undefined;
  }

  /** Starts the first scrape round, as Prometheus scrapes from its start. */
  warm(): void {
    // The rest of the mesh's start-up (certificates made synchronously) can hold the event loop past a
    // scrape's timeout: the first question to the API gets a round of its own, not this one's timeouts.
    this.currentRound().warm = true;
  }

  stop(): void {
    this.stopped = true;
  }

  /** The latest round of scrapes, or a new one when it is older than a scrape interval. */
  private currentRound(): NonNullable<FakePrometheus['round']> {
    if (this.round && !this.round.warm && Date.now() - this.round.at < CACHE_MS) return this.round;
    const jobs = this.jobs();
    const targets = jobs.flatMap((j) => j.targets);
    const scrapes = new Map<string, Scrape>();
    let next = 0;
    const worker = async () => {
      while (next < targets.length && !this.stopped) {
        const target = targets[next++];
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

  /** One scrape as Prometheus makes it; resolves with the health and Go's lastError text. */
  private scrape(target: Target): Promise<Scrape> {
    if (!this.options.scrape) return Promise.resolve({ health: 'up', lastError: '', durationMs: 1 });
    const started = Date.now();
    const https = target.url.startsWith('https:');
    const tls = target.endpoint.tlsConfig ?? {};
    const path = target.endpoint.path ?? '/metrics';
    return new Promise((resolve) => {
      let settled = false;
      let socket: Socket | TLSSocket | undefined;
      /** the scrape's own address, kept from the connect: a reset socket no longer tells it */
      let local: string | undefined;
      const connected = (s: Socket) => s.once('connect', () => (local = `${s.localAddress}:${s.localPort}`));
      /** error: of the request (Go prefixes `Get "<url>": `); parseError: of the body, as the text parser words it */
      const done = (error?: string, status?: number, parseError?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.destroy();
        const lastError = error !== undefined ? `Get "${target.url}": ${error}`
          : status !== 200 ? `server returned HTTP status ${status} ${STATUS_TEXT[status ?? 0] ?? ''}`.trim()
          : parseError ?? '';
        resolve({ health: lastError ? 'down' : 'up', lastError, durationMs: Date.now() - started });
      };
      const timer = setTimeout(() => done('context deadline exceeded'), this.state.scenario.prometheusScrapeTimeoutMs ?? SCRAPE_TIMEOUT_MS);
      const fail = (error: NodeJS.ErrnoException) => done(goErrorText(error, target, local));
      const http1 = (s: Socket) => {
        const req = httpRequest({ createConnection: () => s, path, headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'user-agent': 'Prometheus/2.53.0' } }, (res) => {
          const body = bodyHead(res);
          res.on('end', () => done(undefined, res.statusCode, parseErrorOf(body())));
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
      let tlsSocket: TLSSocket;
      try {
        tlsSocket = tlsConnect({
        host: target.host, port: target.port, ca: this.readFile(tls.caFile), cert: this.readFile(tls.certFile), key: this.readFile(tls.keyFile),
        ALPNProtocols: target.endpoint.enableHttp2 === false ? ['http/1.1'] : ['h2', 'http/1.1'],
        rejectUnauthorized: tls.insecureSkipVerify !== true,
        // Go verifies the IP against IP SANs, which Istio certificates never carry
        checkServerIdentity: () => Object.assign(new Error('no IP SANs'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
        });
      } catch {
        // prometheus/common loads the pair at each handshake; a torn pair fails every scrape
        return done(`unable to use specified client cert (${tls.certFile}) & key (${tls.keyFile}): tls: private key does not match public key`);
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
          stream.on('end', () => done(undefined, Number(headers[':status']), parseErrorOf(body())));
        });
        stream.on('error', () => done('unexpected EOF'));
        stream.end();
      });
    });
  }

  private activeTargets(jobs: Job[], scrapes: Map<string, Scrape>): object[] {
    const interval = (j: Job) => j.endpoint.interval ?? '30s';
    return jobs.flatMap((job) => job.targets.map((t) => {
      const s = scrapes.get(scrapeKey(t)) ?? { health: 'unknown', lastError: '', durationMs: 0 };
      return {
        discoveredLabels: t.discovered, labels: t.labels, scrapePool: job.name, scrapeUrl: t.url, globalUrl: t.url,
        lastError: s.lastError, lastScrape: new Date().toISOString(), lastScrapeDuration: s.durationMs / 1000, health: s.health,
        scrapeInterval: interval(job), scrapeTimeout: job.endpoint.scrapeTimeout ?? '10s',
      };
    }));
  }

  /** The configuration the operator would generate (a plain Prometheus: its own file), for SCRAPE_POOL_MISSING (jobs without targets). */
  private configYaml(): string {
    const own = this.ownConfig();
    if (own !== undefined) return own;
    const resource = this.resource!;
    const scrapeConfigs = this.scrapeConfigs(resource).map(({ object, scrapeClass }) => operatorScrapeJob(object, scrapeClass));
    const jobs = this.jobs().filter((job) => job.monitor).map((job) => ({
      job_name: job.name, honor_timestamps: true, scrape_interval: job.endpoint.interval ?? '30s', scrape_timeout: job.endpoint.scrapeTimeout ?? '10s',
      metrics_path: job.endpoint.path ?? '/metrics', scheme: job.endpoint.scheme ?? 'http', enable_http2: job.endpoint.enableHttp2 ?? true,
      ...(job.endpoint.tlsConfig ? { tls_config: { ca_file: job.endpoint.tlsConfig.caFile, cert_file: job.endpoint.tlsConfig.certFile, key_file: job.endpoint.tlsConfig.keyFile, insecure_skip_verify: job.endpoint.tlsConfig.insecureSkipVerify ?? false } } : {}),
      kubernetes_sd_configs: [{ role: 'endpointslice', namespaces: { names: namespacesOf(job.monitor!, this.state.ofKind('Namespace')) } }],
    }));
    return stringify({ global: { scrape_interval: '30s', scrape_timeout: '10s', evaluation_interval: '30s', external_labels: { prometheus: `${resource.metadata!.namespace}/${resource.metadata!.name}`, prometheus_replica: this.sim.pod.metadata!.name } }, scrape_configs: [...jobs, ...scrapeConfigs] });
  }
}

const scrapeKey = (t: Target) => `${t.job} ${t.url}`;

const namespacesOf = (monitor: Monitor, namespaces: KubeObject[]) => namespaces.map((n) => n.metadata!.name!).filter((n) => inMonitorNamespaces(monitor, n));

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** Keeps the first KiB of a response body (and drains the rest): enough for the parser's first verdict. */
function bodyHead(stream: NodeJS.ReadableStream): () => string {
  let head = '';
  stream.on('data', (chunk: Buffer) => {
    if (head.length < 1024) head += chunk.toString('utf8');
  });
  return () => head;
}

/** What Prometheus's text parser says of a body that is no exposition format: an HTML page fails at `<`. */
function parseErrorOf(body: string): string | undefined {
  return body.trimStart().startsWith('<') ? '"INVALID" is not a valid start token' : undefined;
}
