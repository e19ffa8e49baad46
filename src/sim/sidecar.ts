/**
 * The pods' network side: one listener per container port on the pod's loopback address. A pod
 * with a sidecar that captures the port answers as Envoy's inbound listener does for the port's
 * effective PeerAuthentication mode:
 *
 * - STRICT: TLS only, with a client certificate from the mesh CA (no certificate: alert 116 in TLS
 *   1.3; an untrusted or expired one: closed after the handshake); plain text is closed (EOF).
 *   On a port Istio does not take for HTTP, the TCP chain negotiates h2 and forwards the raw
 *   HTTP/2 to the HTTP/1.1 app, which hangs up (Prometheus: `unexpected EOF`).
 * - PERMISSIVE: plain text goes to the app; TLS without an `istio*` ALPN matches no filter chain on
 *   an HTTP port (closed: `EOF`), and passes through to the plain-text app on a sniffed one.
 * - DISABLE, no sidecar, or a port not captured: the plain-text app (TLS gets its HTTP 400).
 *
 * AuthorizationPolicies give 403 `RBAC: access denied`; workload faults give other statuses,
 * non-metrics bodies, or hostile behaviour. Scraper pods serve their live view (scraperApiOf): the
 * fake Prometheus API on 9090, vmagent's on 8429, Alloy's UI API on its listen address.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { PeerAuthentication, Service } from '../model/k8s.js';
import { inboundCaptured, isIstioHttpPort, mtlsModeFor, type MtlsMode } from '../model/mtls.js';
import { prometheusContainerOf } from '../model/prometheus.js';
import { matchesLabels } from '../model/selectors.js';
import { authorizationDenies } from './authz.js';
import { spiffeId } from '../pki/index.js';
import type { CertificateAuthority } from './ca.js';
import { MESH_ROOT_NAMESPACE, resolveTargetPort, type ClusterState, type SimPod } from './cluster.js';
import type { PodFilesystems } from './filesystem.js';
import { alloyListenAddress } from '../probes/alloy-api.js';
import { alloyContainerOf } from '../model/scraper.js';
import { FakeAlloy } from './alloy-api.js';
import { FakePrometheus } from './prometheus-api.js';
import type { SimulatedScraper } from './scraper-api.js';
import { FakeVMAgent } from './vmagent-api.js';
import type { WorkloadFaults } from './scenario.js';
import { faultServer, handOver, type TargetFault } from './target-faults.js';

const SOCKET_TIMEOUT_MS = 60_000;
/** pilot-agent's merged metrics port (outside the inbound capture) */
const MERGED_METRICS_PORT = 15020;
const TRICKLE_INTERVAL_MS = 1_000;
const PLAIN_400 = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';
const ENVOY_503 = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';

interface PortContext {
  sim: SimPod;
  port: number;
  /** undefined when no sidecar intercepts the port */
  mode?: MtlsMode;
  httpDeclared: boolean;
  faults: WorkloadFaults;
  /** the scraper's HTTP API served on this port */
  api?: SimulatedScraper;
}

/**
 * The live view a scraper pod serves, and on which port: Prometheus's API on 9090; vmagent's on its
 * container's `http` port (8429); Alloy's UI API on its --server.http.listen-addr port unless that is
 * loopback only (the pod's address then refuses it). The OpenTelemetry Collector serves no targets API.
 */
function scraperApiOf(state: ClusterState, filesystems: PodFilesystems, sim: SimPod): { port: number; api: SimulatedScraper } | undefined {
  if (sim.prometheus || prometheusContainerOf(sim.pod.spec)) return { port: 9090, api: new FakePrometheus(state, filesystems, sim) };
  if (sim.scraper?.kind === 'VMAgent') {
    const port = sim.pod.spec?.containers?.find((c) => c.name === 'vmagent')?.ports?.find((p) => p.name === 'http')?.containerPort ?? 8429;
    return { port, api: new FakeVMAgent(state, filesystems, sim) };
  }
  if (sim.scraper?.kind === 'Alloy') {
    const listen = alloyListenAddress(alloyContainerOf(sim.pod.spec));
    return listen.loopback ? undefined : { port: listen.port, api: new FakeAlloy(state, filesystems, sim) };
  }
  return undefined;
}

