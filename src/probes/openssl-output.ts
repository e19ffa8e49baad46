/**
 * `--probe pod`: the handshake made from inside the Prometheus pod, by exec of `openssl s_client` in
 * its istio-proxy container (which ships openssl) with the files Prometheus uses, the HTTP request on
 * stdin, and openssl's output parsed into the same outcome as the local probe.
 *
 * Two runs per target, because s_client's verbose output interleaves its session printing with the
 * application data: `-brief` for the exchange (summary and alerts on stderr, the response alone on
 * stdout), and, once the handshake worked, a verbose run with empty stdin for the peer's certificate
 * (its SPIFFE ID). Only `http/1.1` is offered: the request travels as text on stdin, and s_client
 * cannot speak HTTP/2 (so the h2 fault of unnamed ports shows only with --probe local).
 */
import { X509Certificate } from 'node:crypto';
import { oneLine } from '../core/errors.js';
import type { ExecResult, KubeAccess } from '../model/kube-access.js';
import { spiffeIdOf } from '../pki/index.js';
import { alertFailure, alertName, cutBody, judgeBody, type ProbeOutcome, type ProbeRequest } from './mtls-probe.js';
import { Http1ResponseReader, ScrapeBody, http1Request } from './scrape-response.js';

/** The container that runs the probe: the Prometheus pod's sidecar, which has openssl and the shared files. */
export interface ProbePod {
  namespace: string;
  name: string;
  container: string;
  /** paths of the files inside that container; absent ones are not passed */
  files: { certChain?: string; key?: string; root?: string };
}

const POD_ALPN = ['http/1.1'] as const;

function sClientArgv(request: Pick<ProbeRequest, 'host' | 'port' | 'serverName'>, files: ProbePod['files'], mode: 'exchange' | 'peer-certificate'): string[] {
  const host = request.host.includes(':') ? `[${request.host}]` : request.host;
  const argv = ['openssl', 's_client', '-connect', `${host}:${request.port}`, '-alpn', POD_ALPN.join(',')];
  // -cert loads only the first certificate of the file; -cert_chain sends the intermediates too, as Prometheus does.
  if (files.certChain && files.key) argv.push('-cert', files.certChain, '-cert_chain', files.certChain, '-key', files.key);
  if (files.root) argv.push('-CAfile', files.root);
  if (request.serverName) argv.push('-servername', request.serverName);
  // -ign_eof: keep reading after stdin ends, until the server closes (the request says Connection: close).
  if (mode === 'exchange') argv.push('-brief', '-ign_eof');
  return argv;
}

/** The response s_client printed, read as the local probe reads a socket; settled once its body is judged. */
async function readResponse(stdout: Buffer): Promise<{ reader: Http1ResponseReader; body?: ScrapeBody }> {
  let body: ScrapeBody | undefined;
  let settled!: () => void;
  const judged = new Promise<void>((resolve) => (settled = resolve));
  const reader = new Http1ResponseReader({
    onHead: (head) => void (body = new ScrapeBody(head.status, head.headers, settled)),
    onBody: (chunk) => void body!.write(chunk),
  });
  reader.push(stdout);
  reader.end();
  if (body && reader.complete) {
    body.end();
    await judged;
  }
  return { reader, body };
}

