/**
 * The simulated kube-apiserver: HTTPS on loopback, bearer-token or client-certificate users,
 * discovery, get/list/watch with label and field selectors and pagination, access reviews,
 * `kind: Status` errors, and hand-offs to exec (WebSocket upgrade) and the proxy subresources.
 * Every request is logged (method, path, query, verb, status) for the tests' request counts.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { KubeObject } from '../model/k8s.js';
import { PatchError, type PatchType } from '../fix/patch.js';
import type { ClusterState } from './cluster.js';
import {
  apiGroupDoc, apiGroupListDoc, apiResourceListDoc, apiVersionsDoc, findResource, groupVersionOf, type ApiResource,
} from './discovery.js';
import { forbiddenMessage, isForbidden, rbacAllows, type ResourceAttributes } from './rbac.js';
import type { ApiFault, Faults } from './scenario.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { toTable, wantsTable } from './table.js';

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  /** the raw query string, without `?` */
  query: string;
  /** get, list, watch, create, exec, proxy (Kubernetes audit verbs, with exec/proxy for the subresources) */
  verb: string;
  resource?: string;
  namespace?: string;
  status: number;
  durationMs: number;
}

/** A parsed resource URL. */
export interface ResourceRequest {
  resource: ApiResource;
  namespace: string;
  name?: string;
  subresource?: string;
  /** the path after the subresource (proxy paths) */
  rest: string;
}

export interface SubresourceHandlers {
  /** a WebSocket upgrade of pods/{name}/exec; access is already checked */
  exec(req: IncomingMessage, socket: Duplex, head: Buffer, target: ResourceRequest, url: URL): void;
  /** pods/{name}/proxy and services/{name}/proxy; access is already checked */
  proxy(req: IncomingMessage, res: ServerResponse, target: ResourceRequest, url: URL): void;
  /**
   * PATCH of a stored object (for the --fix proof: `kubectl patch` against the simulated cluster);
   * returns the object as stored afterwards. Throws PatchError for a patch that does not apply.
   */
  patch?(target: ResourceRequest, object: KubeObject, type: PatchType, patch: unknown): Promise<KubeObject>;
}

/** `kubectl patch --type` → the request's Content-Type. */
const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};
/** API groups of built-in kinds: only they take a strategic merge patch (a custom resource answers 415). */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'rbac.authorization.k8s.io', 'discovery.k8s.io', 'policy', 'networking.k8s.io', 'autoscaling']);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface ApiServerOptions {
  state: ClusterState;
  faults: Faults;
  token: string;
  /** CN of the client-certificate user the kubeconfig carries */
  certUser: string;
  tls: { keyPem: string; certPem: string; caPem: string };
  handlers: SubresourceHandlers;
}

export const TOKEN_USER = 'asm-prom-doctor';
const WATCH_MAX_MS = 60_000;
const SOCKET_TIMEOUT_MS = 120_000;

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** Responses whose JSON is to be cut in the middle (the `truncate` API fault). */
const TORN = new WeakSet<ServerResponse>();

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  sendText(res, code, JSON.stringify(body));
}