/** The ALPN protocols a TLS ClientHello offers (RFC 7301), from the first bytes of a connection. */
function clientHelloAlpn(data: Buffer): string[] {
  try {
    let at = 5 + 4 + 2 + 32; // record header, handshake header, version, random
    at += 1 + data[at]; // session id
    at += 2 + data.readUInt16BE(at); // cipher suites
    at += 1 + data[at]; // compression methods
    const end = at + 2 + data.readUInt16BE(at);
    at += 2;
    while (at + 4 <= end) {
      const type = data.readUInt16BE(at);
      const length = data.readUInt16BE(at + 2);
      if (type === 16) {
        const protocols: string[] = [];
        for (let p = at + 6; p < at + 4 + length;) {
          const n = data[p];
          protocols.push(data.subarray(p + 1, p + 1 + n).toString('latin1'));
          p += 1 + n;
        }
        return protocols;
      }
      at += 4 + length;
    }
  } catch {
    // a truncated hello: treat as offering nothing
  }
  return [];
}

const principalOf = (socket: unknown): string | undefined => {
  const san = (socket as TLSSocket).getPeerCertificate?.()?.subjectaltname;
  return san ? /URI:spiffe:\/\/([^,\s]+)/.exec(san)?.[1] : undefined;
};

const METRICS_BODY = (sim: SimPod) => [
  '# HELP http_requests_total Total HTTP requests served.',
  '# TYPE http_requests_total counter',
  `http_requests_total{code="200",method="get",pod="${sim.pod.metadata?.name}"} 1027`,
  `http_requests_total{code="500",method="get",pod="${sim.pod.metadata?.name}"} 3`,
  '# HELP process_resident_memory_bytes Resident memory size in bytes.',
  '# TYPE process_resident_memory_bytes gauge',
  'process_resident_memory_bytes 2.4576e+07',
  '# HELP up_and_serving Whether the app serves requests.',
  '# TYPE up_and_serving gauge',
  'up_and_serving 1',
  '',
].join('\n');

export interface FleetOptions {
  /** false: only Prometheus pods listen, and their Prometheus reports targets up without scraping them */
  targetsListen: boolean;
}

export class SidecarFleet {
  private readonly listeners: NetServer[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly contexts = new Map<string, PortContext>();
  private readonly plain: HttpServer;
  /** TLS servers by identity and chain kind; sockets are handed to them after the first bytes are read */
  private readonly tlsServers = new Map<string, TlsServer>();
  /** HTTP/2 for sockets whose TLS another server ended (it never listens nor does TLS itself) */
  private readonly h2: Http2SecureServer;

  constructor(private readonly state: ClusterState, private readonly meshCa: CertificateAuthority, private readonly filesystems: PodFilesystems, private readonly options: FleetOptions = { targetsListen: true }) {
    this.plain = createHttpServer((req, res) => this.respond(req, res));
    this.h2 = createSecureServer({ allowHTTP1: true }, (req, res) => this.respond(req as unknown as IncomingMessage, res as unknown as ServerResponse));
  }

  private readonly apis: SimulatedScraper[] = [];

  async start(): Promise<void> {
    const peerAuthentications = this.state.ofKind('PeerAuthentication') as PeerAuthentication[];
    const services = this.state.ofKind('Service') as Service[];
    for (const sim of this.state.pods) {
      const namespace = sim.pod.metadata!.namespace!;
      const labels = sim.pod.metadata?.labels ?? {};
      // a scraper's live view (the operator's Prometheus or one run from its own file, vmagent, Alloy), served whether or not the port is declared
      const scraper = scraperApiOf(this.state, this.filesystems, sim);
      if (scraper) this.apis.push(this.options.targetsListen ? scraper.api : scraper.api.withoutScrapes());
      // a mesh too large for a listener per pod (the memory bench): only the scrapers listen
      if (!scraper && !this.options.targetsListen) continue;
      const declared = (sim.pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).map((p) => p.containerPort!);
      const ports = scraper && !declared.includes(scraper.port) ? [...declared, scraper.port] : declared;
      // pilot-agent serves the merged metrics (the injector's prometheus.io/* rewrite) on 15020, in plain text
      const merged = sim.injected && sim.pod.metadata?.annotations?.['prometheus.io/port'] === String(MERGED_METRICS_PORT) && !ports.includes(MERGED_METRICS_PORT);
      for (const port of merged ? [...ports, MERGED_METRICS_PORT] : ports) {
        const captured = sim.injected && port !== MERGED_METRICS_PORT && inboundCaptured({ metadata: sim.pod.metadata, spec: sim.pod.spec }, port);
        const servicePorts = services
          .filter((s) => s.metadata?.namespace === namespace && s.spec?.selector && matchesLabels({ matchLabels: s.spec.selector }, labels))
          .flatMap((s) => s.spec?.ports ?? [])
          .filter((p) => resolveTargetPort(sim.pod, p.targetPort, p.port) === port);
        const context: PortContext = {
          sim, port, httpDeclared: servicePorts.some(isIstioHttpPort),
          mode: captured ? mtlsModeFor(peerAuthentications, MESH_ROOT_NAMESPACE, namespace, labels, port) : undefined,
          faults: this.state.scenario.faults.workloads?.[sim.workload] ?? {},
          api: scraper?.port === port ? scraper.api : undefined,
        };
        this.contexts.set(`${sim.ip}:${port}`, context);
        await this.listen(context);
      }
    }
    for (const api of this.apis) api.warm();
  }

  async stop(): Promise<void> {
    for (const api of this.apis) api.stop();
    for (const socket of this.sockets) socket.destroy();
    // the HTTP and TLS servers never listen (sockets are handed to them): closing the listeners is enough
    await Promise.all(this.listeners.filter((l) => l.listening).map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
  }

  private listen(context: PortContext): Promise<void> {
    const server = createNetServer((socket) => this.accept(socket, context));
    this.listeners.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(context.port, context.sim.ip, () => resolve());
    });
  }

