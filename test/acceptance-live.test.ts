/**
 * Acceptance of the live surface through the CLI, as a user meets it: real peers (Node servers from
 * probe-servers.ts), the built binary, the JSON report. Each case is one that once went wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeLab } from './probe-servers.js';
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