function sendText(res: ServerResponse, code: number, whole: string): void {
  const text = TORN.has(res) ? whole.slice(0, whole.length >> 1) : whole;
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendStatus(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  sendJson(res, code, statusBody(code, reason, message, details));
}

/** An HTTP error before a WebSocket upgrade: written on the raw socket. */
export function rejectUpgrade(socket: Duplex, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  const text = JSON.stringify(statusBody(code, reason, message, details));
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

/**
 * Each stored object's JSON at a served version, made once: at thousands of pods, serialising every
 * list anew made the simulator, not the doctor, the slow side of a run (a benchmark measures the
 * doctor). Keyed on the object and checked against its resourceVersion, so a changed object is
 * serialised again.
 */
const servedJson = new WeakMap<KubeObject, { version: string; resourceVersion: string | undefined; text: string }>();

/** kube-apiserver lists in storage-key order: namespace, then name, compared as bytes (not by locale). */
const byKey = (a: KubeObject, b: KubeObject): number => {
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

interface ContinueToken { offset: number; rv: string }

const encodeContinue = (t: ContinueToken) => Buffer.from(JSON.stringify(t)).toString('base64url');
function decodeContinue(text: string): ContinueToken | undefined {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    return Number.isInteger(t.offset) && t.offset >= 0 ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Parses `/api/v1/...` and `/apis/<group>/<version>/...` resource paths. */
function parseResourcePath(path: string): ResourceRequest | 'no-such-resource' | undefined {
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, version, rest] = ['', parts[1], parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  else return undefined;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = findResource(group, version, rest[0]);
  if (!resource) return 'no-such-resource';
  return { resource, namespace, name: rest[1] ? decodeURIComponent(rest[1]) : undefined, subresource: rest[2], rest: rest.length > 3 ? `/${rest.slice(3).join('/')}` : path.endsWith('/') && rest[2] ? '/' : '' };
}

export class SimApiServer {
  readonly requestLog: RequestLogEntry[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<ServerResponse>();
  /** how many requests each API fault has hit */
  private readonly faultHits = new Map<ApiFault, number>();

  constructor(private readonly options: ApiServerOptions) {
    this.server = createServer({ key: options.tls.keyPem, cert: options.tls.certPem, ca: options.tls.caPem, requestCert: true, rejectUnauthorized: false });
    this.server.on('request', (req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => void this.handleUpgrade(req, socket, head));
    this.server.on('connection', (socket: Socket) => {
      socket.setTimeout(SOCKET_TIMEOUT_MS, () => socket.destroy());
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => resolve());
    });
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the simulated API server has no address');
    return `https://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const res of this.watches) res.end();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The authenticated user, or undefined (401). */
  private userOf(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    if (auth === `Bearer ${this.options.token}`) return TOKEN_USER;
    const socket = req.socket as TLSSocket;
    if (!auth && socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      if (cn === this.options.certUser) return cn;
    }
    return undefined;
  }

  private log(req: IncomingMessage, url: URL, verb: string, status: number, started: number, target?: ResourceRequest): void {
    this.requestLog.push({
      time: new Date(started).toISOString(), method: req.method ?? 'GET', path: url.pathname, query: url.search.replace(/^\?/, ''), verb,
      ...(target ? { resource: target.resource.resource + (target.subresource ? `/${target.subresource}` : ''), ...(target.namespace ? { namespace: target.namespace } : {}) } : {}),
      status, durationMs: Date.now() - started,
    });
  }

  private async delay(): Promise<void> {
    const ms = this.options.faults.apiLatencyMs ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** RBAC attributes of a request, as the real authorizer derives them. */
  private attributes(target: ResourceRequest, verb: string): ResourceAttributes {
    return { verb, group: target.resource.group, resource: target.resource.resource + (target.subresource ? `/${target.subresource}` : ''), namespace: target.resource.namespaced ? target.namespace : '', name: target.name };
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://sim');
    socket.on('error', () => socket.destroy());
    await this.delay();
    const target = parseResourcePath(url.pathname);
    const fail = (code: number, reason: string, message: string, t?: ResourceRequest) => {
      rejectUpgrade(socket, code, reason, message);
      this.log(req, url, 'exec', code, started, t);
    };
    const user = this.userOf(req);
    if (!user) return fail(401, 'Unauthorized', 'Unauthorized');
    if (!target || target === 'no-such-resource' || target.resource.resource !== 'pods' || target.subresource !== 'exec' || !target.name) return fail(404, 'NotFound', 'the server could not find the requested resource');
    // since 1.30 a WebSocket exec (a GET) is authorized as `create` on pods/exec
    const attributes = this.attributes(target, 'create');
    if (isForbidden(this.options.faults.forbid, attributes)) return fail(403, 'Forbidden', forbiddenMessage(user, attributes), target);
    this.options.handlers.exec(req, socket, head, target, url);
    this.log(req, url, 'exec', 101, started, target);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://sim');
    let verb = req.method === 'POST' ? 'create' : 'get';
    let target: ResourceRequest | undefined;
    res.on('close', () => this.log(req, url, verb, res.statusCode, started, target));
    await this.delay();
    const user = this.userOf(req);
    if (!user) return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    const early = parseResourcePath(url.pathname);
    if (early && early !== 'no-such-resource') target = early;
    if (await this.injectFault(url.pathname, res)) return;

    const discovery = this.discovery(url.pathname);
    if (discovery) return req.method === 'GET' ? sendJson(res, 200, discovery) : sendStatus(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const parsed = parseResourcePath(url.pathname);
    // a CRD the scenario leaves uninstalled answers as kube-apiserver does for any unknown resource
    if (!parsed || parsed === 'no-such-resource' || this.options.faults.notServed?.includes(parsed.resource.resource)) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    target = parsed;
    const { resource, namespace, name, subresource } = parsed;

    if (subresource === 'proxy' && (resource.resource === 'services' || resource.resource === 'pods')) {
      verb = 'proxy';
      const attributes = this.attributes(parsed, req.method === 'GET' ? 'get' : (req.method ?? 'get').toLowerCase());
      if (isForbidden(this.options.faults.forbid, attributes)) return sendStatus(res, 403, 'Forbidden', forbiddenMessage(user, attributes), { name, kind: resource.resource });
      return this.options.handlers.proxy(req, res, parsed, url);
    }
    if (req.method === 'POST' && resource.createOnly && !name) return this.accessReview(req, res, user, resource);
    if (req.method === 'PATCH' && name && !subresource && !resource.createOnly && this.options.handlers.patch) {
      verb = 'patch';
      return this.patch(req, res, user, parsed);
    }
    if (subresource || (req.method !== 'GET' && req.method !== 'HEAD') || resource.createOnly) {
      return sendStatus(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', { ...(name ? { name } : {}), kind: resource.resource });
    }
    const watching = /^(true|1)$/.test(url.searchParams.get('watch') ?? '');
    verb = name ? 'get' : watching ? 'watch' : 'list';
    const attributes = this.attributes(parsed, verb);
    if (isForbidden(this.options.faults.forbid, attributes)) {
      return sendStatus(res, 403, 'Forbidden', forbiddenMessage(user, attributes), { ...(name ? { name } : {}), group: resource.group || undefined, kind: resource.resource });
    }
    if (resource.namespaced && namespace && !this.options.state.get({ group: '', resource: 'namespaces' }, undefined, namespace) && name) {
      return sendStatus(res, 404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    }
    if (name) {
      const object = this.options.state.get(resource, resource.namespaced ? namespace : undefined, name);
      if (!object) return sendStatus(res, 404, 'NotFound', `${resource.resource}${resource.group ? `.${resource.group}` : ''} "${name}" not found`, { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.resource });
      const item = this.present(object, resource);
      return sendJson(res, 200, wantsTable(req) ? toTable(resource, [item], {}) : item);
    }
    this.list(req, res, parsed, url, watching);
  }

  private async patch(req: IncomingMessage, res: ServerResponse, user: string, target: ResourceRequest): Promise<void> {
    const { resource, namespace, name } = target;
    const attributes = this.attributes(target, 'patch');
    if (isForbidden(this.options.faults.forbid, attributes)) return sendStatus(res, 403, 'Forbidden', forbiddenMessage(user, attributes), { name, kind: resource.resource });
    const type = PATCH_CONTENT_TYPES[(req.headers['content-type'] ?? '').split(';')[0]!.trim()];
    const text = await readBody(req);
    if (!type || (type === 'strategic' && !BUILT_IN_GROUPS.has(resource.group)))
      return sendStatus(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${BUILT_IN_GROUPS.has(resource.group) ? ', application/strategic-merge-patch+json' : ''}`);
    const object = this.options.state.get(resource, resource.namespaced ? namespace : undefined, name!);
    if (!object) return sendStatus(res, 404, 'NotFound', `${resource.resource}${resource.group ? `.${resource.group}` : ''} "${name}" not found`, { name, kind: resource.resource });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return sendStatus(res, 400, 'BadRequest', 'error decoding patch: invalid JSON');
    }
    try {
      const stored = await this.options.handlers.patch!(target, object, type, body);
      sendJson(res, 200, this.present(stored, resource));
    } catch (error) {
      if (error instanceof PatchError) return sendStatus(res, 422, 'Invalid', `${resource.resource} "${name}" is invalid: ${error.message}`, { name, kind: resource.resource });
      throw error;
    }
  }

  /** The first API fault that matches the request: answered here (true), or marked to tear the answer. */
  private async injectFault(path: string, res: ServerResponse): Promise<boolean> {
    const parsed = parseResourcePath(path);
    const resource = this.discovery(path) ? 'discovery' : parsed && parsed !== 'no-such-resource' ? parsed.resource.resource : undefined;
    const fault = (this.options.faults.api ?? []).find((f) => (f.resource === undefined || f.resource === resource) && (f.times === undefined || (this.faultHits.get(f) ?? 0) < f.times));
    if (!fault) return false;
    this.faultHits.set(fault, (this.faultHits.get(fault) ?? 0) + 1);
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.throttleSeconds !== undefined) {
      res.setHeader('Retry-After', String(fault.throttleSeconds));
      sendStatus(res, 429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: fault.throttleSeconds });
      return true;
    }
    if (fault.status) {
      sendStatus(res, fault.status, fault.status === 503 ? 'ServiceUnavailable' : 'InternalError', fault.status === 503 ? 'the server is currently unable to handle the request' : 'Internal error occurred: etcdserver: leader changed');
      return true;
    }
    if (fault.truncate) TORN.add(res);
    return false;
  }

  private discovery(path: string): object | undefined {
    const p = path.replace(/\/+$/, '') || '/';
    if (p === '/api') return apiVersionsDoc('127.0.0.1');
    if (p === '/apis') return apiGroupListDoc();
    if (p === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.4-sim', gitCommit: 'simulated', gitTreeState: 'clean', buildDate: '2025-04-22T00:00:00Z', goVersion: 'go1.23.8', compiler: 'gc', platform: 'linux/amd64' };
    if (p === '/api/v1') return apiResourceListDoc('', 'v1');
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (m) return m[2] ? apiResourceListDoc(m[1], m[2]) : apiGroupDoc(m[1]);
    return undefined;
  }

  /** An object as served at the requested version (security.istio.io serves v1 and v1beta1 alike). */
  private present(o: KubeObject, resource: ApiResource): KubeObject {
    return { ...o, apiVersion: groupVersionOf(resource), kind: resource.kind };
  }

  /** present(o) as JSON, from the cache while the object is unchanged. */
  private presentJson(o: KubeObject, resource: ApiResource): string {
    const version = groupVersionOf(resource);
    const cached = servedJson.get(o);
    if (cached && cached.version === version && cached.resourceVersion === (o.metadata?.resourceVersion as string | undefined)) return cached.text;
    const text = JSON.stringify(this.present(o, resource));
    servedJson.set(o, { version, resourceVersion: o.metadata?.resourceVersion as string | undefined, text });
    return text;
  }

  private list(req: IncomingMessage, res: ServerResponse, target: ResourceRequest, url: URL, watching: boolean): void {
    const { state } = this.options;
    const { resource } = target;
    let items = state.list(resource, resource.namespaced && target.namespace ? target.namespace : undefined);
    try {
      const labelSelector = url.searchParams.get('labelSelector');
      if (labelSelector) {
        const matches = parseLabelSelector(labelSelector);
        items = items.filter((o) => matches(o.metadata?.labels ?? {}));
      }
      const fieldSelector = url.searchParams.get('fieldSelector');
      if (fieldSelector) items = items.filter(parseFieldSelector(fieldSelector, resource.kind));
    } catch (error) {
      if (error instanceof SelectorError) return sendStatus(res, 400, 'BadRequest', error.message);
      throw error;
    }
    items = [...items].sort(byKey);
    if (watching) return this.watch(req, res, items.map((o) => this.present(o, resource)), url);

    const continueText = url.searchParams.get('continue');
    const token = continueText ? decodeContinue(continueText) : { offset: 0, rv: state.latestResourceVersion };
    if (!token) return sendStatus(res, 400, 'BadRequest', 'continue key is not valid: illegal base64 data');
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const end = limit > 0 ? token.offset + limit : items.length;
    const page = items.slice(token.offset, end);
    const metadata = {
      resourceVersion: token.rv,
      ...(end < items.length ? { continue: encodeContinue({ offset: end, rv: token.rv }), remainingItemCount: items.length - end } : {}),
    };
    if (wantsTable(req)) return sendJson(res, 200, toTable(resource, page.map((o) => this.present(o, resource)), metadata));
    // The list document around the objects' cached JSON: the same bytes JSON.stringify would give.
    const head = JSON.stringify({ kind: `${resource.kind}List`, apiVersion: groupVersionOf(resource), metadata }).slice(0, -1);
    sendText(res, 200, `${head},"items":[${page.map((o) => this.presentJson(o, resource)).join(',')}]}`);
  }

  /** A watch: ADDED for what exists (unless resuming from a resourceVersion), then quiet until it times out. */
  private watch(req: IncomingMessage, res: ServerResponse, items: KubeObject[], url: URL): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const resume = url.searchParams.get('resourceVersion');
    if (!resume || resume === '0') for (const object of items) res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    const seconds = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    const timer = setTimeout(() => res.end(), seconds > 0 ? Math.min(seconds * 1000, WATCH_MAX_MS) : WATCH_MAX_MS);
    this.watches.add(res);
    res.on('close', () => {
      clearTimeout(timer);
      this.watches.delete(res);
    });
    req.on('close', () => res.end());
  }

  private async accessReview(req: IncomingMessage, res: ServerResponse, user: string, resource: ApiResource): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let review: { spec?: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: unknown; user?: string; groups?: string[] } };
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return sendStatus(res, 400, 'BadRequest', `the body of the request was in an unknown format - accepted media types include: application/json`);
    }
    const ra = review.spec?.resourceAttributes;
    if (!ra) return sendJson(res, 201, { ...review, kind: resource.kind, apiVersion: groupVersionOf(resource), metadata: { creationTimestamp: null }, status: { allowed: true } });
    const attributes: ResourceAttributes = {
      verb: ra.verb ?? '', group: ra.group ?? '', resource: (ra.resource ?? '') + (ra.subresource ? `/${ra.subresource}` : ''), namespace: ra.namespace ?? '', name: ra.name || undefined,
    };
    const allowed = resource.resource === 'selfsubjectaccessreviews'
      ? !isForbidden(this.options.faults.forbid, attributes)
      : rbacAllows(this.options.state, review.spec?.user ?? '', review.spec?.groups ?? [], attributes);
    const subject = resource.resource === 'selfsubjectaccessreviews' ? user : review.spec?.user ?? '';
    sendJson(res, 201, {
      kind: resource.kind, apiVersion: groupVersionOf(resource), metadata: { creationTimestamp: null }, spec: review.spec,
      status: allowed ? { allowed: true, reason: `RBAC: allowed for "${subject}"` } : { allowed: false },
    });
  }
}
