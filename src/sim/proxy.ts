/**
 * The API server's proxy subresources: `services/[scheme:]name[:port]/proxy/<path>` to a ready
 * endpoint of the service (or to a backend registered for it), `pods/name[:port]/proxy/<path>` to
 * the pod's address. Failures come back as kube-apiserver words them (503 `error trying to reach
 * service: …`, 404 for unknown objects).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { EndpointSlice, Pod, Service } from '../model/k8s.js';
import { sendStatus, type ResourceRequest } from './api-server.js';
import type { ClusterState } from './cluster.js';
import { resolveTargetPort } from './cluster.js';

const PROXY_TIMEOUT_MS = 15_000;

export class ProxyService {
  private readonly backends = new Map<string, URL>();
  private readonly inFlight = new Set<IncomingMessage>();

  constructor(private readonly state: ClusterState) {}

  registerBackend(namespace: string, service: string, port: string | number, url: string): void {
    this.backends.set(`${namespace}/${service}:${port}`, new URL(url));
  }

  handle(req: IncomingMessage, res: ServerResponse, target: ResourceRequest, url: URL): void {
    const parts = target.name!.split(':');
    const [scheme, name, port] = parts.length === 3 ? parts : [undefined, parts[0], parts[1]];
    const kind = target.resource.resource;
    const destination = kind === 'services' ? this.serviceDestination(target.namespace, name, port) : this.podDestination(target.namespace, name, port);
    if ('error' in destination) return sendStatus(res, destination.code, destination.code === 404 ? 'NotFound' : 'ServiceUnavailable', destination.error, { name, kind });
    const base = destination.url;
    const useTls = (scheme ?? base.protocol.replace(':', '')) === 'https';
    const path = `${base.pathname.replace(/\/$/, '')}${target.rest || '/'}${url.search}`;
    const forward = (useTls ? httpsRequest : httpRequest)({
      host: base.hostname, port: base.port, path, method: req.method, timeout: PROXY_TIMEOUT_MS, rejectUnauthorized: false,
      headers: { accept: req.headers.accept ?? '*/*', ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}) },
    }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, { ...(upstream.headers['content-type'] ? { 'content-type': upstream.headers['content-type'] } : {}) });
      upstream.pipe(res);
      upstream.on('error', () => res.destroy());
    });
    this.inFlight.add(req);
    req.on('close', () => this.inFlight.delete(req));
    forward.on('timeout', () => forward.destroy(Object.assign(new Error('context deadline exceeded'), { code: 'ETIMEDOUT' })));
    forward.on('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy();
      const reason = error.code === 'ECONNREFUSED' ? `dial tcp ${base.host}: connect: connection refused` : error.code === 'ETIMEDOUT' ? 'context deadline exceeded' : error.code === 'ECONNRESET' ? 'EOF' : error.message;
      sendStatus(res, 503, 'ServiceUnavailable', `error trying to reach service: ${reason}`);
    });
    req.pipe(forward);
  }

  private serviceDestination(namespace: string, name: string, port: string | undefined): { url: URL } | { error: string; code: number } {
    const svc = this.state.get({ group: '', resource: 'services' }, namespace, name) as Service | undefined;
    if (!svc) return { error: `services "${name}" not found`, code: 404 };
    const servicePort = port === undefined ? svc.spec?.ports?.[0] : svc.spec?.ports?.find((p) => p.name === port || String(p.port) === port);
    if (!servicePort) return { error: `no service port "${port}" found for service "${name}"`, code: 503 };
    const backend = [servicePort.name, servicePort.port].map((p) => this.backends.get(`${namespace}/${name}:${p}`)).find(Boolean);
    if (backend) return { url: backend };
    const slices = (this.state.ofKind('EndpointSlice', namespace) as EndpointSlice[]).filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name);
    for (const slice of slices) {
      const slicePort = slice.ports?.find((p) => (p.name ?? '') === (servicePort.name ?? ''));
      const endpoint = slice.endpoints?.find((e) => e.conditions?.ready !== false && e.addresses?.length);
      if (slicePort?.port && endpoint) return { url: new URL(`http://${endpoint.addresses![0]}:${slicePort.port}`) };
    }
    return { error: `no endpoints available for service "${name}"`, code: 503 };
  }

  private podDestination(namespace: string, name: string, port: string | undefined): { url: URL } | { error: string; code: number } {
    const sim = this.state.podByName(namespace, name);
    if (!sim) return { error: `pods "${name}" not found`, code: 404 };
    const pod: Pod = sim.pod;
    const number = port === undefined ? pod.spec?.containers?.[0]?.ports?.[0]?.containerPort : resolveTargetPort(pod, /^\d+$/.test(port) ? Number(port) : port, undefined);
    if (!number) return { error: `no port "${port ?? ''}" in pod "${name}"`, code: 503 };
    return { url: new URL(`http://${sim.ip}:${number}`) };
  }

  stop(): void {
    for (const req of this.inFlight) req.destroy();
  }
}
