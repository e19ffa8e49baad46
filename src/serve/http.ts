/**
 * serve's HTTP side: /metrics (text format, or OpenMetrics when the Accept header asks for it),
 * /healthz, /readyz (200 once a run has ended) and /report (the last run's `-o json` document).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../core/errors.js';
import { renderJson } from '../reporters/json.js';
import { CONTENT_TYPES } from '../reporters/prometheus.js';
import type { Exporter } from './exporter.js';

export interface ListenAddress { host?: string; port: number }

/** `:9479`, `0.0.0.0:9479`, `127.0.0.1:0`, `[::1]:9479`, as Go's net.Listen and Prometheus's exporters take them. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535) throw new UsageError(`--listen ${text}: expected [HOST]:PORT, e.g. :9479 or 127.0.0.1:9479`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

/** OpenMetrics only when the scraper says it accepts it (Prometheus does when scrape_protocols allow it). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return /application\/openmetrics-text/i.test(accept ?? '');
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

function handle(exporter: Exporter, req: IncomingMessage, res: ServerResponse): void {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  switch (path) {
    case '/metrics': {
      const format = wantsOpenMetrics(req.headers.accept) ? 'openmetrics' : 'text';
      return send(res, 200, CONTENT_TYPES[format], exporter.metrics(format), head);
    }
    case '/healthz':
      return send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head);
    case '/readyz':
      return exporter.ready ? send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head) : send(res, 503, 'text/plain; charset=utf-8', 'the first run has not ended yet\n', head);
    case '/report': {
      const summary = exporter.lastSummary;
      return summary ? send(res, 200, 'application/json', renderJson(summary), head) : send(res, 503, 'text/plain; charset=utf-8', 'no run has ended yet\n', head);
    }
    default:
      return send(res, 404, 'text/plain; charset=utf-8', 'not found: /metrics, /healthz, /readyz, /report\n', head);
  }
}

export function startHttp(exporter: Exporter, address: ListenAddress): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => handle(exporter, req, res));
  // A scraper that holds a connection open must not keep the process past SIGTERM.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new UsageError(`--listen: ${error.code === 'EADDRINUSE' ? 'address already in use' : error.message}`)));
    server.listen(address.port, address.host, () => {
      const { address: host, port } = server.address() as AddressInfo;
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` });
    });
  });
}
