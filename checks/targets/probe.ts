/**
 * targets.probe: every probed target, classified into the targets.* codes. One check, because one
 * handshake and one GET yield them all: a failure ends the probe with one code; a handshake that
 * worked may add PEER_CERT_UNTRUSTED / PEER_IDENTITY_MISMATCH beside the scrape's verdict.
 *
 * It runs after the configuration checks so that a failure whose cause they already found says so:
 * evidence `explainedBy` lists the codes of prior findings on the same monitor, the target pod, or
 * the certificate files (and Prometheus pod) the probe presented.
 */
import { defineCheck, type CheckContext } from '../../src/core/check.js';
import type { Code, CodeArgs } from '../../src/core/codes.js';
import type { Evidence, Finding, Subject } from '../../src/core/types.js';
import type { ProbeOutcome } from '../../src/probes/mtls-probe.js';
import { pathWithParams } from '../../src/probes/scrape-response.js';
import type { ProbeResult, ProbeRun, ProbeTarget } from '../../src/probes/targets.js';

const TARGET_CODES = [
  'TARGET_OK', 'TARGET_UNREACHABLE', 'TARGET_TIMEOUT', 'TARGET_NOT_TLS', 'CLIENT_CERT_REJECTED', 'PEER_CERT_UNTRUSTED',
  'PEER_IDENTITY_MISMATCH', 'SCRAPE_CONNECTION_CLOSED', 'SCRAPE_HTTP_ERROR', 'SCRAPE_NOT_METRICS',
] as const satisfies readonly Code[];
type TargetCode = (typeof TARGET_CODES)[number];

/** The configuration findings that explain each live failure (failure-modes.md rows 11–20). */
const EXPLAINERS: Record<Exclude<TargetCode, 'TARGET_OK'>, readonly Code[]> = {
  TARGET_UNREACHABLE: [],
  TARGET_TIMEOUT: ['OUTBOUND_CAPTURED'],
  TARGET_NOT_TLS: ['MONITOR_TLS_ON_PLAINTEXT', 'MONITOR_MERGED_METRICS_PORT', 'AMBIENT_NAMESPACE'],
  CLIENT_CERT_REJECTED: [
    'CERT_FILE_MISSING', 'CERT_FILE_UNREADABLE', 'CERT_PARSE_ERROR', 'KEY_MISMATCH', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID',
    'CHAIN_BROKEN', 'ROOT_MISMATCH', 'MONITOR_TLS_FILES_MISSING', 'MONITOR_TLS_PATH_UNMOUNTED', 'OUTPUT_CERTS_MISSING',
    'SIDECAR_NOT_INJECTED', 'CERTS_NOT_MOUNTED', 'CERTS_PATH_MISMATCH', 'OUTBOUND_CAPTURED',
  ],
  PEER_CERT_UNTRUSTED: ['ROOT_MISMATCH', 'CHAIN_BROKEN'],
  PEER_IDENTITY_MISMATCH: [],
  SCRAPE_CONNECTION_CLOSED: ['MONITOR_PORT_PROTOCOL', 'MONITOR_SCHEME_HTTP_ON_STRICT', 'MONITOR_TLS_ON_PLAINTEXT', 'OUTBOUND_CAPTURED'],
  SCRAPE_HTTP_ERROR: ['OUTBOUND_CAPTURED'],
  SCRAPE_NOT_METRICS: ['MONITOR_MERGED_METRICS_PORT'],
};

type Report = <C extends TargetCode>(code: C, args: CodeArgs<C>, evidence?: Evidence) => void;

/** One probe's outcome → its findings. Pure: the tests of every code go through it. */
function classifyOutcome(outcome: ProbeOutcome, target: ProbeTarget, timeoutMs: number, report: Report): void {
  const failure = outcome.failure;
  if (failure) {
    switch (failure.kind) {
      case 'unreachable': return report('TARGET_UNREACHABLE', { reason: failure.reason });
      case 'timeout': return report('TARGET_TIMEOUT', { step: failure.step, timeoutMs, ...(failure.atDeadline ? { atDeadline: true } : {}) },
        failure.readSoFar ? { bodyBytesSoFar: failure.readSoFar.bytes, samplesSoFar: failure.readSoFar.samples } : undefined);
      case 'not-tls': return report('TARGET_NOT_TLS', { detail: failure.detail });
      case 'client-cert-rejected': return report('CLIENT_CERT_REJECTED', { alert: failure.alert });
      case 'closed': return report('SCRAPE_CONNECTION_CLOSED', { detail: failure.detail });
    }
  }
  const peer = outcome.peer;
  if (peer?.chainTrusted === false) report('PEER_CERT_UNTRUSTED', { reason: peer.chainError ?? 'the chain does not verify' });
  if (outcome.tls && target.expectedIdentity && peer?.spiffeId !== target.expectedIdentity)
    report('PEER_IDENTITY_MISMATCH', { actual: peer?.spiffeId ?? 'no SPIFFE ID', expected: target.expectedIdentity });
  const http = outcome.http;
  if (!http) return;
  if (http.status !== 200) return report('SCRAPE_HTTP_ERROR', { status: http.status });
  if (http.metrics.format === 'not-metrics') return report('SCRAPE_NOT_METRICS', { contentType: http.contentType });
  report('TARGET_OK', { tlsVersion: outcome.tls?.version, peerSpiffeId: peer?.spiffeId, status: http.status, samples: http.metrics.samples },
    { format: http.metrics.format, bytes: http.bytes });
}

