/**
 * The live probe from this machine: TCP connect, a TLS handshake with Prometheus's client certificate
 * and ALPN, then the GET of the metrics path, read to the end. Each step has its own --timeout.
 *
 * Why read the response: under TLS 1.3 the server judges the client certificate after the client's
 * Finished, so a rejected certificate shows only as an alert (or a silent close) after `secureConnect`;
 * a probe that stopped there would call it a success.
 *
 * ALPN: Prometheus ≥ 2.31 offers `h2, http/1.1` (unless `enableHttp2: false`), and that choice matters:
 * a STRICT port terminated by Envoy's TCP chain picks h2 and forwards raw HTTP/2 to an HTTP/1.1 app
 * (Prometheus: `unexpected EOF`). So the probe offers the same list and, when the server picks h2,
 * speaks HTTP/2 with Node's http2 module over the same socket; otherwise HTTP/1.1.
 *
 * The peer's chain is verified by OpenSSL against the mesh root (an in-process handshake, with
 * `rejectUnauthorized: false` so that the scrape goes on, as Prometheus's insecureSkipVerify does);
 * host-name checking is replaced: Istio certificates carry only a SPIFFE URI, compared by the caller.
 */
import { X509Certificate } from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { oneLine } from '../core/errors.js';
import { spiffeIdOf } from '../pki/index.js';
import { Http1ResponseReader, MAX_HEADER_BYTES, ScrapeBody, http1Request, scrapeHeaders, type BodyFacts, type MetricsBody } from './scrape-response.js';

export type ProbeStep = 'connect' | 'handshake' | 'response';

/** Why a probe ended without a scrape; the target check maps each kind to a finding code. */
export type ProbeFailure =
  | { kind: 'unreachable'; reason: string }
  /**
   * `atDeadline`: cut by the run's --deadline (the signal), not by the step's --timeout;
   * `readSoFar`: a 200 whose body was still arriving (bytes as sent, samples counted in them)
   */
  | { kind: 'timeout'; step: ProbeStep; atDeadline?: true; readSoFar?: { bytes: number; samples: number } }
  | { kind: 'not-tls'; detail: string }
  | { kind: 'client-cert-rejected'; alert: string }
  /**
   * `retry`: `again` for a graceful refusal (HTTP/2 GOAWAY NO_ERROR) that Go's client retries on a new
   * connection; `http/1.1` for an HTTP/2 answer Go reads but Node's client cannot (its headers span
   * more CONTINUATION frames than nghttp2 takes), asked again over HTTP/1.1
   */
  | { kind: 'closed'; detail: string; retry?: 'again' | 'http/1.1'; unjudged?: true };

export interface ProbeOutcome {
  /** where the handshake was made from */
  from: 'local' | 'pod';
  durationMs: number;
  tls?: { version?: string; cipher?: string; alpn?: string; offeredAlpn: readonly string[] };
  peer?: {
    spiffeId?: string;
    /** OpenSSL's verdict on the peer's chain against the mesh root; undefined when there was no root to verify with */
    chainTrusted?: boolean;
    chainError?: string;
  };
  /** `bytes`: of the body, as sent (compressed when gzip) */
  http?: { status: number; contentType?: string; bytes: number; metrics: MetricsBody };
  failure?: ProbeFailure;
  /** the first bytes of a plain-text answer (TARGET_NOT_TLS evidence) or of a non-HTTP reply */
  preview?: string;
  /** why this is the second attempt (a graceful GOAWAY, an HTTP/2 head too large for Node's client) */
  retriedAfter?: string;
}

