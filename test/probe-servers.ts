/**
 * Real servers for the probe tests: Node's TLS/https/http2, `openssl s_server`, nginx, plain HTTP, and
 * misbehaving listeners (silent, resetting, trickling, endless). Certificates are Istio-shaped, minted
 * at test time by the simulator's CA. Every server is tracked and closed by `closeAll()`.
 */
import { requirePeer } from './helpers/peers.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { spiffeId } from '../src/pki/index.js';
import { CertificateAuthority, type IssuedCert } from '../src/sim/ca.js';

/**
 * A probe that gives up (its timeout, a reset) leaves the server's socket with ECONNRESET or EPIPE:
 * the lab's servers ignore it, as a real server logs it and moves on. Unhandled, that 'error' would
 * fail the whole run by chance, after the test that caused it had passed.
 */
const ignoreSocketError = (): void => undefined;

export const METRICS = '# HELP up whether up\n# TYPE up gauge\nup 1\nhttp_requests_total{code="200"} 42\nprocess_cpu_seconds_total 3.5e-2\n';
export const TRUST_DOMAIN = 'cluster.local';
export const PROMETHEUS_ID = spiffeId(TRUST_DOMAIN, 'monitoring', 'prometheus');
export const TARGET_ID = spiffeId(TRUST_DOMAIN, 'app', 'web');

