/**
 * Hostile targets (src/sim/target-faults.ts) against the live probe, through runDoctor as
 * `asm-prom doctor --offline --certs-dir D --mesh-root F --target 127.0.0.1:PORT --timeout 1s`:
 * each misbehaviour ends in the finding Prometheus's scrape would give, with exit 1, never 3.
 * Assertions are on codes and evidence, never on durations.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { runDoctor, type Finding } from '../src/index.js';
import { makeProbeTls, probeLocal } from '../src/probes/mtls-probe.js';
import { faultServer, LARGE_PAGE_BYTES, type TargetFault } from '../src/sim/target-faults.js';
import { ProbeLab } from './probe-servers.js';

const lab = new ProbeLab();
const certs = lab.certsDir('prometheus');
const meshRoot = lab.file('mesh-root.pem', lab.mesh.rootPem);
afterAll(async () => lab.closeAll());

function listenFault(fault: TargetFault): Promise<number> {
  return lab.listen(faultServer(fault, { keyPem: lab.server.keyPem, chainPem: lab.server.chainPem, caPem: lab.mesh.rootPem }));
}

async function probe(fault: TargetFault, timeout = '1s'): Promise<{ findings: Finding[]; exitCode: number }> {
  const port = await listenFault(fault);
  const args = ['--offline', '--certs-dir', certs, '--mesh-root', meshRoot, '--target', `127.0.0.1:${port}`, '--timeout', timeout, '--deadline', '30s', '--probe', 'local', '--only', 'targets.*'];
  const summary = await runDoctor(parseDoctorArgs(args));
  return { findings: summary.findings.filter((f) => f.check === 'targets.probe'), exitCode: summary.exitCode };
}

function only(findings: Finding[], code: string): Finding {
  expect(findings.map((f) => f.code), findings.map((f) => `${f.code} ${f.message}`).join('; ')).toEqual([code]);
  return findings[0]!;
}

describe('a body still arriving at --timeout is TARGET_TIMEOUT, with what was read', () => {
  it('an endless body', async () => {
    const { findings, exitCode } = await probe('endless');
    const f = only(findings, 'TARGET_TIMEOUT');
    expect(f.evidence).toMatchObject({ step: 'response', timeoutMs: 1000 });
    expect(f.evidence.bodyBytesSoFar as number).toBeGreaterThan(0);
    expect(f.evidence.samplesSoFar as number).toBeGreaterThan(0);
    expect(exitCode).toBe(1);
  });

  it('an endless gzip body (inflated as it streams)', async () => {
    const { findings } = await probe('endless-gzip');
    const f = only(findings, 'TARGET_TIMEOUT');
    expect(f.evidence.samplesSoFar as number).toBeGreaterThan(0);
  });

  it('a body that trickles a line at a time', async () => {
    const { findings } = await probe('trickle-body');
    expect(only(findings, 'TARGET_TIMEOUT').evidence).toMatchObject({ step: 'response' });
  });
});

describe('what Prometheus scrapes fine is TARGET_OK', () => {
  it(`a large honest page (${LARGE_PAGE_BYTES / 1e6} MB) is counted whole`, async () => {
    const { findings, exitCode } = await probe('large-page', '30s');
    const f = only(findings, 'TARGET_OK');
    expect(f.evidence.bytes as number).toBeGreaterThan(LARGE_PAGE_BYTES * 0.99);
    expect(f.evidence.samples as number).toBeGreaterThan(400_000);
    expect(exitCode).toBe(0);
  });

  it('1 MiB of response headers over HTTP/2: more than the HTTP/2 client of Node reads, so asked again over HTTP/1.1', async () => {
    const { findings } = await probe('huge-headers');
    const f = only(findings, 'TARGET_OK');
    expect(f.evidence).toMatchObject({ alpn: 'http/1.1', samples: 1 });
    expect(f.evidence.retriedAfter).toMatch(/HTTP\/2 response headers are larger/);
  });

  it('1 MiB of response headers over HTTP/1.1', async () => {
    const port = await listenFault('huge-headers');
    const outcome = await probeLocal(
      { host: '127.0.0.1', port, scheme: 'https', pathWithQuery: '/metrics', alpn: ['http/1.1'], timeoutMs: 5_000 },
      makeProbeTls({ certChainPem: lab.prometheus.chainPem, keyPem: lab.prometheus.keyPem }),
    );
    expect(outcome.failure).toBeUndefined();
    expect(outcome.http).toMatchObject({ status: 200, metrics: { format: 'prometheus-text', samples: 1 } });
  });

  it('an HTTP/2 GOAWAY NO_ERROR before the answer is retried on a new connection, as Go does', async () => {
    const { findings } = await probe('goaway-graceful');
    only(findings, 'TARGET_OK');
  });
});

describe('broken connections are SCRAPE_CONNECTION_CLOSED, not a certificate refusal', () => {
  it('an HTTP/2 GOAWAY PROTOCOL_ERROR after the handshake names its code', async () => {
    const { findings, exitCode } = await probe('goaway');
    expect(only(findings, 'SCRAPE_CONNECTION_CLOSED').evidence.detail).toMatch(/GOAWAY \(PROTOCOL_ERROR\)/);
    expect(exitCode).toBe(1);
  });

  it('bytes that are not HTTP', async () => {
    const { findings } = await probe('garbage');
    expect(only(findings, 'SCRAPE_CONNECTION_CLOSED').evidence.detail).toMatch(/not HTTP/);
  });

  it('a reset halfway through the body', async () => {
    const { findings } = await probe('reset-mid-body');
    expect(only(findings, 'SCRAPE_CONNECTION_CLOSED').evidence.detail).toMatch(/before its body was complete|broke off/);
  });
});

describe('a huge certificate chain', () => {
  it('a chain of ~50 KB is read and judged', async () => {
    const port = await lab.listen(faultServer('huge-chain', { keyPem: lab.server.keyPem, chainPem: lab.server.chainPem, caPem: lab.mesh.rootPem }, { extraChainCerts: 60 }));
    const summary = await runDoctor(parseDoctorArgs(['--offline', '--certs-dir', certs, '--mesh-root', meshRoot, '--target', `127.0.0.1:${port}`, '--timeout', '2s', '--probe', 'local', '--only', 'targets.*']));
    only(summary.findings, 'TARGET_OK');
  });

  it('a chain larger than OpenSSL reads (but not Go) is left unjudged, never CLIENT_CERT_REJECTED', async () => {
    const { findings, exitCode } = await probe('huge-chain');
    expect(findings.map((f) => f.code)).toEqual([]);
    expect(exitCode).toBe(0);
  });
});
