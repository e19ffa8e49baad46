/**
 * Acceptance of the live surface through the CLI, as a user meets it: real peers (Node servers from
 * probe-servers.ts), the built binary, the JSON report. Each case is one that once went wrong.
 */
import http2 from 'node:http2';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, ProbeLab } from './probe-servers.js';
import { runCli } from './helpers/cli.js';

interface Report {
  exitCode: number;
  findings: { code: string; severity: string; subject: { kind: string; endpoint?: string }; message: string; evidence: Record<string, unknown> }[];
  checks: { id: string; status: string; skipReason?: string }[];
}

let lab: ProbeLab;
beforeAll(() => (lab = new ProbeLab()));
afterAll(async () => lab.closeAll());

async function doctor(args: readonly string[]): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await runCli(['doctor', '--offline', ...args, '-o', 'json']);
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

describe('--deadline bounds the whole run', () => {
  it('probes still in flight at the deadline are reported as TARGET_TIMEOUT on their endpoint, and fail the run', async () => {
    const port = await lab.silent();
    const targets = Array.from({ length: 6 }, () => ['--target', `127.0.0.1:${port}`]).flat();
    const { code, report } = await doctor(['--certs-dir', lab.certsDir('deadline'), ...targets, '--timeout', '30s', '--deadline', '2s', '--concurrency', '2']);
    expect(report.checks.find((c) => c.id === 'targets.probe')?.status).toBe('fail');
    expect(report.findings.map((f) => [f.code, f.subject.endpoint, f.evidence.atDeadline])).toEqual(Array(6).fill(['TARGET_TIMEOUT', `127.0.0.1:${port}`, true]));
    expect(report.findings[0]!.message).toMatch(/--deadline/);
    expect([code, report.exitCode]).toEqual([1, 1]);
  });
});

describe('gzip, as Prometheus asks for it', () => {
  const gzipped = gzipSync(METRICS);
  const bomb = gzipSync(Buffer.from('bomb_total 1\n'.repeat(4_000_000)));

  it('a body gzipped whatever was asked is inflated and counted, over HTTP/1.1 and HTTP/2', async () => {
    const send = (body: Buffer) => (_req: unknown, res: { writeHead(s: number, h: Record<string, string>): void; end(b: Buffer): void }) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' });
      res.end(body);
    };
    const h1 = await lab.listen(https.createServer(lab.serverTls(), send(gzipped)));
    const h2 = await lab.listen(http2.createSecureServer(lab.serverTls(), send(gzipped)));
    const { report } = await doctor(['--certs-dir', lab.certsDir('gzip'), '--target', `127.0.0.1:${h1}`, '--target', `127.0.0.1:${h2}`, '--only', 'targets.*']);
    expect(report.findings.map((f) => [f.code, f.evidence.alpn, f.evidence.samples])).toEqual([['TARGET_OK', 'http/1.1', 3], ['TARGET_OK', 'h2', 3]]);
  });

  it('a gzip body that inflates to 52 MB is inflated as it streams and counted whole; one that does not inflate is not metrics', async () => {
    const big = await lab.listen(https.createServer(lab.serverTls(), (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(bomb);
    }));
    const broken = await lab.listen(https.createServer(lab.serverTls(), (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(METRICS);
    }));
    const { report } = await doctor(['--certs-dir', lab.certsDir('gzip-limits'), '--target', `127.0.0.1:${big}`, '--target', `127.0.0.1:${broken}`, '--only', 'targets.*']);
    expect(report.findings.map((f) => f.code)).toEqual(['TARGET_OK', 'SCRAPE_NOT_METRICS']);
    expect(report.findings[0]!.evidence.samples).toBe(4_000_000);
  });
});

describe('--target HOST:PORT/PATH?QUERY', () => {
  it('asks that path with that query, and says so in the evidence', async () => {
    const port = await lab.listen(https.createServer(lab.serverTls(), (req, res) => {
      res.writeHead(req.url === '/custom/path?x=1&x=2' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end('asked 1\n');
    }));
    const { report } = await doctor(['--certs-dir', lab.certsDir('query'), '--target', `localhost:${port}/custom/path?x=1&x=2`, '--only', 'targets.*']);
    expect(report.findings.map((f) => [f.code, f.subject.endpoint, f.evidence.url])).toEqual([['TARGET_OK', `localhost:${port}`, `https://localhost:${port}/custom/path?x=1&x=2`]]);
  });
});

describe('--target without the certificate files', () => {
  it('still judges reachability and TLS; only the client-certificate question is left open', async () => {
    const closed = await lab.closedPort();
    const mtls = await lab.https(); // requires a client certificate
    const plain = await lab.plainHttp();
    const { code, report } = await doctor(['--target', `127.0.0.1:${closed}`, '--target', `127.0.0.1:${mtls}`, '--target', `127.0.0.1:${plain}`, '--only', 'targets.*']);
    expect(report.findings.map((f) => [f.code, f.subject.endpoint])).toEqual([
      ['TARGET_UNREACHABLE', `127.0.0.1:${closed}`],
      ['TARGET_NOT_TLS', `127.0.0.1:${plain}`],
    ]);
    expect([code, report.exitCode]).toEqual([1, 1]);
  });
});
