/**
 * The HTTP side of a probe, shared by the local probe and `--probe pod` (where the request goes to
 * `openssl s_client` on stdin and the response comes back as raw bytes): the request Prometheus
 * sends, an incremental HTTP/1.1 response reader, and a body that is judged as it streams.
 *
 * A body is never buffered: its samples are counted line by line as it arrives (inflating gzip on the
 * way), so that a 50 MB kube-state-metrics page is judged in bounded memory, and a body that is still
 * arriving when --timeout ends is a timeout, as it is for Prometheus, with what was read as evidence.
 */
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, type Gunzip } from 'node:zlib';

/**
 * The largest response head read: Go's http.Transport default MaxResponseHeaderBytes (10 MiB, also
 * x/net/http2's default header-list limit), which Prometheus does not change. Larger is not HTTP to it.
 */
export const MAX_HEADER_BYTES = 10 << 20;

/** Bytes of a body kept whole, for what is judged on its start (nginx's certificate error pages). */
export const BODY_START_BYTES = 4096;

/** The longest line the sample counter holds whole; a longer one is judged by its start, then skipped to its end. */
const MAX_LINE_CHARS = 64 * 1024;

/** The longest chunk-size line of a chunked body (a hex number and extensions). */
const MAX_CHUNK_LINE_BYTES = 4096;

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
    // As Prometheus asks: a server may answer gzip either way, and ScrapeBody inflates it, as Prometheus does.
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

export interface ResponseHead {
  status: number;
  reason: string;
  headers: Record<string, string>;
}

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked'; state: 'size' | 'data' | 'crlf' | 'trailer'; remaining: number } | { kind: 'close' };

/**
 * Reads an HTTP/1.x response from successive chunks: `onHead` once the status line and headers have
 * arrived (up to MAX_HEADER_BYTES), then `onBody` with each piece of the body as it comes, unframed
 * and unbuffered. `done` once the body is complete, or once the bytes are plainly not HTTP.
 * Close-delimited bodies complete at `end()`.
 */
export class Http1ResponseReader {
  head?: ResponseHead;
  done = false;
  /** the body ended as framed (length, last chunk, or the close of a close-delimited body) */
  complete = false;
  /** bytes of the response seen so far, head included */
  bytesSeen = 0;
  /** the first bytes, to tell what answered when it is not HTTP */
  preview = '';
  private headParts: Buffer[] = [];
  private headLength = 0;
  private buffered: Buffer = Buffer.alloc(0);
  private framing?: Framing;

  constructor(private readonly handlers: { onHead?: (head: ResponseHead) => void; onBody?: (chunk: Buffer) => void } = {}) {}

  /** Feeds bytes; returns true when the response is complete (or not HTTP) and reading can stop. */
  push(chunk: Buffer): boolean {
    if (this.done) return true;
    this.bytesSeen += chunk.length;
    if (this.preview.length < 64) this.preview += chunk.subarray(0, 64 - this.preview.length).toString('latin1');
    if (!this.head) {
      const rest = this.readHead(chunk);
      if (!rest) return this.done;
      chunk = rest;
    }
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.parseBody();
    return this.done;
  }

  /** The connection ended: a close-delimited body is complete now; anything else is cut short. */
  end(): void {
    if (this.framing?.kind === 'close' && !this.done) this.finish();
  }

  /** Collects head bytes; the bytes after the head once it is whole, else undefined. */
  private readHead(chunk: Buffer): Buffer | undefined {
    // Plainly not HTTP: say so at once instead of waiting for MAX_HEADER_BYTES of garbage.
    if (!'HTTP/'.startsWith(this.preview.slice(0, 5))) {
      this.done = true;
      return undefined;
    }
    // Where to look for the blank line: the last 3 bytes held plus this chunk.
    const carry = Math.min(3, this.headLength);
    const scan = carry ? Buffer.concat([this.headParts.at(-1)!.subarray(-carry), chunk]) : chunk;
    const found = scan.indexOf('\r\n\r\n');
    if (found < 0) {
      this.headParts.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength > MAX_HEADER_BYTES) this.done = true; // not HTTP to Prometheus: "header too long"
      return undefined;
    }
    const headEnd = this.headLength - carry + found;
    const all = Buffer.concat([...this.headParts, chunk]);
    this.headParts = [];
    if (headEnd > MAX_HEADER_BYTES) {
      this.done = true;
      return undefined;
    }
    const lines = all.subarray(0, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (!m) {
      this.done = true;
      return undefined;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    this.head = { status: Number(m[1]), reason: m[2] ?? '', headers };
    const length = headers['content-length'];
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) this.framing = { kind: 'chunked', state: 'size', remaining: 0 };
    else if (length !== undefined && /^\d+$/.test(length)) this.framing = { kind: 'length', remaining: Number(length) };
    else this.framing = { kind: 'close' };
    this.handlers.onHead?.(this.head);
    if (this.framing.kind === 'length' && this.framing.remaining === 0) this.finish();
    return all.subarray(headEnd + 4);
  }