export interface ProbeRequest {
  host: string;
  port: number;
  scheme: 'http' | 'https';
  pathWithQuery: string;
  /** SNI: the monitor's serverName, or the host when it is a name (never an IP, as Go's client does) */
  serverName?: string;
  alpn: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Prometheus's client certificate and the root the peer is verified against, built once per run. */
export interface ProbeTls {
  secureContext: tls.SecureContext;
  /** whether a client certificate is presented; when not, why (evidence) */
  clientCertificate: 'sent' | string;
  /** where the root came from, when one was given */
  rootSource?: string;
}

/** Builds the TLS context once: a bad pair is not a probe failure, the probe then goes without a certificate. */
export function makeProbeTls(input: { certChainPem?: string; keyPem?: string; rootPem?: string; rootSource?: string }): ProbeTls {
  const ca = input.rootPem ? { ca: input.rootPem } : {};
  if (input.certChainPem && input.keyPem) {
    try {
      return { secureContext: tls.createSecureContext({ cert: input.certChainPem, key: input.keyPem, ...ca }), clientCertificate: 'sent', rootSource: input.rootSource };
    } catch (error) {
      // The message names the OpenSSL reason (key mismatch, bad PEM); never the key itself.
      return { secureContext: tls.createSecureContext(ca), clientCertificate: `none: the pair is unusable (${oneLine(error)})`, rootSource: input.rootSource };
    }
  }
  return { secureContext: tls.createSecureContext(ca), clientCertificate: 'none: no cert-chain.pem/key.pem to present', rootSource: input.rootSource };
}

/** TLS alerts a server sends when it rejects the client's certificate (RFC 8446 §6.2). */
const CLIENT_CERT_ALERTS = new Set([
  'handshake_failure', 'bad_certificate', 'unsupported_certificate', 'certificate_revoked', 'certificate_expired',
  'certificate_unknown', 'unknown_ca', 'access_denied', 'certificate_required', 'decrypt_error',
]);

/** `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA` / `tlsv1 alert unknown ca` → `unknown_ca`. */
export function alertName(text: string): string | undefined {
  const m = /(?:^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$)|(?:(?:sslv3|tlsv1|tlsv13) alert ([a-z ]+))/.exec(text);
  const name = m?.[1] ?? m?.[2];
  return name?.trim().toLowerCase().replaceAll(' ', '_');
}

/** A received TLS alert, as a failure: the certificate alerts are CLIENT_CERT_REJECTED, others a close. */
export function alertFailure(alert: string): ProbeFailure {
  return CLIENT_CERT_ALERTS.has(alert) ? { kind: 'client-cert-rejected', alert } : { kind: 'closed', detail: `TLS alert ${alert}` };
}

/** OpenSSL's answer to plain text where a TLS record was expected. */
const NOT_TLS_ERRORS = /wrong version number|packet length too long|http request|unknown protocol|record layer failure/i;

/** nginx answers a missing or rejected client certificate after the handshake with HTTP 400 and these titles. */
const NGINX_CERT_ERRORS = /No required SSL certificate was sent|The SSL certificate error|SSL certificate error/;

/** A TLS record header (alert or handshake, version 3.x): what a TLS port sends back to plain text. */
function looksLikeTls(preview: string): boolean {
  return /^[\x15\x16]\x03[\x00-\x04]/.test(preview);
}

/** A judged body → the probe's outcome: nginx's certificate complaints, non-200, or the metrics count. */
export function judgeBody(facts: BodyFacts): Pick<ProbeOutcome, 'http' | 'failure'> {
  const title = facts.status === 400 ? NGINX_CERT_ERRORS.exec(facts.start.toString('latin1'))?.[0] : undefined;
  if (title) return { failure: { kind: 'client-cert-rejected', alert: `HTTP 400 "${title}"` } };
  return { http: { status: facts.status, contentType: facts.contentType, bytes: facts.bytes, metrics: facts.metrics ?? { format: 'not-metrics', samples: 0 } } };
}

/** A body still arriving when time ran out: Prometheus judges a non-200 on its status alone; a 200 is a timeout. */
export function cutBody(body: ScrapeBody, step: ProbeStep, atDeadline: boolean): Pick<ProbeOutcome, 'http' | 'failure'> {
  if (body.status !== 200) return judgeBody(body.facts());
  return { failure: { kind: 'timeout', step, ...(atDeadline ? { atDeadline: true as const } : {}), readSoFar: { bytes: body.bytes, samples: body.samples } } };
}

/** HTTP/2 error codes (RFC 9113 §7) by number, for GOAWAY and RST_STREAM evidence. */
const H2_ERRORS = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR',
  'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];

export function h2ErrorName(code: number): string {
  return H2_ERRORS[code] ?? `error code ${code}`;
}

/**
 * A GOAWAY before the answer: the server accepted the connection (it spoke HTTP/2), so it is no
 * verdict on the certificate. NO_ERROR is a graceful shutdown that Go's client retries on a new
 * connection; any other code is the server's complaint about the connection.
 */
function goawayFailure(errorCode: number): ProbeFailure {
  const name = h2ErrorName(errorCode);
  return errorCode === 0
    ? { kind: 'closed', detail: 'the server sent HTTP/2 GOAWAY (NO_ERROR) before answering: it is shutting down', retry: 'again' }
    : { kind: 'closed', detail: `the server sent HTTP/2 GOAWAY (${name}) before answering` };
}

/** nghttp2's limit on a header block (CVE-2024-27983), far below Go's 10 MiB. */
const HEADERS_TOO_LARGE_FOR_NODE = /Too many CONTINUATION frames/;

/** What the local probe offers for response headers: as much as Go's client accepts (MAX_HEADER_BYTES). */
const H2_LIMITS = {
  // Go counts no pairs, only bytes (32 bytes of overhead each): this many fit in its limit.
  maxHeaderListPairs: MAX_HEADER_BYTES / 32,
  // MB of memory nghttp2 may hold for the session (the header block of a large head included)
  maxSessionMemory: 64,
  settings: { maxHeaderListSize: MAX_HEADER_BYTES },
} as const;

/** Probes one target from this machine. Never throws; every path ends within 3 × timeout or at the signal. */
export function probeLocal(request: ProbeRequest, probeTls: ProbeTls | undefined): Promise<ProbeOutcome> {
  return new LocalProbe(request, probeTls).run();
}

/**
 * The SPIFFE ID of the peer's leaf, parsed from its DER. Not `getPeerX509Certificate()`: on a client
 * socket Node (20, and main as of 2026) builds its issuer chain by `X509_dup` of each certificate of the
 * SSL's own peer chain and `sk_X509_delete` of the original without `X509_free` (src/crypto/crypto_x509.cc,
 * X509Certificate::New/GetPeerCert), so every intermediate and root a peer sends leaks, natively: about
 * 10 KiB per probe of an Istio peer (leaf + CA chain), 10 MiB per run of 1,000 targets under `serve`.
 * The abbreviated `getPeerCertificate()` reads the chain without changing it.
 */
function peerSpiffeId(secure: tls.TLSSocket): string | undefined {
  const raw = (secure.getPeerCertificate() as Partial<tls.PeerCertificate> | null)?.raw;
  if (!raw?.length) return undefined;
  try {
    return spiffeIdOf(new X509Certificate(raw));
  } catch {
    // OpenSSL parsed it for the handshake; a certificate Node's parser refuses has no identity to compare.
    return undefined;
  }
}

class LocalProbe {
  private readonly started = performance.now();
  private readonly outcome: Omit<ProbeOutcome, 'durationMs'> = { from: 'local' };
  private step: ProbeStep = 'connect';
  private timer?: NodeJS.Timeout;
  private raw?: net.Socket;
  private secure?: tls.TLSSocket;
  private h2?: http2.ClientHttp2Session;
  /** the response's body, once its head arrived */
  private body?: ScrapeBody;
  /** the HTTP/2 server's GOAWAY error code, when it sent one */
  private goaway?: number;
  /** the server sent HTTP/2 frames: it accepted the connection */
  private h2ServerSpoke = false;
  private sessionTicket = false;
  private resolve!: (o: ProbeOutcome) => void;
  private finished = false;