  private accept(socket: Socket, context: PortContext): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(SOCKET_TIMEOUT_MS, () => socket.destroy());
    if (context.faults.behaviour === 'reset') return void socket.resetAndDestroy();
    if (context.faults.behaviour === 'hang') return; // accepted, never answered; the timeout ends it
    socket.once('data', (first: Buffer) => {
      socket.pause();
      this.dispatch(socket, context, first);
    });
  }

  private dispatch(socket: Socket, context: PortContext, first: Buffer): void {
    const isTls = first[0] === 0x16;
    if (isTls && context.faults.target) return handOver(this.faultServer(context, context.faults.target), socket, first);
    // The HTTP server parses straight from the socket's handle, past any unshifted bytes, so the
    // first chunk is replayed as a 'data' event; a TLS socket reads what was unshifted.
    const plainApp = (): void => {
      if (isTls) return void socket.end(PLAIN_400);
      this.plain.emit('connection', socket);
      socket.emit('data', first);
      socket.resume();
    };
    const toTls = (): void => {
      socket.unshift(first);
      this.tlsServer(context).emit('connection', socket);
    };
    switch (context.mode) {
      case undefined:
      case 'DISABLE':
        return plainApp();
      case 'STRICT':
        return isTls ? toTls() : void socket.destroy();
      case 'PERMISSIVE':
        if (!isTls) return plainApp();
        if (clientHelloAlpn(first).some((p) => p.startsWith('istio'))) return toTls();
        return context.httpDeclared ? void socket.destroy() : plainApp();
    }
  }

  /** A hostile mTLS server with the pod's identity (WorkloadFaults.target). */
  private faultServer(context: PortContext, fault: TargetFault): TlsServer {
    const identity = spiffeId(this.state.scenario.trustDomain, context.sim.pod.metadata!.namespace!, context.sim.pod.spec?.serviceAccountName ?? 'default');
    const key = `${identity} fault ${fault}`;
    let server = this.tlsServers.get(key);
    if (!server) {
      const issued = this.meshCa.workloadCertFor(identity);
      this.tlsServers.set(key, (server = faultServer(fault, { keyPem: issued.keyPem, chainPem: issued.chainPem, caPem: this.meshCa.rootPem })));
    }
    return server;
  }

  /** The sidecar's TLS server for the pod's identity: the HTTP chain (h2 or HTTP/1.1) or the TCP chain. */
  private tlsServer(context: PortContext): TlsServer {
    const identity = spiffeId(this.state.scenario.trustDomain, context.sim.pod.metadata!.namespace!, context.sim.pod.spec?.serviceAccountName ?? 'default');
    const key = `${identity} ${context.httpDeclared ? 'http' : 'tcp'}`;
    let server = this.tlsServers.get(key);
    if (server) return server;
    const issued = this.meshCa.workloadCertFor(identity);
    const options = {
      key: issued.keyPem, cert: issued.chainPem, ca: this.meshCa.rootPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2', 'http/1.1'],
    };
    // One TLS server ends the handshake; the negotiated protocol picks the HTTP stack. h2 on the TCP
    // chain reaches an HTTP/1.1 app raw: it answers the HTTP/2 preface (`PRI * HTTP/2.0`) with a 400
    // and hangs up, which an HTTP/2 client reads as garbage and then EOF (`unexpected EOF`).
    server = createTlsServer(options, (tlsSocket) => {
      if (tlsSocket.alpnProtocol === 'h2') {
        if (context.httpDeclared) return void this.h2.emit('secureConnection', tlsSocket);
        return void tlsSocket.once('data', () => tlsSocket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
      }
      // bytes read with the handshake's last flight (a request sent at once, as openssl does) are
      // replayed: the HTTP server parses from the handle onwards
      const early: Buffer[] = [];
      for (let chunk: Buffer | null; (chunk = tlsSocket.read() as Buffer | null) !== null;) early.push(chunk);
      this.plain.emit('connection', tlsSocket);
      for (const chunk of early) tlsSocket.emit('data', chunk);
      tlsSocket.resume();
    });
    server.on('tlsClientError', () => undefined);
    this.tlsServers.set(key, server);
    return server;
  }

  private respond(req: IncomingMessage, res: ServerResponse): void {
    const context = this.contexts.get(`${req.socket.localAddress}:${req.socket.localPort}`);
    if (!context) return void res.writeHead(500).end();
    if (context.api) return context.api.handle(req, res);
    const viaSidecar = context.mode !== undefined;
    const envoyHeaders = viaSidecar ? { server: 'istio-envoy', 'x-envoy-upstream-service-time': '2' } : {};
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...envoyHeaders });
      res.end(body);
    };
    if (viaSidecar) {
      const namespace = context.sim.pod.metadata!.namespace!;
      const denied = authorizationDenies(this.state.ofKind('AuthorizationPolicy'), MESH_ROOT_NAMESPACE, namespace, context.sim.pod.metadata?.labels ?? {}, {
        principal: principalOf(req.socket), port: context.port, path, method: req.method ?? 'GET',
      });
      if (denied) return send(403, 'text/plain', 'RBAC: access denied');
    }
    const { faults } = context;
    if (faults.httpStatus === 503 && viaSidecar) return send(503, 'text/plain', ENVOY_503);
    if (faults.httpStatus) return send(faults.httpStatus, 'text/plain; charset=utf-8', `${faults.httpStatus} simulated failure\n`);
    const metricsPath = context.port === MERGED_METRICS_PORT && context.sim.injected ? '/stats/prometheus' : '/metrics';
    if (path !== metricsPath) return send(404, 'text/plain; charset=utf-8', '404 page not found\n');
    if (faults.body === 'html') return send(200, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>Orders</title></head><body><h1>Welcome</h1></body></html>\n');
    if (faults.body === 'json') return send(200, 'application/json', '{"status":"ok","uptime":12345}\n');
    const body = METRICS_BODY(context.sim);
    if (faults.behaviour === 'trickle') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', ...envoyHeaders });
      let sent = 0;
      const timer = setInterval(() => {
        if (sent >= body.length) {
          clearInterval(timer);
          return void res.end();
        }
        res.write(body[sent++]);
      }, TRICKLE_INTERVAL_MS);
      res.on('close', () => clearInterval(timer));
      return;
    }
    send(200, 'text/plain; version=0.0.4; charset=utf-8', body);
  }
}