export class ProbeLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'asm-prom-probe-'));
  readonly mesh = new CertificateAuthority(TRUST_DOMAIN, true);
  readonly otherMesh = new CertificateAuthority('other.mesh', false);
  readonly server: IssuedCert = this.mesh.issueWorkload(TARGET_ID);
  readonly prometheus: IssuedCert = this.mesh.issueWorkload(PROMETHEUS_ID);
  private readonly closers: (() => Promise<void> | void)[] = [];

  /** A --certs-dir: root-cert.pem always; cert-chain.pem and key.pem unless `client` is null. */
  certsDir(name: string, client: IssuedCert | null = this.prometheus, root = this.mesh.rootPem): string {
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'root-cert.pem'), root);
    if (client) {
      writeFileSync(join(dir, 'cert-chain.pem'), client.chainPem);
      writeFileSync(join(dir, 'key.pem'), client.keyPem, { mode: 0o600 });
    }
    return dir;
  }

  file(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  /** Node's TLS options of an mTLS server that requires a client certificate of the mesh. */
  serverTls(options: { maxVersion?: tls.SecureVersion; cert?: IssuedCert } = {}): tls.TlsOptions {
    const cert = options.cert ?? this.server;
    return { cert: cert.chainPem, key: cert.keyPem, ca: this.mesh.rootPem, requestCert: true, rejectUnauthorized: true, ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}) };
  }

  async listen(server: net.Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.closers.push(() => new Promise<void>((resolve) => {
      (server as http.Server).closeAllConnections?.();
      server.close(() => resolve());
    }));
    // Misbehaving servers keep sockets open on purpose: destroy them at the end.
    const sockets = new Set<net.Socket>();
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', ignoreSocketError);
    });
    server.on('secureConnection', (s: tls.TLSSocket) => s.on('error', ignoreSocketError));
    this.closers.push(() => sockets.forEach((s) => s.destroy()));
    return (server.address() as net.AddressInfo).port;
  }

  /** HTTPS with requestCert: /metrics, /forbidden (403), /unavailable (503), /html (200 text/html). */
  https(options: { maxVersion?: tls.SecureVersion; cert?: IssuedCert } = {}): Promise<number> {
    return this.listen(https.createServer(this.serverTls(options), metricsHandler));
  }

  /** HTTP/2 over TLS (ALPN h2) with requestCert. */
  http2(): Promise<number> {
    return this.listen(http2.createSecureServer({ ...this.serverTls(), allowHTTP1: true }, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(METRICS);
    }));
  }

  plainHttp(): Promise<number> {
    return this.listen(http.createServer(metricsHandler));
  }

  /** A TLS server that accepts the client certificate, then closes without answering (Envoy's TCP chain on h2). */
  tlsCloseAfterHandshake(): Promise<number> {
    return this.listen(tls.createServer(this.serverTls(), (socket) => socket.once('data', () => socket.end())));
  }

  /** A TLS server that answers the headers, then one byte every 200 ms, forever. */
  tlsTrickle(): Promise<number> {
    return this.listen(tls.createServer(this.serverTls(), (socket) => socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n');
      const timer = setInterval(() => socket.write('u'), 200);
      socket.on('close', () => clearInterval(timer));
      socket.on('error', () => clearInterval(timer));
    })));
  }

  /** A TLS server whose close-delimited body never ends, as fast as the socket drains. */
  tlsEndless(): Promise<number> {
    const line = Buffer.from('endless_samples_total{i="0123456789"} 1\n'.repeat(1000));
    return this.listen(tls.createServer(this.serverTls(), (socket) => socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\n\r\n');
      const pump = () => {
        while (!socket.destroyed && socket.write(line));
      };
      socket.on('drain', pump);
      socket.on('error', () => undefined);
      pump();
    })));
  }

  /** Accepts and never speaks. */
  silent(): Promise<number> {
    return this.listen(net.createServer(() => undefined));
  }

  /** Accepts and resets (RST) at once. */
  resetting(): Promise<number> {
    return this.listen(net.createServer((socket) => socket.resetAndDestroy()));
  }

  /** A port nobody listens on. */
  async closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  /** `openssl s_server -Verify 1 -verify_return_error -WWW`: real TLS alerts, serving ./metrics. */
  async opensslServer(extra: string[] = []): Promise<number> {
    const dir = join(this.dir, `s_server-${this.closers.length}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'metrics'), METRICS);
    const cert = this.file(`s_server-${this.closers.length}-cert.pem`, this.server.chainPem);
    const key = this.file(`s_server-${this.closers.length}-key.pem`, this.server.keyPem);
    const ca = this.file(`s_server-${this.closers.length}-ca.pem`, this.mesh.rootPem);
    const port = await this.closedPort();
    const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-cert_chain', cert, '-key', key, '-CAfile', ca, '-Verify', '1', '-verify_return_error', '-WWW', ...extra], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    this.track(child);
    await waitForPort(port);
    return port;
  }

  /** nginx with ssl_verify_client on, in the foreground with its own prefix. */
  async nginx(): Promise<number> {
    const prefix = join(this.dir, `nginx-${this.closers.length}`);
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const port = await this.closedPort();
    writeFileSync(join(prefix, 'cert.pem'), this.server.chainPem);
    writeFileSync(join(prefix, 'key.pem'), this.server.keyPem);
    writeFileSync(join(prefix, 'ca.pem'), this.mesh.rootPem);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${prefix}/${t};`).join(' ');
    writeFileSync(join(prefix, 'nginx.conf'), `daemon off; master_process off; worker_processes 1; pid ${prefix}/nginx.pid; error_log stderr crit;
events { worker_connections 64; }
http { access_log off; ${temp}
  server { listen 127.0.0.1:${port} ssl; ssl_certificate ${prefix}/cert.pem; ssl_certificate_key ${prefix}/key.pem;
    ssl_client_certificate ${prefix}/ca.pem; ssl_verify_client on; ssl_verify_depth 4;
    location /metrics { default_type "text/plain; version=0.0.4"; return 200 "up 1\\n"; } } }
`);
    const child = spawn(requirePeer('nginx'), ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.track(child);
    await waitForPort(port);
    return port;
  }

  private track(child: ChildProcess): void {
    child.stdout?.resume();
    child.stderr?.resume();
    this.closers.push(() => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }));
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.reverse()) await close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function metricsHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(METRICS);
  } else if (path === '/forbidden') {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('RBAC: access denied');
  } else if (path === '/unavailable') {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('upstream connect error or disconnect/reset before headers');
  } else if (path === '/html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>hello</body></html>');
  } else {
    res.writeHead(404);
    res.end('not found');
  }
}

/** Polls until something accepts on the port (child servers start asynchronously). */
async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}
