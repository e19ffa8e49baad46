/**
 * The HTTP side of a probe, shared by the local probe and `--probe pod` (where the request goes to
 * `openssl s_client` on stdin and the response comes back as raw bytes): the request Prometheus
 * sends, an incremental HTTP/1.1 response reader with a byte cap, and the body's sample count.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';

/** Stop reading a body after this many bytes and judge what arrived (an endless body cannot hang or exhaust us). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Prometheus's scrape Accept header (2.42), so that a target negotiates the format it would serve Prometheus. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface ScrapeRequest {
  host: string;
  port: number;
  /** path with the query string of the monitor's params */
  pathWithQuery: string;
  timeoutMs: number;
}

/** The metrics path with the monitor's `params` as a query string, as Prometheus builds the URL. */
export function pathWithParams(path: string, params: Readonly<Record<string, readonly string[]>> = {}): string {
  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(params)) for (const value of values) query.append(name, value);
  const text = query.toString();
  if (!text) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${text}`;
}

export function scrapeHeaders(request: ScrapeRequest): Record<string, string> {
  return {
    accept: PROMETHEUS_ACCEPT,
    // As Prometheus asks: a server may answer gzip either way, and decodeBody inflates it, as Prometheus does.
    'accept-encoding': 'gzip',
    'user-agent': 'asm-prom (like Prometheus)',
    'x-prometheus-scrape-timeout-seconds': String(request.timeoutMs / 1000),
  };
}

/** An HTTP/1.1 GET as bytes; `Connection: close` so that the server ends the exchange (openssl s_client waits for it). */
export function http1Request(request: ScrapeRequest): string {
  const authority = request.host.includes(':') ? `[${request.host}]:${request.port}` : `${request.host}:${request.port}`;
  const headers = Object.entries(scrapeHeaders(request)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `GET ${request.pathWithQuery} HTTP/1.1\r\nhost: ${authority}\r\n${headers}connection: close\r\n\r\n`;
}

export interface HttpResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: Buffer;
  /** the body ended as framed (length, last chunk, or the close of a close-delimited body) */
  complete: boolean;
  /** reading stopped at MAX_BODY_BYTES */
  truncated: boolean;
}

/**
 * Reads an HTTP/1.x response from successive chunks. `head` is set once the status line and headers
 * have arrived; `done` once the body is complete or capped. Close-delimited bodies complete at `end()`.
 */
export class Http1ResponseReader {
  head?: { status: number; reason: string; headers: Record<string, string> };
  done = false;
  truncated = false;
  /** bytes of the response seen so far, head included */
  bytesSeen = 0;
  /** the first bytes, to tell what answered when it is not HTTP */
  preview = '';
  private buffered: Buffer = Buffer.alloc(0);
  private readonly bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  private framing?: { kind: 'length'; remaining: number } | { kind: 'chunked'; state: 'size' | 'data' | 'crlf' | 'trailer'; remaining: number } | { kind: 'close' };

  /** Feeds bytes; returns true when the response is complete (or capped) and reading can stop. */
  push(chunk: Buffer): boolean {
    if (this.done) return true;
    this.bytesSeen += chunk.length;
    if (this.preview.length < 64) this.preview += chunk.subarray(0, 64 - this.preview.length).toString('latin1');
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    if (!this.head && !this.parseHead()) return false;
    this.parseBody();
    return this.done;
  }

  /** The connection ended: a close-delimited body is complete now; anything else is cut short. */
  end(): void {
    if (this.framing?.kind === 'close') this.done = true;
  }

  /** The response so far, or undefined when no status line arrived. */
  response(): HttpResponse | undefined {
    if (!this.head) return undefined;
    return { ...this.head, body: Buffer.concat(this.bodyParts), complete: this.done && !this.truncated, truncated: this.truncated };
  }

  private parseHead(): boolean {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buffered.length > 64 * 1024) this.done = true; // not HTTP, or absurd headers
      return false;
    }
    const lines = this.buffered.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (!m) {
      this.done = true;
      return false;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    this.head = { status: Number(m[1]), reason: m[2] ?? '', headers };
    this.buffered = this.buffered.subarray(end + 4);
    const length = headers['content-length'];
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) this.framing = { kind: 'chunked', state: 'size', remaining: 0 };
    else if (length !== undefined && /^\d+$/.test(length)) this.framing = { kind: 'length', remaining: Number(length) };
    else this.framing = { kind: 'close' };
    return true;
  }

  private parseBody(): void {
    const framing = this.framing!;
    if (framing.kind === 'close') {
      this.take(this.buffered.length);
    } else if (framing.kind === 'length') {
      const n = Math.min(framing.remaining, this.buffered.length);
      this.take(n);
      framing.remaining -= n;
      if (framing.remaining === 0) this.done = true;
    } else {
      this.parseChunks(framing);
    }
  }

  private parseChunks(framing: { state: 'size' | 'data' | 'crlf' | 'trailer'; remaining: number }): void {
    while (!this.done && this.buffered.length) {
      if (framing.state === 'data') {
        const n = Math.min(framing.remaining, this.buffered.length);
        this.take(n);
        framing.remaining -= n;
        if (framing.remaining === 0) framing.state = 'crlf';
        continue;
      }
      const eol = this.buffered.indexOf('\r\n');
      if (eol < 0) return;
      const line = this.buffered.subarray(0, eol).toString('latin1');
      this.buffered = this.buffered.subarray(eol + 2);
      if (framing.state === 'crlf') {
        framing.state = 'size';
      } else if (framing.state === 'trailer') {
        if (line === '') this.done = true;
      } else {
        const size = parseInt(line, 16);
        if (Number.isNaN(size)) {
          this.done = true;
        } else if (size === 0) {
          framing.state = 'trailer';
        } else {
          framing.remaining = size;
          framing.state = 'data';
        }
      }
    }
  }

  /** Moves n bytes of the buffer into the body, up to the cap. */
  private take(n: number): void {
    const room = MAX_BODY_BYTES - this.bodyBytes;
    const kept = this.buffered.subarray(0, Math.min(n, room));
    if (kept.length) this.bodyParts.push(kept);
    this.bodyBytes += kept.length;
    this.buffered = this.buffered.subarray(n);
    if (this.bodyBytes >= MAX_BODY_BYTES) {
      this.truncated = true;
      this.done = true;
    }
  }
}

/**
 * The body as Prometheus parses it. Prometheus inflates a `Content-Encoding: gzip` body (it asks for
 * gzip, and some servers send it whatever is asked), so the probe does too, up to MAX_BODY_BYTES;
 * other encodings Prometheus reads as they are. Undefined when a gzip body does not inflate:
 * Prometheus fails that scrape (`gzip: invalid header`).
 */
export function decodeBody(response: Pick<HttpResponse, 'headers' | 'body' | 'truncated'>): { body: Buffer; truncated: boolean } | undefined {
  if (!/^\s*gzip\s*$/i.test(response.headers['content-encoding'] ?? '')) return { body: response.body, truncated: response.truncated };
  // A body cut at the cap (or a gzip bomb cut below) inflates as far as it goes: sync flush, no end check.
  const inflate = (input: Buffer) => gunzipSync(input, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: MAX_BODY_BYTES });
  try {
    return { body: inflate(response.body), truncated: response.truncated };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') return undefined;
  }
  // It inflates beyond the cap: keep the largest halving of its compressed bytes that fits, as a capped body.
  for (let length = response.body.length >> 1; length > 0; length >>= 1) {
    try {
      return { body: inflate(response.body.subarray(0, length)), truncated: true };
    } catch {
      // still too large (or too short to inflate): halve again
    }
  }
  return undefined;
}

export interface MetricsBody {
  format: 'openmetrics' | 'prometheus-text' | 'not-metrics';
  samples: number;
}

// A sample line: metric name (or a quoted OpenMetrics 2 name), optional labels, a value, optional timestamp.
const SAMPLE_LINE = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*|\{"[^"]*")(?:\{.*\})?\s+(?:[-+]?(?:\d|\.\d)[\d.eE+-]*|[-+]?Inf|NaN)(?:\s+\S+)?(?:\s*#.*)?$/;
const METRICS_TYPES = /^(text\/plain|application\/openmetrics-text)\b/i;

/**
 * Counts the samples of a Prometheus text or OpenMetrics body. It is not metrics when the declared
 * type is something else (HTML error pages, JSON) or a non-comment line is not a sample. When the
 * body was cut at the byte cap, its last (partial) line is ignored.
 */
export function countSamples(body: Buffer, contentType: string | undefined, truncated = false): MetricsBody {
  if (contentType && !METRICS_TYPES.test(contentType)) return { format: 'not-metrics', samples: 0 };
  const lines = body.toString('utf8').split('\n');
  if (truncated) lines.pop();
  let samples = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!SAMPLE_LINE.test(line)) return { format: 'not-metrics', samples: 0 };
    samples++;
  }
  const openMetrics = /openmetrics/i.test(contentType ?? '') || /^# EOF\s*$/m.test(body.subarray(-64).toString('utf8'));
  return { format: openMetrics ? 'openmetrics' : 'prometheus-text', samples };
}
