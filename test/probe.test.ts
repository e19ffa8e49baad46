/**
 * The live probe against real servers (Node TLS/https/http2, openssl s_server, nginx, plain HTTP,
 * misbehaving listeners), driven through runDoctor as `asm-prom doctor --offline --certs-dir D
 * --mesh-root F --target 127.0.0.1:PORT` would be: every targets.* code from a real peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { runDoctor, type Finding } from '../src/index.js';
import probeCheck from '../checks/targets/probe.js';
import { defineCheck, type Check } from '../src/core/check.js';
import type { Code } from '../src/core/codes.js';
import { ResourceStore } from '../src/core/resources.js';
import { runChecks } from '../src/core/runner.js';
import type { Category, Subject } from '../src/core/types.js';
import type { CertFileSet } from '../src/model/inventory.js';
import { makeProbeTls, probeLocal, type ProbeOutcome } from '../src/probes/mtls-probe.js';
import type { ProbeResult, ProbeRun, ProbeTarget } from '../src/probes/targets.js';
import { ProbeLab, TARGET_ID } from './probe-servers.js';
import { runCli } from './helpers/cli.js';
import { peer } from './helpers/peers.js';

const NGINX = peer('nginx');

let lab: ProbeLab;
let certs: string;
let meshRoot: string;

beforeAll(() => {
  lab = new ProbeLab();
  certs = lab.certsDir('prometheus');
  meshRoot = lab.file('mesh-root.pem', lab.mesh.rootPem);
});
afterAll(async () => lab.closeAll());

interface Probe {
  certsDir?: string;
  path?: string;
  identity?: string;
  timeout?: string;
  only?: boolean;
}

/** `doctor --offline --certs-dir D --mesh-root F --target 127.0.0.1:PORT[/PATH]`: the probe's findings and the exit code. */
async function probe(port: number, o: Probe = {}): Promise<{ findings: Finding[]; exitCode: number; codes: string[] }> {
  const args = ['--offline', '--certs-dir', o.certsDir ?? certs, '--mesh-root', meshRoot, '--target', `127.0.0.1:${port}${o.path ?? ''}`, '--timeout', o.timeout ?? '2s', '--probe', 'local'];
  if (o.identity) args.push('--target-identity', o.identity);
  if (o.only !== false) args.push('--only', 'targets.*');
  const summary = await runDoctor(parseDoctorArgs(args));
  const findings = summary.findings.filter((f) => f.check === 'targets.probe');
  expect(summary.checks.find((c) => c.id === 'targets.probe')?.status).not.toBe('skip');
  for (const f of findings) expect(f.subject).toMatchObject({ endpoint: `127.0.0.1:${port}` });
  return { findings, exitCode: summary.exitCode, codes: findings.map((f) => f.code).sort() };
}

function only(findings: Finding[], code: string): Finding {
  const found = findings.filter((f) => f.code === code);
  expect(found.map((f) => f.code), `findings: ${findings.map((f) => `${f.code} ${f.message}`).join('; ')}`).toEqual([code]);
  return found[0]!;
}