/** Facts every finding of a probe carries: where from, the TLS parameters, the URL, the monitor. */
function probeEvidence(result: ProbeResult & { outcome: ProbeOutcome }, run: ProbeRun): Evidence {
  const { target, outcome } = result;
  const evidence: Evidence = {
    // The URL asked, query included: the monitor's params (or --target's query) are part of what was scraped.
    url: `${target.scheme}://${target.endpoint}${pathWithParams(target.path, target.params)}`,
    probedFrom: outcome.from,
    timeMs: outcome.durationMs,
  };
  if (target.scheme === 'https') evidence.clientCertificate = run.clientCertificate;
  if (outcome.tls) Object.assign(evidence, { tlsVersion: outcome.tls.version, cipher: outcome.tls.cipher, alpn: outcome.tls.alpn ?? 'none negotiated', alpnOffered: outcome.tls.offeredAlpn });
  if (outcome.peer?.spiffeId) evidence.peerSpiffeId = outcome.peer.spiffeId;
  if (outcome.http) evidence.httpStatus = outcome.http.status;
  if (outcome.retriedAfter) evidence.retriedAfter = outcome.retriedAfter;
  if (target.monitor) evidence.monitor = `${target.monitor.kind} ${target.monitor.namespace}/${target.monitor.name} endpoint ${target.monitor.endpointIndex}`;
  if (target.expectedIdentity) evidence.expectedIdentity = target.expectedIdentity;
  return evidence;
}

const sameObject = (a: Subject, b: { kind: string; namespace?: string; name?: string }) =>
  a.kind === b.kind && a.namespace === b.namespace && a.name === b.name && a.name !== undefined;

/** Prior findings about what this probe depended on: its monitor, its pod, the files it presented. */
function relatedFindings(prior: readonly Finding[], target: ProbeTarget, run: ProbeRun): Finding[] {
  const filePaths = new Set(Object.values(run.certFiles?.files ?? {}).map((f) => f.path));
  const objects = [
    ...(target.monitor ? [target.monitor] : []),
    ...(target.pod ? [{ kind: 'Pod', ...target.pod }] : []),
    ...(run.certFiles ? [run.certFiles.subject] : []),
  ];
  return prior.filter((f) => (f.subject.path !== undefined && filePaths.has(f.subject.path)) || objects.some((o) => sameObject(f.subject, o)));
}

function explainedBy(code: TargetCode, related: readonly Finding[]): Code[] {
  if (code === 'TARGET_OK') return [];
  const explainers = EXPLAINERS[code];
  return [...new Set(related.map((f) => f.code as Code).filter((c) => explainers.includes(c)))];
}

function reportResult(ctx: CheckContext, run: ProbeRun, result: ProbeResult & { outcome: ProbeOutcome }): void {
  const base = probeEvidence(result, run);
  const related = relatedFindings(ctx.priorFindings(), result.target, run);
  classifyOutcome(result.outcome, result.target, ctx.options.timeoutMs, (code, args, evidence) => {
    const explained = explainedBy(code, related);
    ctx.report(code, args, { subject: result.target.subject, evidence: { ...base, ...evidence, ...(explained.length ? { explainedBy: explained } : {}) } });
  });
}

export default defineCheck({
  id: 'targets.probe',
  title: 'Each target accepts a handshake and a scrape made as Prometheus makes them',
  category: 'targets',
  codes: TARGET_CODES,
  needs: ['probeResults'],
  after: ['prometheus', 'monitors', 'certs'],
  async run(ctx) {
    const run = await ctx.get('probeResults');
    ctx.fact('probedFrom', run.from);
    ctx.fact('probeChoice', run.reason);
    ctx.fact('clientCertificate', run.clientCertificate);
    if (run.rootSource) ctx.fact('peerVerifiedAgainst', run.rootSource);
    const skipped = run.results.filter((r) => !r.outcome).map((r) => `${r.target.endpoint}: ${r.skipped}`);
    if (skipped.length) ctx.fact('notProbed', skipped);
    for (const result of run.results) if (result.outcome) reportResult(ctx, run, result as ProbeResult & { outcome: ProbeOutcome });
  },
});
