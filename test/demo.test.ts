/**
 * `asm-prom demo`, as a user runs it: the built binary, one process per scenario. Each scenario's
 * expectedCodes must be reported; --list names them all and the default.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO } from '../src/cli/commands/demo.js';
import { listScenarios } from '../src/sim/index.js';
import { runCli } from './helpers/cli.js';

/** The CLI without blocking the event loop (the test's own servers stay responsive); no kill before the test's own timeout. */
const cli = (args: string[]) => runCli(args, { timeoutMs: 120_000 });

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
}, 120_000);

const scenarios = listScenarios().filter((s) => s.name !== 'scale');

describe('asm-prom demo', () => {
  it('--list names every scenario with its description, and the default', async () => {
    const human = await cli(['demo', '--list']);
    expect(human.code).toBe(0);
    for (const s of scenarios) expect(human.stdout).toContain(s.name);
    expect(human.stdout).toContain(`${DEFAULT_SCENARIO} (default)`);

    const json = await cli(['demo', '--list', '-o', 'json']);
    const listed = JSON.parse(json.stdout) as { scenarios: { name: string; description: string; default: boolean }[] };
    expect(listed.scenarios.filter((s) => s.default).map((s) => s.name)).toEqual([DEFAULT_SCENARIO]);
    expect(listed.scenarios.every((s) => s.description.length > 0)).toBe(true);
  }, 60_000);

  it('the default scenario shows a failure being diagnosed', () => {
    expect(scenarios.find((s) => s.name === DEFAULT_SCENARIO)?.expectedCodes.length).toBeGreaterThan(0);
  });

  // One at a time: on a small machine, meshes side by side would turn --timeout into the thing under test.
  it.each(scenarios.map((s) => [s.name, s.expectedCodes] as const))('demo %s -o json reports %j', async (name, expected) => {
    const result = await cli(['demo', name, '-o', 'json']);
    expect(result.code, result.stderr).not.toBe(2);
    expect(result.code).not.toBe(3);
    const report = JSON.parse(result.stdout) as { mode: string; exitCode: number; findings: { code: string; severity: string }[] };
    expect(report.mode).toBe('cluster');
    expect(report.exitCode).toBe(result.code);
    const codes = new Set(report.findings.map((f) => f.code));
    for (const code of expected) expect([...codes], `${name} should report ${code}`).toContain(code);
    if (!expected.length) expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
  }, 120_000);

  it('wrong-root: TARGET_DOWN is explained by ROOT_MISMATCH, never by the passing MONITOR_PORT_PROTOCOL', async () => {
    const result = await cli(['demo', 'wrong-root', '-o', 'json']);
    const report = JSON.parse(result.stdout) as { checks: { id: string; status: string }[]; findings: { code: string; evidence: Record<string, unknown> }[] };
    expect(report.checks.find((c) => c.id === 'monitors.port-protocol')?.status).toBe('pass');
    const found = new Set(report.findings.map((f) => f.code));
    const down = report.findings.filter((f) => f.code === 'TARGET_DOWN');
    expect(down.length).toBeGreaterThan(0);
    for (const f of down) {
      const explainedBy = f.evidence.explainedBy as string[];
      expect(explainedBy).toContain('ROOT_MISMATCH');
      expect(explainedBy.every((code) => found.has(code)), `${explainedBy.join(', ')} found in this run`).toBe(true);
      expect([...explainedBy, ...(f.evidence.possibleCauses as string[])]).not.toContain('MONITOR_PORT_PROTOCOL');
    }
    const human = await cli(['demo', 'wrong-root']);
    const lines = human.stdout.split('\n').filter((l) => l.includes('explained by:'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain('MONITOR_PORT_PROTOCOL');
    expect(lines.some((l) => l.includes('ROOT_MISMATCH'))).toBe(true);
  }, 240_000);

  it('an unknown scenario is a usage error: exit 2, one line', async () => {
    const result = await cli(['demo', 'no-such-scenario', '-o', 'json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('flags that point elsewhere are refused', async () => {
    const result = await cli(['demo', 'healthy', '-f', 'examples/']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/simulated cluster: -f does not apply/);
  });
});