describe('healthy targets give TARGET_OK with the peer SPIFFE ID', () => {
  it('Node https, TLS 1.3', async () => {
    const port = await lab.https();
    const { findings, exitCode } = await probe(port, { identity: TARGET_ID });
    const ok = only(findings, 'TARGET_OK');
    expect(ok.subject).toEqual({ kind: 'Target', endpoint: `127.0.0.1:${port}` });
    expect(ok.evidence).toMatchObject({ tlsVersion: 'TLSv1.3', peerSpiffeId: TARGET_ID, status: 200, samples: 3, httpStatus: 200, probedFrom: 'local', format: 'prometheus-text' });
    expect(ok.evidence.cipher).toMatch(/^TLS_/);
    expect(ok.evidence.alpnOffered).toEqual(['h2', 'http/1.1']);
    expect(exitCode).toBe(0);
  });

  it('Node https, TLS 1.2', async () => {
    const { findings } = await probe(await lab.https({ maxVersion: 'TLSv1.2' }));
    expect(only(findings, 'TARGET_OK').evidence).toMatchObject({ tlsVersion: 'TLSv1.2', peerSpiffeId: TARGET_ID });
  });

  it('HTTP/2 when the server picks h2 by ALPN, as Prometheus ≥ 2.31 would', async () => {
    const { findings } = await probe(await lab.http2());
    expect(only(findings, 'TARGET_OK').evidence).toMatchObject({ alpn: 'h2', samples: 3 });
  });

  it('openssl s_server -Verify 1 -verify_return_error -WWW', async () => {
    const { findings } = await probe(await lab.opensslServer());
    expect(only(findings, 'TARGET_OK').evidence).toMatchObject({ peerSpiffeId: TARGET_ID, samples: 3 });
  });

  it.skipIf(!NGINX)('nginx with ssl_verify_client on', async () => {
    const { findings } = await probe(await lab.nginx());
    expect(only(findings, 'TARGET_OK').evidence).toMatchObject({ peerSpiffeId: TARGET_ID, samples: 1 });
  });

  it('an endless body is TARGET_TIMEOUT at the response, with what was read so far', async () => {
    const { findings } = await probe(await lab.tlsEndless(), { timeout: '1s' });
    const timeout = only(findings, 'TARGET_TIMEOUT');
    expect(timeout.evidence).toMatchObject({ step: 'response' });
    expect(timeout.evidence.bodyBytesSoFar as number).toBeGreaterThan(0);
    expect(timeout.evidence.samplesSoFar as number).toBeGreaterThan(0);
  });
});

describe('CLIENT_CERT_REJECTED from every kind of server', () => {
  let otherRootCerts: string;
  let noClientCert: string;
  let expired: string;
  beforeAll(() => {
    otherRootCerts = lab.certsDir('other-root', lab.otherMesh.issueWorkload('spiffe://other.mesh/ns/monitoring/sa/prometheus'), lab.otherMesh.rootPem);
    noClientCert = lab.certsDir('no-client-cert', null);
    const day = 24 * 3_600_000;
    expired = lab.certsDir('expired', lab.mesh.issueWorkload('spiffe://cluster.local/ns/monitoring/sa/prometheus', { notBefore: new Date(Date.now() - 3 * day), lifetimeMs: day }));
  });

  it('openssl s_server: unknown_ca for a client certificate of another root', async () => {
    const { findings, exitCode } = await probe(await lab.opensslServer(), { certsDir: otherRootCerts });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence).toMatchObject({ alert: 'unknown_ca' });
    expect(exitCode).toBe(1);
  });

  it('openssl s_server: certificate_required when no client certificate is sent (TLS 1.3)', async () => {
    const { findings } = await probe(await lab.opensslServer(), { certsDir: noClientCert });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence).toMatchObject({ alert: 'certificate_required', clientCertificate: expect.stringMatching(/^none/) });
  });

  it('openssl s_server: handshake_failure when no client certificate is sent (TLS 1.2)', async () => {
    const { findings } = await probe(await lab.opensslServer(['-tls1_2']), { certsDir: noClientCert });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence).toMatchObject({ alert: 'handshake_failure' });
  });

  it('openssl s_server: certificate_expired for an expired client certificate', async () => {
    const { findings } = await probe(await lab.opensslServer(), { certsDir: expired });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence).toMatchObject({ alert: 'certificate_expired' });
  });

  it('Node https, TLS 1.3: the silent close right after the handshake', async () => {
    const { findings } = await probe(await lab.https(), { certsDir: otherRootCerts });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence.alert).toMatch(/closed right after the handshake/);
  });

  it('Node https, TLS 1.2: the close during the handshake', async () => {
    const { findings } = await probe(await lab.https({ maxVersion: 'TLSv1.2' }), { certsDir: otherRootCerts });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence.alert).toMatch(/closed during the handshake/);
  });

  it.skipIf(!NGINX)('nginx: HTTP 400 "No required SSL certificate was sent"', async () => {
    const { findings } = await probe(await lab.nginx(), { certsDir: noClientCert });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence.alert).toMatch(/No required SSL certificate was sent/);
  });

  it.skipIf(!NGINX)('nginx: HTTP 400 "The SSL certificate error"', async () => {
    const { findings } = await probe(await lab.nginx(), { certsDir: otherRootCerts });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence.alert).toMatch(/SSL certificate error/);
  });

  it('links the configuration finding that explains it (ROOT_MISMATCH of the certs checks)', async () => {
    const { findings } = await probe(await lab.opensslServer(), { certsDir: otherRootCerts, only: false });
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence.explainedBy).toContain('ROOT_MISMATCH');
  });
});