/** Parses the `-brief -ign_eof` run: handshake summary and errors on stderr, the response on stdout. */
async function parseExchange(result: ExecResult, offeredAlpn: readonly string[], verifying: boolean): Promise<Omit<ProbeOutcome, 'durationMs' | 'from'>> {
  const err = result.stderr;
  const outcome: Omit<ProbeOutcome, 'durationMs' | 'from'> = {};
  const established = err.includes('CONNECTION ESTABLISHED');
  if (established) {
    outcome.tls = { version: field(err, 'Protocol version'), cipher: field(err, 'Ciphersuite'), offeredAlpn };
    const verificationError = field(err, 'Verification error');
    outcome.peer = verifying ? { chainTrusted: /^Verification: OK/m.test(err), chainError: verificationError } : {};
  }
  const alertLine = /(?:sslv3|tlsv1|tlsv13) alert [a-z ]+/.exec(err)?.[0];
  const alert = alertLine ? alertName(alertLine) : undefined;
  if (alert) return { ...outcome, failure: alertFailure(alert) };
  // No exit status: the exec was cut at its time limit (openssl has no timeouts of its own), so the
  // target never finished. -brief prints nothing before the handshake, so a silent connect and a
  // silent handshake look alike; a dropped SYN (a NetworkPolicy) is the common one.
  if (result.exitCode === null && !/connect:errno=\d+|BIO_connect|Connection refused/.test(err)) {
    // A response still arriving at the cut: a timeout with what was read, as the local probe says (a non-200 is judged).
    const { body } = established ? await readResponse(result.stdout) : {};
    if (body) return { ...outcome, ...cutBody(body, 'response', false) };
    return { ...outcome, failure: { kind: 'timeout', step: established ? 'response' : 'connect' } };
  }
  if (!established) {
    if (/wrong version number|packet length too long|http request/.test(err)) return { ...outcome, failure: { kind: 'not-tls', detail: opensslReason(err) } };
    if (/connect:errno=\d+|BIO_connect|Connection refused|No route to host|Network is unreachable|Name or service not known|gethostbyname failure/.test(err))
      return { ...outcome, failure: { kind: 'unreachable', reason: opensslReason(err) } };
    return { ...outcome, failure: { kind: 'closed', detail: `closed during the TLS handshake (${opensslReason(err)})` } };
  }
  const { reader, body } = await readResponse(result.stdout);
  if (body && reader.complete) return { ...outcome, ...judgeBody(body.facts()) };
  if (body) return { ...outcome, failure: { kind: 'closed', detail: 'the response ended before its body was complete' } };
  return { ...outcome, failure: { kind: 'closed', detail: reader.bytesSeen ? 'the reply is not HTTP' : 'EOF: closed after the TLS handshake without a response' } };
}

/** The peer's SPIFFE ID from a verbose run's "Server certificate" block (a public certificate). */
function peerSpiffeIdFromVerbose(stdout: Buffer): string | undefined {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout.toString('latin1'))?.[0];
  if (!pem) return undefined;
  try {
    return spiffeIdOf(new X509Certificate(pem));
  } catch {
    return undefined;
  }
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.+)$`, 'm').exec(text)?.[1]?.trim();
}

/** The meaningful part of OpenSSL's first error line (`…:error:0A00010B:SSL routines::wrong version number:…`). */
function opensslReason(stderr: string): string {
  const line = stderr.split('\n').find((l) => /error|errno|refused|unreachable/i.test(l)) ?? stderr.split('\n').find((l) => l.trim()) ?? 'no output';
  const m = /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(line);
  return (m?.[1] ?? line).trim();
}

/** Probes one https target from inside the pod. Never throws: exec failures become outcomes. */
export async function probeInPod(kube: KubeAccess, pod: ProbePod, request: ProbeRequest, verifying: boolean): Promise<ProbeOutcome> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  // openssl has no connect or read timeout of its own: the exec is bounded by the three steps together.
  const execTimeoutMs = 3 * request.timeoutMs;
  let exchange: ExecResult | 'aborted';
  try {
    exchange = await untilAborted(kube.exec(pod.namespace, pod.name, pod.container, sClientArgv(request, pod.files, 'exchange'), {
      timeoutMs: execTimeoutMs,
      stdin: http1Request({ host: request.host, port: request.port, pathWithQuery: request.pathWithQuery, timeoutMs: request.timeoutMs }),
    }), request.signal);
  } catch (error) {
    return { from: 'pod', durationMs: durationMs(), failure: execFailure(error) };
  }
  if (exchange === 'aborted') return { from: 'pod', durationMs: durationMs(), failure: { kind: 'timeout', step: 'response', atDeadline: true } };
  const outcome: ProbeOutcome = { from: 'pod', ...(await parseExchange(exchange, POD_ALPN, verifying)), durationMs: 0 };
  if (outcome.tls && !request.signal?.aborted) {
    try {
      const verbose = await kube.exec(pod.namespace, pod.name, pod.container, sClientArgv(request, pod.files, 'peer-certificate'), { timeoutMs: execTimeoutMs, stdin: '' });
      outcome.peer = { ...outcome.peer, spiffeId: peerSpiffeIdFromVerbose(verbose.stdout) };
    } catch {
      // The exchange already told what matters; the identity is then unknown, not wrong.
    }
  }
  return { ...outcome, durationMs: durationMs() };
}

/** The exec's result, or 'aborted' as soon as the run's deadline signal fires (the exec then ends at its own limit). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | 'aborted'> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function execFailure(error: unknown): ProbeOutcome['failure'] {
  const reason = oneLine(error);
  return /time(d)? ?out|deadline/i.test(reason) ? { kind: 'timeout', step: 'response' } : { kind: 'unreachable', reason: `exec of openssl in the Prometheus pod failed: ${reason}` };
}