  private finish(): void {
    this.done = true;
    this.complete = true;
  }

  private parseBody(): void {
    const framing = this.framing!;
    if (framing.kind === 'close') {
      this.take(this.buffered.length);
    } else if (framing.kind === 'length') {
      const n = Math.min(framing.remaining, this.buffered.length);
      this.take(n);
      framing.remaining -= n;
      if (framing.remaining === 0) this.finish();
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
      if (eol < 0) {
        if (this.buffered.length > MAX_CHUNK_LINE_BYTES) this.done = true; // a broken chunked body: cut short
        return;
      }
      const line = this.buffered.subarray(0, eol).toString('latin1');
      this.buffered = this.buffered.subarray(eol + 2);
      if (framing.state === 'crlf') {
        framing.state = 'size';
      } else if (framing.state === 'trailer') {
        if (line === '') this.finish();
      } else {
        const size = parseInt(line, 16);
        if (Number.isNaN(size)) {
          this.done = true; // a broken chunked body: cut short
        } else if (size === 0) {
          framing.state = 'trailer';
        } else {
          framing.remaining = size;
          framing.state = 'data';
        }
      }
    }
  }

  /** Hands n bytes of the buffer to the body. */
  private take(n: number): void {
    if (n > 0) this.handlers.onBody?.(this.buffered.subarray(0, n));
    this.buffered = this.buffered.subarray(n);
  }
}

export interface MetricsBody {
  format: 'openmetrics' | 'prometheus-text' | 'not-metrics';
  samples: number;
}

// A sample line: metric name (or a quoted OpenMetrics 2 name), optional labels, a value, optional timestamp.
const SAMPLE_LINE = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*|\{"[^"]*")(?:\{.*\})?\s+(?:[-+]?(?:\d|\.\d)[\d.eE+-]*|[-+]?Inf|NaN)(?:\s+\S+)?(?:\s*#.*)?$/;
// The start of a sample line too long to hold whole: a name and its labels.
const LONG_SAMPLE_START = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*\{|\{")/;
const METRICS_TYPES = /^(text\/plain|application\/openmetrics-text)\b/i;

/**
 * Counts the samples of a Prometheus text or OpenMetrics body, line by line as it streams. It is not
 * metrics when the declared type is something else (HTML error pages, JSON) or a non-comment line is
 * not a sample. Memory is bounded: a line longer than MAX_LINE_CHARS is judged by its start.
 */
export class SampleCounter {
  samples = 0;
  private bad: boolean;
  private pending = '';
  private longLine: 'sample' | 'comment' | undefined;
  private lastLine = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly contentType: string | undefined) {
    this.bad = contentType !== undefined && !METRICS_TYPES.test(contentType);
  }

  /** Feeds body bytes (decoded: gzip already inflated). */
  push(chunk: Buffer): void {
    if (!this.bad) this.text(this.decoder.write(chunk));
  }

  /** The verdict: `cut` when the body did not end (its last, partial line is not judged). */
  result(cut = false): MetricsBody {
    if (!this.bad && !cut) {
      const rest = this.pending + this.decoder.end();
      if (this.longLine === 'sample') this.samples++;
      else if (!this.longLine) this.line(rest);
    }
    if (this.bad) return { format: 'not-metrics', samples: 0 };
    const openMetrics = /openmetrics/i.test(this.contentType ?? '') || /^# EOF$/.test(this.lastLine);
    return { format: openMetrics ? 'openmetrics' : 'prometheus-text', samples: this.samples };
  }

  private text(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0 && !this.bad; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.longLine) {
        if (this.longLine === 'sample') this.samples++;
        this.longLine = undefined;
        continue;
      }
      this.line(this.pending ? this.pending + piece : piece);
      this.pending = '';
    }
    if (this.bad || this.longLine) return;
    this.pending += text.slice(start);
    if (this.pending.length > MAX_LINE_CHARS) {
      const head = this.pending.trimStart();
      if (head.startsWith('#')) this.longLine = 'comment';
      else if (LONG_SAMPLE_START.test(head)) this.longLine = 'sample';
      else this.bad = true;
      this.pending = '';
      this.lastLine = '';
    }
  }

  private line(raw: string): void {
    const line = raw.trim();
    if (line === '') return;
    this.lastLine = line;
    if (line.startsWith('#')) return;
    if (SAMPLE_LINE.test(line)) this.samples++;
    else this.bad = true;
  }
}