describe('the peer', () => {
  it('PEER_CERT_UNTRUSTED when its chain does not lead to the mesh root; the scrape still counts', async () => {
    const foreign = lab.otherMesh.issueWorkload(TARGET_ID);
    const { codes, findings } = await probe(await lab.https({ cert: foreign }));
    expect(codes).toEqual(['PEER_CERT_UNTRUSTED', 'TARGET_OK']);
    expect(findings.find((f) => f.code === 'PEER_CERT_UNTRUSTED')!.evidence.reason).toMatch(/ISSUER|SELF_SIGNED|unable/i);
  });

  it('PEER_IDENTITY_MISMATCH when it is not the expected workload', async () => {
    const { codes, findings } = await probe(await lab.https(), { identity: 'spiffe://cluster.local/ns/app/sa/other' });
    expect(codes).toEqual(['PEER_IDENTITY_MISMATCH', 'TARGET_OK']);
    expect(findings.find((f) => f.code === 'PEER_IDENTITY_MISMATCH')!.evidence).toMatchObject({ actual: TARGET_ID, expected: 'spiffe://cluster.local/ns/app/sa/other' });
  });
});

describe('transport failures', () => {
  it('TARGET_UNREACHABLE for a closed port', async () => {
    const { findings, exitCode } = await probe(await lab.closedPort());
    expect(only(findings, 'TARGET_UNREACHABLE').evidence.reason).toMatch(/ECONNREFUSED/);
    expect(exitCode).toBe(1);
  });

  it('TARGET_TIMEOUT at the handshake for a listener that never speaks', async () => {
    const { findings } = await probe(await lab.silent(), { timeout: '300ms' });
    expect(only(findings, 'TARGET_TIMEOUT').evidence).toMatchObject({ step: 'handshake', timeoutMs: 300 });
  });

  it('TARGET_TIMEOUT at the response for a trickling body', async () => {
    const { findings } = await probe(await lab.tlsTrickle(), { timeout: '500ms' });
    expect(only(findings, 'TARGET_TIMEOUT').evidence).toMatchObject({ step: 'response' });
  });

  it('TARGET_TIMEOUT at the connect for an address that drops SYNs', async () => {
    // TEST-NET-1 (RFC 5737) is never routed: the connect hangs until our timeout.
    const summary = await runDoctor(parseDoctorArgs(['--offline', '--certs-dir', certs, '--target', '192.0.2.1:443', '--timeout', '300ms', '--probe', 'local', '--only', 'targets.*']));
    const f = summary.findings.filter((x) => x.check === 'targets.probe');
    expect(f.map((x) => x.code)).toHaveLength(1);
    // Some sandboxes answer "network unreachable" at once instead of dropping.
    expect(['TARGET_TIMEOUT', 'TARGET_UNREACHABLE']).toContain(f[0]!.code);
    if (f[0]!.code === 'TARGET_TIMEOUT') expect(f[0]!.evidence.step).toBe('connect');
  });

  it('SCRAPE_CONNECTION_CLOSED for a reset before any TLS answer', async () => {
    const { findings } = await probe(await lab.resetting());
    expect(only(findings, 'SCRAPE_CONNECTION_CLOSED').evidence.detail).toMatch(/before any TLS answer/);
  });

  it('SCRAPE_CONNECTION_CLOSED when the certificate was accepted but no response came', async () => {
    const { findings } = await probe(await lab.tlsCloseAfterHandshake());
    expect(only(findings, 'SCRAPE_CONNECTION_CLOSED').evidence.detail).toMatch(/EOF/);
  });

  it('TARGET_NOT_TLS for a plain-text port, showing what answers in plain text', async () => {
    const { findings } = await probe(await lab.plainHttp());
    expect(only(findings, 'TARGET_NOT_TLS').evidence.detail).toMatch(/wrong version number.*plain text it answers HTTP 200/);
  });
});