  constructor(private readonly request: ProbeRequest, private readonly probeTls: ProbeTls | undefined) {}

  run(): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      if (this.request.signal?.aborted) return this.fail({ kind: 'timeout', step: 'connect', atDeadline: true });
      this.request.signal?.addEventListener('abort', this.onAbort, { once: true });
      this.startStep('connect');
      const raw = (this.raw = net.connect({ host: this.request.host, port: this.request.port }));
      raw.once('error', (error) => this.onSocketError(error));
      raw.once('connect', () => (this.request.scheme === 'https' ? this.startTls() : this.sendHttp1(raw)));
    });
  }

  private readonly onAbort = () => this.timedOut(true);

  private startStep(step: ProbeStep): void {
    this.step = step;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.timedOut(false), this.request.timeoutMs);
  }

  /** --timeout (or --deadline) ended the current step; a body already arriving gives its facts so far. */
  private timedOut(atDeadline: boolean): void {
    if (this.body) return this.finish(cutBody(this.body, this.step, atDeadline));
    this.fail({ kind: 'timeout', step: this.step, ...(atDeadline ? { atDeadline: true as const } : {}) });
  }

  /** The body of a response whose head arrived; judged once it settles. `resume` restarts a paused source. */
  private startBody(status: number, headers: Record<string, string | undefined>, resume: () => void): ScrapeBody {
    const body = (this.body = new ScrapeBody(status, headers, () => this.finish(judgeBody(body.facts()))));
    body.onDrain = resume;
    return body;
  }

  private startTls(): void {
    this.startStep('handshake');
    const secure = (this.secure = tls.connect({
      socket: this.raw!,
      secureContext: this.probeTls?.secureContext,
      ALPNProtocols: [...this.request.alpn],
      ...(this.request.serverName ? { servername: this.request.serverName } : {}),
      minVersion: 'TLSv1.2',
      // The chain verdict is read from `authorized` below; the scrape goes on as Prometheus's would.
      rejectUnauthorized: false,
      // Host-name checking replaced: Istio certificates carry only a SPIFFE URI, compared by the target check.
      checkServerIdentity: () => undefined,
    }));
    secure.on('session', () => (this.sessionTicket = true));
    secure.once('error', (error) => this.onSocketError(error));
    secure.once('secureConnect', () => {
      const cipher = secure.getCipher();
      const alpn = secure.alpnProtocol || undefined;
      this.outcome.tls = { version: secure.getProtocol() ?? undefined, cipher: cipher?.name, alpn, offeredAlpn: this.request.alpn };
      this.outcome.peer = {
        spiffeId: peerSpiffeId(secure),
        ...(this.probeTls?.rootSource ? { chainTrusted: secure.authorized, chainError: secure.authorizationError ? String(secure.authorizationError) : undefined } : {}),
      };
      if (alpn === 'h2') this.sendHttp2(secure);
      else this.sendHttp1(secure);
    });
  }

  private sendHttp1(socket: net.Socket): void {
    this.startStep('response');
    const reader = new Http1ResponseReader({
      onHead: (head) => void this.startBody(head.status, head.headers, () => socket.resume()),
      // A body that outruns its inflater pauses the socket (memory stays bounded).
      onBody: (chunk) => void (this.body!.write(chunk) || socket.pause()),
    });
    const settle = () => {
      if (this.finished) return;
      reader.end();
      if (this.body && reader.complete) return this.body.end();
      if (reader.bytesSeen > 0) this.outcome.preview = reader.preview;
      if (this.body) return this.fail({ kind: 'closed', detail: `the response ended after ${reader.bytesSeen} bytes, before its body was complete` });
      if (reader.bytesSeen === 0) return this.fail(this.closedWithoutResponse());
      this.fail({ kind: 'closed', detail: looksLikeTls(reader.preview) ? 'the port answered the plain-text request with TLS: it expects mTLS (STRICT)' : reader.bytesSeen > MAX_HEADER_BYTES ? `the reply is not HTTP (no end of headers within ${MAX_HEADER_BYTES >> 20} MiB)` : 'the reply is not HTTP' });
    };
    socket.on('data', (chunk: Buffer) => {
      if (reader.push(chunk)) settle();
    });
    socket.once('end', settle);
    socket.once('close', settle);
    socket.write(http1Request({ host: this.request.host, port: this.request.port, pathWithQuery: this.request.pathWithQuery, timeoutMs: this.request.timeoutMs }));
  }

  private sendHttp2(secure: tls.TLSSocket): void {
    this.startStep('response');
    const session = (this.h2 = http2.connect(`https://${this.request.host}:${this.request.port}`, { createConnection: () => secure, ...H2_LIMITS }));
    session.on('error', (error) => this.onSocketError(error));
    session.once('remoteSettings', () => (this.h2ServerSpoke = true));
    session.once('goaway', (errorCode: number) => {
      this.h2ServerSpoke = true;
      this.goaway = errorCode;
    });
    const stream = session.request({ ':method': 'GET', ':path': this.request.pathWithQuery, ...scrapeHeaders({ ...this.request }) });
    let ended = false;
    stream.on('response', (headers) => {
      this.startBody(Number(headers[':status']), { 'content-type': headers['content-type'], 'content-encoding': headers['content-encoding'] }, () => stream.resume());
    });
    stream.on('data', (chunk: Buffer) => void (this.body?.write(chunk) || stream.pause()));
    stream.on('end', () => {
      ended = true;
      if (this.body) this.body.end();
      else this.fail(this.closedWithoutResponse());
    });
    stream.on('error', (error) => this.onSocketError(error));
    stream.on('close', () => {
      if (this.finished || ended) return;
      if (!this.body) return this.fail(this.closedWithoutResponse());
      this.fail({ kind: 'closed', detail: `the HTTP/2 stream closed before its body was complete (${this.goaway !== undefined ? `GOAWAY ${h2ErrorName(this.goaway)}` : `RST_STREAM ${h2ErrorName(stream.rstCode ?? 0)}`})` });
    });
    stream.end();
  }

  /**
   * The connection ended with no response and no alert. Under TLS 1.3 a server that rejects the client
   * certificate closes right after the handshake, before it sends any session ticket (Node's TLS server
   * does this); a server that accepted the certificate sends its tickets first. Under TLS 1.2 the
   * handshake itself covers the certificate, so a close after it is a plain close.
   */
  private closedWithoutResponse(): ProbeFailure {
    if (this.request.scheme === 'http') return { kind: 'closed', detail: 'closed without an HTTP response to a plain-text request (a STRICT mTLS port closes like this)' };
    if (this.goaway !== undefined) return goawayFailure(this.goaway);
    // HTTP/2 frames from the server mean it took the connection, and with it the certificate.
    if (this.h2ServerSpoke) return { kind: 'closed', detail: 'the server closed the HTTP/2 connection without answering' };
    if (this.outcome.tls?.version === 'TLSv1.3' && !this.sessionTicket && this.probeTls?.clientCertificate === 'sent')
      return { kind: 'client-cert-rejected', alert: 'closed right after the handshake (no alert, no session ticket)' };
    return { kind: 'closed', detail: 'EOF: closed after the TLS handshake without a response' };
  }

  private onSocketError(error: Error & { code?: string }): void {
    if (this.finished) return;
    if (this.h2 && HEADERS_TOO_LARGE_FOR_NODE.test(error.message))
      return this.fail({ kind: 'closed', detail: `the HTTP/2 response headers are larger than Node's HTTP/2 client reads (${oneLine(error)})`, retry: 'http/1.1' });
    const code = error.code ?? '';
    const alert = alertName(code) ?? alertName(error.message);
    if (alert) return this.fail(alertFailure(alert));
    // OpenSSL reads at most 100 KiB of certificates, Go 256 KiB: a chain between says nothing about the target.
    if (/EXCESSIVE_MESSAGE_SIZE|excessive message size/i.test(`${code} ${error.message}`))
      return this.fail({ kind: 'closed', detail: `the server's handshake message (its certificate chain) is larger than OpenSSL reads (100 KiB; Go reads 256 KiB) (${code || oneLine(error)})`, unjudged: true });
    // A reset at connect means something accepted the connection (the kernel's backlog) and dropped it: a close, not a refusal.
    if (this.step === 'connect' && code !== 'ECONNRESET') return this.fail({ kind: 'unreachable', reason: oneLine(error) });
    if (NOT_TLS_ERRORS.test(error.message) || NOT_TLS_ERRORS.test(code)) return this.fail({ kind: 'not-tls', detail: oneLine(error) });
    if (this.step === 'connect' || this.step === 'handshake') {
      // Bytes from the server mean it answered our hello; a close then is its verdict on our certificate (TLS 1.2).
      const answered = (this.raw?.bytesRead ?? 0) > 0;
      return this.fail(answered && this.probeTls?.clientCertificate === 'sent'
        ? { kind: 'client-cert-rejected', alert: `connection closed during the handshake, no alert (${code || oneLine(error)})` }
        : { kind: 'closed', detail: answered ? `closed during the TLS handshake (${code || oneLine(error)})` : `closed before any TLS answer (${code || oneLine(error)})` });
    }
    if (this.step === 'response' && !this.body) {
      const failure = this.closedWithoutResponse();
      return this.fail(failure.kind === 'closed' ? { ...failure, detail: `${code || oneLine(error)}: ${failure.detail}` } : failure);
    }
    this.fail({ kind: 'closed', detail: this.body ? `${code || oneLine(error)}: the response broke off after ${this.body.bytes} bytes of its body` : code || oneLine(error) });
  }

  private fail(failure: ProbeFailure): void {
    this.finish({ failure });
  }

  private finish(result: Pick<ProbeOutcome, 'http' | 'failure'>): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.request.signal?.removeEventListener('abort', this.onAbort);
    this.body?.destroy();
    this.h2?.destroy();
    this.secure?.destroy();
    this.raw?.destroy();
    this.resolve({ ...this.outcome, ...result, durationMs: Math.round(performance.now() - this.started) });
  }
}

/** Connects and closes: `--probe auto` uses it to decide whether this machine reaches the targets. */
export function canConnect(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
