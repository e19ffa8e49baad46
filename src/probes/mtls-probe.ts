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
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { oneLine } from '../core/errors.js';
import { spiffeIdOf } from '../pki/index.js';
import { Http1ResponseReader, countSamples, decodeBody, http1Request, scrapeHeaders, MAX_BODY_BYTES, type HttpResponse, type MetricsBody } from './scrape-response.js';

export type ProbeStep = 'connect' | 'handshake' | 'response';

/** Why a probe ended without a scrape; the target check maps each kind to a finding code. */
export type ProbeFailure =
  | { kind: 'unreachable'; reason: string }
  /** `atDeadline`: cut by the run's --deadline (the signal), not by the step's --timeout */
  | { kind: 'timeout'; step: ProbeStep; atDeadline?: true }
  | { kind: 'not-tls'; detail: string }
  | { kind: 'client-cert-rejected'; alert: string }
  | { kind: 'closed'; detail: string };

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
  http?: { status: number; contentType?: string; bytes: number; truncated: boolean; metrics: MetricsBody };
  failure?: ProbeFailure;
  /** the first bytes of a plain-text answer (TARGET_NOT_TLS evidence) or of a non-HTTP reply */
  preview?: string;
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

/** An HTTP response → the probe's outcome: nginx's certificate complaints, non-200, or the metrics count. */
export function judgeResponse(response: HttpResponse): Pick<ProbeOutcome, 'http' | 'failure'> {
  const contentType = response.headers['content-type'];
  if (response.status === 400 && NGINX_CERT_ERRORS.test(response.body.toString('latin1', 0, 4096))) {
    const title = NGINX_CERT_ERRORS.exec(response.body.toString('latin1', 0, 4096))![0];
    return { failure: { kind: 'client-cert-rejected', alert: `HTTP 400 "${title}"` } };
  }
  if (response.status !== 200) return { http: { status: response.status, contentType, bytes: response.body.length, truncated: response.truncated, metrics: { format: 'not-metrics', samples: 0 } } };
  const decoded = decodeBody(response);
  const metrics = decoded ? countSamples(decoded.body, contentType, decoded.truncated) : { format: 'not-metrics' as const, samples: 0 };
  const body = decoded ?? response;
  return { http: { status: response.status, contentType, bytes: body.body.length, truncated: body.truncated, metrics } };
}

/** Probes one target from this machine. Never throws; every path ends within 3 × timeout or at the signal. */
export function probeLocal(request: ProbeRequest, probeTls: ProbeTls | undefined): Promise<ProbeOutcome> {
  return new LocalProbe(request, probeTls).run();
}

function peerSpiffeId(secure: tls.TLSSocket): string | undefined {
  const cert = secure.getPeerX509Certificate();
  return cert ? spiffeIdOf(cert) : undefined;
}

class LocalProbe {
  private readonly started = performance.now();
  private readonly outcome: Omit<ProbeOutcome, 'durationMs'> = { from: 'local' };
  private step: ProbeStep = 'connect';
  private timer?: NodeJS.Timeout;
  private raw?: net.Socket;
  private secure?: tls.TLSSocket;
  private h2?: http2.ClientHttp2Session;
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

  private readonly onAbort = () => this.fail({ kind: 'timeout', step: this.step, atDeadline: true });

  private startStep(step: ProbeStep): void {
    this.step = step;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail({ kind: 'timeout', step }), this.request.timeoutMs);
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
    const reader = new Http1ResponseReader();
    const settle = () => {
      reader.end();
      const response = reader.response();
      if (response && reader.done) return this.finish(judgeResponse(response));
      if (reader.bytesSeen > 0) this.outcome.preview = reader.preview;
      if (response) return this.fail({ kind: 'closed', detail: `the response ended after ${reader.bytesSeen} bytes, before its body was complete` });
      if (reader.bytesSeen === 0) return this.fail(this.closedWithoutResponse());
      this.fail({ kind: 'closed', detail: looksLikeTls(reader.preview) ? 'the port answered the plain-text request with TLS: it expects mTLS (STRICT)' : 'the reply is not HTTP' });
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
    const session = (this.h2 = http2.connect(`https://${this.request.host}:${this.request.port}`, { createConnection: () => secure }));
    session.on('error', (error) => this.onSocketError(error));
    const stream = session.request({ ':method': 'GET', ':path': this.request.pathWithQuery, ...scrapeHeaders({ ...this.request }) });
    let status: number | undefined;
    let contentType: string | undefined;
    let contentEncoding: string | undefined;
    const parts: Buffer[] = [];
    let bytes = 0;
    const complete = (truncated: boolean) => {
      if (status === undefined) return this.fail(this.closedWithoutResponse());
      const body = Buffer.concat(parts);
      const headers = { ...(contentType ? { 'content-type': contentType } : {}), ...(contentEncoding ? { 'content-encoding': contentEncoding } : {}) };
      this.finish(judgeResponse({ status, reason: '', headers, body, complete: !truncated, truncated }));
    };
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
      contentType = headers['content-type'];
      contentEncoding = headers['content-encoding'];
    });
    stream.on('data', (chunk: Buffer) => {
      const room = MAX_BODY_BYTES - bytes;
      parts.push(chunk.subarray(0, room));
      bytes += Math.min(chunk.length, room);
      if (bytes >= MAX_BODY_BYTES) complete(true);
    });
    stream.on('end', () => complete(false));
    stream.on('error', (error) => this.onSocketError(error));
    stream.on('close', () => complete(false));
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
    if (this.outcome.tls?.version === 'TLSv1.3' && !this.sessionTicket && this.probeTls?.clientCertificate === 'sent')
      return { kind: 'client-cert-rejected', alert: 'closed right after the handshake (no alert, no session ticket)' };
    return { kind: 'closed', detail: 'EOF: closed after the TLS handshake without a response' };
  }

  private onSocketError(error: Error & { code?: string }): void {
    if (this.finished) return;
    const code = error.code ?? '';
    const alert = alertName(code) ?? alertName(error.message);
    if (alert) return this.fail(alertFailure(alert));
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
    if (this.step === 'response' && this.outcome.http === undefined) {
      const failure = this.closedWithoutResponse();
      return this.fail(failure.kind === 'closed' ? { kind: 'closed', detail: `${code || oneLine(error)}: ${failure.detail}` } : failure);
    }
    this.fail({ kind: 'closed', detail: code || oneLine(error) });
  }

  private fail(failure: ProbeFailure): void {
    this.finish({ failure });
  }

  private finish(result: Pick<ProbeOutcome, 'http' | 'failure'>): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.request.signal?.removeEventListener('abort', this.onAbort);
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