describe('the scrape', () => {
  it.each([['/forbidden', 403], ['/unavailable', 503], ['/nope', 404]])('SCRAPE_HTTP_ERROR for %s (%i) with its hint', async (path, status) => {
    const { findings } = await probe(await lab.https(), { path });
    const f = only(findings, 'SCRAPE_HTTP_ERROR');
    expect(f.evidence).toMatchObject({ status });
    expect(f.hint).toMatch({ 403: /AuthorizationPolicy/, 503: /0\.0\.0\.0/, 404: /path/ }[status]!);
  });

  it('SCRAPE_NOT_METRICS for an HTML page', async () => {
    const { findings } = await probe(await lab.https(), { path: '/html' });
    expect(only(findings, 'SCRAPE_NOT_METRICS').evidence).toMatchObject({ contentType: 'text/html' });
  });
});

describe('scheme http (plain-text probe)', () => {
  it('a plain-text request to an mTLS port is closed or answered with TLS: SCRAPE_CONNECTION_CLOSED', async () => {
    const port = await lab.opensslServer();
    const outcome = await probeLocal({ host: '127.0.0.1', port, scheme: 'http', pathWithQuery: '/metrics', alpn: [], timeoutMs: 2_000 }, undefined);
    expect(outcome.failure).toMatchObject({ kind: 'closed' });
  });

  it('a plain-text port answers', async () => {
    const port = await lab.plainHttp();
    const outcome = await probeLocal({ host: '127.0.0.1', port, scheme: 'http', pathWithQuery: '/metrics?x=1', alpn: [], timeoutMs: 2_000 }, undefined);
    expect(outcome.http).toMatchObject({ status: 200, metrics: { samples: 3 } });
  });
});

describe('probe off and the CLI', () => {
  it('--probe off skips the check with that reason', async () => {
    const summary = await runDoctor(parseDoctorArgs(['--offline', '--certs-dir', certs, '--target', '127.0.0.1:1', '--probe', 'off']));
    expect(summary.checks.find((c) => c.id === 'targets.probe')).toMatchObject({ status: 'skip', skipReason: expect.stringMatching(/--probe off/) });
  });

  it('no --target offline: skipped, saying there is nothing to probe', async () => {
    const summary = await runDoctor(parseDoctorArgs(['--offline', '--certs-dir', certs]));
    expect(summary.checks.find((c) => c.id === 'targets.probe')).toMatchObject({ status: 'skip', skipReason: expect.stringMatching(/nothing to probe/) });
  });

  it('asm-prom doctor --offline … --target -o json: codes, endpoint and exit code', async () => {
    const ok = await lab.https();
    const closed = await lab.closedPort();
    const { code, stdout } = await runCli(['doctor', '--offline', '--certs-dir', certs, '--mesh-root', meshRoot, '--target', `127.0.0.1:${ok}`, '--target', `127.0.0.1:${closed}`, '--probe', 'auto', '-o', 'json', '--timeout', '2s']);
    const report = JSON.parse(stdout) as { exitCode: number; findings: Finding[] };
    const mine = report.findings.filter((f) => f.check === 'targets.probe').map((f) => `${f.code} ${f.subject.endpoint}`).sort();
    expect(mine).toEqual([`TARGET_OK 127.0.0.1:${ok}`, `TARGET_UNREACHABLE 127.0.0.1:${closed}`]);
    expect(code).toBe(1);
    expect(report.exitCode).toBe(1);
    expect(stdout).not.toMatch(/PRIVATE KEY/);
  });
});