/** Counts the samples of a whole body (see SampleCounter); when `truncated`, its last (partial) line is ignored. */
export function countSamples(body: Buffer, contentType: string | undefined, truncated = false): MetricsBody {
  const counter = new SampleCounter(contentType);
  counter.push(body);
  return counter.result(truncated);
}

/** What a body showed, judged when it ended or was cut. */
export interface BodyFacts {
  status: number;
  contentType?: string;
  /** body bytes received, as sent (compressed when gzip) */
  bytes: number;
  /** the first BODY_START_BYTES, as sent */
  start: Buffer;
  /** undefined for a non-200 answer, whose body Prometheus does not read */
  metrics?: MetricsBody;
  /** it did not end: cut at --timeout or by a close */
  cut: boolean;
}

/**
 * One response body, judged as it streams. A 200 is read to its end, as Prometheus reads it, and
 * inflated when `Content-Encoding: gzip` (Prometheus asks for gzip and inflates it; a body that does
 * not inflate fails its scrape, `gzip: invalid header`). A non-200 is judged on its first bytes:
 * Prometheus stops at the status. `onSettled` fires once the verdict is known.
 */
export class ScrapeBody {
  bytes = 0;
  settled = false;
  private readonly counter?: SampleCounter;
  private readonly startParts: Buffer[] = [];
  private startBytes = 0;
  private readonly gunzip?: Gunzip;
  private gzipFailed = false;
  private ended = false;
  /** called when the inflater can take more after write() returned false */
  onDrain?: () => void;

  constructor(readonly status: number, readonly headers: Readonly<Record<string, string | undefined>>, private readonly onSettled: () => void) {
    if (status !== 200) return;
    this.counter = new SampleCounter(headers['content-type']);
    if (!/^\s*gzip\s*$/i.test(headers['content-encoding'] ?? '')) return;
    const gunzip = (this.gunzip = createGunzip());
    gunzip.on('data', (chunk: Buffer) => this.counter!.push(chunk));
    gunzip.on('drain', () => this.onDrain?.());
    gunzip.once('error', () => {
      this.gzipFailed = true;
      this.settle();
    });
    gunzip.once('end', () => this.settle());
  }

  /** Body bytes as they arrive; false when the caller should pause until onDrain. */
  write(chunk: Buffer): boolean {
    if (this.settled || this.ended) return true;
    this.bytes += chunk.length;
    if (this.startBytes < BODY_START_BYTES) {
      const piece = chunk.subarray(0, BODY_START_BYTES - this.startBytes);
      this.startParts.push(Buffer.from(piece));
      this.startBytes += piece.length;
    }
    if (!this.counter) {
      if (this.startBytes >= BODY_START_BYTES) this.settle();
      return true;
    }
    if (this.gunzip) return this.gunzip.write(chunk);
    this.counter.push(chunk);
    return true;
  }

  /** The body ended as framed. */
  end(): void {
    if (this.settled || this.ended) return;
    this.ended = true;
    if (this.gunzip) this.gunzip.end();
    else this.settle();
  }

  /** Samples counted so far (for the evidence of a cut body). */
  get samples(): number {
    return this.counter?.samples ?? 0;
  }

  /** The facts; `cut` when the body has not ended (a timeout, a close): its last partial line is not judged. */
  facts(): BodyFacts {
    const cut = !this.ended || (!this.settled && this.gunzip !== undefined);
    const metrics = !this.counter ? undefined : this.gzipFailed ? { format: 'not-metrics' as const, samples: 0 } : this.counter.result(cut);
    return { status: this.status, contentType: this.headers['content-type'], bytes: this.bytes, start: Buffer.concat(this.startParts), ...(metrics ? { metrics } : {}), cut };
  }

  /** Stops inflating (the probe is over). */
  destroy(): void {
    this.gunzip?.destroy();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled();
  }
}
