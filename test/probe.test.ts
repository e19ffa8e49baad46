/**
 * The live probe against real servers (Node TLS/https/http2, openssl s_server, nginx, plain HTTP,
 * misbehaving listeners), driven through runDoctor as `asm-prom doctor --offline --certs-dir D
 * --mesh-root F --target 127.0.0.1:PORT` would be: every targets.* code from a real peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { runDoctor, type Finding } from '../src/index.js';
import { probeLocal } from '../src/probes/mtls-probe.js';
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