/**
 * The check itself, on probes of real servers given to the runner as the probe source gives them:
 * the targets of monitors (with their pod, monitor and expected identity, https or http), the facts
 * of the run, and which prior findings explain a failure.
 */
describe('targets.probe on probes of monitor targets', () => {
  const RUN = { now: new Date(), timeoutMs: 2000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 20_000 };
  const MONITOR = { kind: 'ServiceMonitor' as const, namespace: 'app', name: 'web', endpointIndex: 1 };
  const POD = { namespace: 'app', name: 'web-0', serviceAccount: 'web' };
  const CERTS: CertFileSet = {
    subject: { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0' }, dir: '/etc/prom-certs',
    files: {
      'root-cert.pem': { name: 'root-cert.pem', path: '/etc/prom-certs/root-cert.pem', state: 'ok' },
      'cert-chain.pem': { name: 'cert-chain.pem', path: '/etc/prom-certs/cert-chain.pem', state: 'ok' },
      'key.pem': { name: 'key.pem', path: '/etc/prom-certs/key.pem', state: 'ok' },
    },
  };
  const target = (port: number, over: Partial<ProbeTarget> = {}): ProbeTarget => ({
    endpoint: `127.0.0.1:${port}`, host: '127.0.0.1', port, scheme: 'https', path: '/metrics', params: {}, enableHttp2: true,
    monitor: MONITOR, pod: POD, expectedIdentity: TARGET_ID, subject: { kind: 'Pod', namespace: 'app', name: 'web-0', endpoint: `127.0.0.1:${port}` }, ...over,
  });
  /** Probes each target from here, with Prometheus's certificate (or the one given) and the mesh root. */
  const probed = async (targets: ProbeTarget[], client = lab.prometheus): Promise<ProbeResult[]> => {
    const tls = makeProbeTls({ certChainPem: client.chainPem, keyPem: client.keyPem, rootPem: lab.mesh.rootPem, rootSource: '/etc/prom-certs/root-cert.pem' });
    return Promise.all(targets.map(async (t) => ({
      target: t,
      outcome: await probeLocal({ host: t.host, port: t.port, scheme: t.scheme, pathWithQuery: t.path + (Object.keys(t.params).length ? `?${new URLSearchParams(Object.entries(t.params).flatMap(([k, vs]) => vs.map((v) => [k, v]))).toString()}` : ''), alpn: ['h2', 'http/1.1'], timeoutMs: 2_000 }, t.scheme === 'https' ? tls : undefined),
    })));
  };
  interface Prior { check: string; code: Code; subject: Subject; args?: object }
  const standIns = (priors: Prior[]): Check[] => [...new Set(priors.map((p) => p.check))].map((id) => defineCheck({
    id, title: `stands in for ${id}`, category: id.split('.')[0] as Category, codes: [...new Set(priors.filter((p) => p.check === id).map((p) => p.code))], needs: [],
    run(ctx) {
      for (const p of priors.filter((x) => x.check === id)) ctx.report(p.code, (p.args ?? {}) as never, { subject: p.subject });
    },
  }));
  const checkOf = async (results: ProbeResult[], run: Partial<ProbeRun> = {}, priors: Prior[] = []) => {
    const store = new ResourceStore({ probeResults: () => ({ from: 'local', reason: '--probe local', clientCertificate: 'sent', rootSource: '/etc/prom-certs/root-cert.pem', certFiles: CERTS, results, ...run }) });
    const { checks, findings } = await runChecks([probeCheck, ...standIns(priors)], store, RUN);
    expect(checks.filter((c) => c.status === 'crash')).toEqual([]);
    return { result: checks.find((c) => c.id === 'targets.probe')!, findings: findings.filter((f) => f.check === 'targets.probe') };
  };

  it('a probe cut by the run\'s --deadline (its signal), not by the step\'s --timeout, says so', async () => {
    const port = await lab.https();
    const tls = makeProbeTls({ certChainPem: lab.prometheus.chainPem, keyPem: lab.prometheus.keyPem, rootPem: lab.mesh.rootPem, rootSource: '/etc/prom-certs/root-cert.pem' });
    const outcome = await probeLocal({ host: '127.0.0.1', port, scheme: 'https', pathWithQuery: '/metrics', alpn: ['h2', 'http/1.1'], timeoutMs: 2_000, signal: AbortSignal.abort() }, tls);
    const { findings } = await checkOf([{ target: target(port), outcome }]);
    expect(findings.map((f) => [f.code, f.message])).toEqual([['TARGET_TIMEOUT', 'connect had not finished when the run reached its --deadline']]);
  });

  it('a handshake where no ALPN protocol was agreed (none offered): the evidence says none was negotiated', async () => {
    const port = await lab.https();
    const tls = makeProbeTls({ certChainPem: lab.prometheus.chainPem, keyPem: lab.prometheus.keyPem, rootPem: lab.mesh.rootPem, rootSource: '/etc/prom-certs/root-cert.pem' });
    const outcome = await probeLocal({ host: '127.0.0.1', port, scheme: 'https', pathWithQuery: '/metrics', alpn: [], timeoutMs: 2_000 }, tls);
    const { findings } = await checkOf([{ target: target(port), outcome }]);
    expect(findings.map((f) => [f.code, f.evidence.alpn])).toEqual([['TARGET_OK', 'none negotiated']]);
  });

  it('a healthy https target: its URL with the params, the TLS parameters, the peer, the monitor and the identity; the facts of the run', async () => {
    const port = await lab.https();
    const { result, findings } = await checkOf(await probed([target(port, { params: { module: ['http_2xx'] } })]));
    const ok = only(findings, 'TARGET_OK');
    expect(ok.evidence).toEqual({
      tlsVersion: 'TLSv1.3', peerSpiffeId: TARGET_ID, status: 200, samples: 3, format: 'prometheus-text', bytes: expect.any(Number),
      url: `https://127.0.0.1:${port}/metrics?module=http_2xx`, probedFrom: 'local', timeMs: expect.any(Number), clientCertificate: 'sent',
      cipher: expect.stringMatching(/^TLS_/), alpn: 'http/1.1', alpnOffered: ['h2', 'http/1.1'], httpStatus: 200,
      monitor: 'ServiceMonitor app/web endpoint 1', expectedIdentity: TARGET_ID,
    });
    expect(ok.subject).toEqual({ kind: 'Pod', namespace: 'app', name: 'web-0', endpoint: `127.0.0.1:${port}` });
    expect(result.facts).toEqual({ probedFrom: 'local', probeChoice: '--probe local', clientCertificate: 'sent', peerVerifiedAgainst: '/etc/prom-certs/root-cert.pem' });
  });

  it('a plain-text target of an http monitor: no TLS, no peer, no client certificate in the evidence; a target not probed is a fact', async () => {
    const port = await lab.plainHttp();
    const results = await probed([target(port, { scheme: 'http', monitor: undefined, expectedIdentity: undefined })]);
    const skipped: ProbeResult = { target: target(1, { endpoint: '10.0.0.9:8443' }), skipped: 'not judged: TLS 1.3 with a key share this machine lacks' };
    const { result, findings } = await checkOf([...results, skipped], { from: 'pod', reason: 'Prometheus runs with a sidecar', clientCertificate: 'none: the sidecar has no cert-chain.pem/key.pem', rootSource: undefined });
    const ok = only(findings, 'TARGET_OK');
    expect(Object.keys(ok.evidence).sort()).toEqual(['bytes', 'format', 'httpStatus', 'peerSpiffeId', 'probedFrom', 'samples', 'status', 'timeMs', 'tlsVersion', 'url']);
    expect(ok.evidence).toMatchObject({ tlsVersion: undefined, peerSpiffeId: undefined, status: 200 });
    expect(ok.evidence.url).toBe(`http://127.0.0.1:${port}/metrics`);
    expect(result.facts).toEqual({
      probedFrom: 'pod', probeChoice: 'Prometheus runs with a sidecar', clientCertificate: 'none: the sidecar has no cert-chain.pem/key.pem',
      notProbed: ['10.0.0.9:8443: not judged: TLS 1.3 with a key share this machine lacks'],
    });
    expect(Object.keys(result.facts!)).not.toContain('peerVerifiedAgainst');
  });

  it('every finding of a probe carries the peer it met: PEER_CERT_UNTRUSTED and the scrape, with its SPIFFE ID', async () => {
    const port = await lab.https({ cert: lab.otherMesh.issueWorkload(TARGET_ID) });
    const { findings } = await checkOf(await probed([target(port)]));
    expect(findings.map((f) => [f.code, f.evidence.peerSpiffeId])).toEqual([['PEER_CERT_UNTRUSTED', TARGET_ID], ['TARGET_OK', TARGET_ID]]);
  });

  it('a peer whose certificate names no SPIFFE ID (a DNS certificate of the mesh CA) where an identity is expected: PEER_IDENTITY_MISMATCH says so', async () => {
    const dnsOnly = lab.mesh.issueTls('web.app.svc', { dns: ['web.app.svc'] });
    const port = await lab.https({ cert: { ...dnsOnly, chainPem: dnsOnly.certPem } });
    const { findings } = await checkOf(await probed([target(port)]));
    expect(only(findings, 'PEER_IDENTITY_MISMATCH').evidence).toMatchObject({ actual: 'no SPIFFE ID', expected: TARGET_ID });
    expect(findings.find((f) => f.code === 'TARGET_OK')!.evidence).not.toHaveProperty('peerSpiffeId', expect.anything());
  });

  it("explainedBy: the codes of prior findings on its monitor, its pod, Prometheus's files or pod that explain this failure; not others", async () => {
    const port = await lab.opensslServer();
    const results = await probed([target(port)], lab.otherMesh.issueWorkload('spiffe://other.mesh/ns/monitoring/sa/prometheus'));
    const { findings } = await checkOf(results, {}, [
      { check: 'certs.root', code: 'ROOT_MISMATCH', subject: { kind: 'File', path: '/etc/prom-certs/root-cert.pem' }, args: { meshRoot: 'x' } },
      { check: 'monitors.tls-files', code: 'MONITOR_TLS_FILES_MISSING', subject: { kind: 'ServiceMonitor', namespace: 'app', name: 'web' }, args: { endpoint: 'endpoints[1]', missing: ['certFile', 'keyFile'], kind: 'ServiceMonitor' } },
      { check: 'prometheus.sidecar', code: 'SIDECAR_NOT_INJECTED', subject: { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0' }, args: { cause: 'inject-false', namespace: 'monitoring' } },
      { check: 'prometheus.outbound', code: 'OUTBOUND_CAPTURED', subject: { kind: 'Pod', namespace: 'app', name: 'web-0' }, args: { value: '*' } },
      // explainers, but about something else: another file, pod, monitor (kind, namespace, name), or nothing named
      { check: 'certs.other-file', code: 'CHAIN_BROKEN', subject: { kind: 'File', path: '/tmp/other/cert-chain.pem' }, args: { reason: 'x' } },
      { check: 'certs.unnamed', code: 'CERT_EXPIRED', subject: { kind: 'Pod', namespace: 'app' }, args: { certificate: 'x', notAfter: 'y' } },
      { check: 'monitors.other-kind', code: 'CERT_PARSE_ERROR', subject: { kind: 'PodMonitor', namespace: 'app', name: 'web' }, args: {} },
      { check: 'monitors.other-namespace', code: 'KEY_MISMATCH', subject: { kind: 'ServiceMonitor', namespace: 'shop', name: 'web' }, args: {} },
      { check: 'monitors.other-name', code: 'CERTS_NOT_MOUNTED', subject: { kind: 'ServiceMonitor', namespace: 'app', name: 'db' }, args: { volume: 'v', container: 'c' } },
      // about this target, but no explainer of a refused certificate
      { check: 'monitors.port', code: 'MONITOR_PORT_PROTOCOL', subject: { kind: 'ServiceMonitor', namespace: 'app', name: 'web' }, args: { endpoint: 'endpoints[1]', port: 'metrics', service: 'app/web' } },
    ]);
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence.explainedBy).toEqual(['ROOT_MISMATCH', 'MONITOR_TLS_FILES_MISSING', 'SIDECAR_NOT_INJECTED', 'OUTBOUND_CAPTURED']);
  });

  it('explainedBy with --certs-dir files (a subject with no name): a finding on another folder of the same kind explains nothing', async () => {
    const port = await lab.opensslServer();
    const results = await probed([target(port)], lab.otherMesh.issueWorkload('spiffe://other.mesh/ns/monitoring/sa/prometheus'));
    const certsDir: CertFileSet = { ...CERTS, subject: { kind: 'CertificateFiles' } };
    const { findings } = await checkOf(results, { certFiles: certsDir }, [
      { check: 'certs.validity', code: 'CERT_EXPIRED', subject: { kind: 'CertificateFiles', path: '/etc/prom-certs/cert-chain.pem' }, args: { certificate: 'x', notAfter: 'y' } },
      { check: 'certs.elsewhere', code: 'KEY_MISMATCH', subject: { kind: 'CertificateFiles', path: '/tmp/other/key.pem' }, args: {} },
    ]);
    expect(only(findings, 'CLIENT_CERT_REJECTED').evidence.explainedBy).toEqual(['CERT_EXPIRED']);
  });

  it('outcomes the ProbeOutcome contract allows beyond what today\'s probes give: an untrusted chain without OpenSSL\'s reason, a handshake with no scrape and no failure', async () => {
    // The openssl probe takes the reason from a "Verification error:" line; without one, the finding still says the chain does not verify.
    const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'http/1.1', offeredAlpn: ['h2', 'http/1.1'] };
    const untrusted: ProbeOutcome = { from: 'pod', durationMs: 3, tls, peer: { spiffeId: TARGET_ID, chainTrusted: false } };
    const { findings } = await checkOf([{ target: target(1), outcome: untrusted }]);
    expect(findings.map((f) => [f.code, f.message])).toEqual([['PEER_CERT_UNTRUSTED', expect.stringContaining('the chain does not verify')]]);
    // No HTTP answer and no failure: nothing more to judge than the handshake, which was fine.
    const { findings: none } = await checkOf([{ target: target(1), outcome: { ...untrusted, peer: { spiffeId: TARGET_ID, chainTrusted: true } } }]);
    expect(none).toEqual([]);
  });

  it('a run without certificate files or monitor: only the pod links; a healthy target is explained by nothing, though findings are about its pod', async () => {
    const failing = await lab.closedPort();
    const healthy = await lab.https();
    const results = await probed([target(failing, { monitor: undefined }), target(healthy, { monitor: undefined })]);
    const priors: Prior[] = [
      { check: 'prometheus.outbound', code: 'OUTBOUND_CAPTURED', subject: { kind: 'Pod', namespace: 'app', name: 'web-0' }, args: { value: '*' } },
      { check: 'certs.root', code: 'ROOT_MISMATCH', subject: { kind: 'File', path: '/etc/prom-certs/root-cert.pem' }, args: { meshRoot: 'x' } },
      { check: 'prometheus.sidecar', code: 'SIDECAR_NOT_INJECTED', subject: { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0' }, args: { cause: 'inject-false', namespace: 'monitoring' } },
    ];
    const { findings } = await checkOf(results, { certFiles: undefined }, priors);
    expect(findings.map((f) => [f.code, f.evidence.explainedBy])).toEqual([['TARGET_UNREACHABLE', undefined], ['TARGET_OK', undefined]]);
    const timeout = await probed([target(await lab.silent(), { monitor: undefined })]);
    const { findings: slow } = await checkOf(timeout, { certFiles: undefined }, priors);
    expect(only(slow, 'TARGET_TIMEOUT').evidence.explainedBy).toEqual(['OUTBOUND_CAPTURED']);
  });
});
