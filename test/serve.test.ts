/**
 * `asm-prom serve` as a process against the simulated mesh: its endpoints, its loop, its flags and
 * its shutdown; and the Exporter's loop with a doctor the test controls (never two runs at once).
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../src/core/options.js';
import type { RunSummary } from '../src/core/types.js';
import { Exporter } from '../src/serve/exporter.js';
import { parseListenAddress, wantsOpenMetrics } from '../src/serve/http.js';
import { startSimulatedMesh, type SimulatedMesh } from '../src/sim/index.js';
import { runCli } from './helpers/cli.js';
import { startServe, type Served } from './helpers/serve.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

describe('asm-prom serve against the simulated mesh', () => {
  let mesh: SimulatedMesh;
  let served: Served;
  // serve's own TMPDIR: what is left there after it exits is exactly what serve left
  const tmp = tempDir('asm-prom-serve-tmp-');
  beforeAll(async () => {
    mesh = await startSimulatedMesh('wrong-root');
    served = await startServe(['--kubeconfig', mesh.kubeconfigPath, '--interval', '2s', '--timeout', '10s'], undefined, { TMPDIR: tmp });
  }, 90_000);
  afterAll(async () => {
    served?.child.kill('SIGKILL');
    await mesh?.stop();
  });

  it('is alive at once, ready after its first run, and then serves that run', async () => {
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
    await waitFor('/readyz 200', 60_000, async () => ((await fetch(`${served.url}/readyz`)).status === 200 ? true : undefined));
    const report = (await (await fetch(`${served.url}/report`)).json()) as RunSummary;
    expect(report).toMatchObject({ schemaVersion: 1, mode: 'cluster', exitCode: 1 });
    expect(report.findings.map((f) => f.code)).toContain('ROOT_MISMATCH');
  }, 90_000);

  it('serves the findings in the text format, and OpenMetrics when the scraper asks for it', async () => {
    const text = await fetch(`${served.url}/metrics`);
    expect(text.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await text.text();
    expect(body).toMatch(/^asm_prom_finding\{code="ROOT_MISMATCH",severity="error",check="certs.mesh-root",/m);
    expect(body).toMatch(/^asm_prom_last_run_timestamp_seconds \d+(\.\d+)?$/m);
    expect(body).toMatch(/^asm_prom_check_status\{check="certs.mesh-root",status="fail"\} 1$/m);
    const om = await fetch(`${served.url}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect((await om.text()).endsWith('# EOF\n')).toBe(true);
  });

  it('runs again on its interval, never two runs at once', async () => {
    await waitFor('a third run', 60_000, async () => (/run 3:/.test(served.stderr()) ? true : undefined));
    const runs = [...served.stderr().matchAll(/run (\d+):/g)].map((m) => Number(m[1]));
    expect(runs.slice(0, 3)).toEqual([1, 2, 3]);
  }, 90_000);

  it('answers 404 elsewhere and 405 to anything but GET and HEAD', async () => {
    expect((await fetch(`${served.url}/nope`)).status).toBe(404);
    expect((await fetch(`${served.url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${served.url}/metrics`, { method: 'HEAD' })).status).toBe(200);
  });

  it('ends with exit code 0 on SIGTERM, with a run in flight, and leaves no temporary folder', async () => {
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.stderr()).toContain('stopping');
    expect(readdirSync(tmp)).toEqual([]);
  }, 10_000);
});

describe('serve flags', () => {
  it.each([
    [['-f', 'examples'], /-f does not apply/],
    [['--interval', 'soon'], /--interval soon: expected a duration/],
    [['--listen', 'localhost'], /--listen localhost: expected \[HOST\]:PORT/],
    [['--max-target-series', '-1'], /--max-target-series -1/],
    [['-o', 'json'], /-o does not apply/],
  ])('%j is a usage error on one line', async (args, message) => {
    const result = await runCli(['serve', ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('reads listen addresses as Go does', () => {
    expect(parseListenAddress(':9479')).toEqual({ port: 9479 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9479')).toEqual({ host: '::1', port: 9479 });
    expect(() => parseListenAddress(':70000')).toThrow(/expected \[HOST\]:PORT/);
    expect(wantsOpenMetrics('text/plain')).toBe(false);
    expect(wantsOpenMetrics(undefined)).toBe(false);
  });
});

describe('the exporter loop', () => {
  const summary = (n: number): RunSummary => ({
    schemaVersion: 1, tool: { name: 'asm-prom', version: '0' }, mode: 'cluster', startedAt: new Date(0).toISOString(), durationMs: n,
    summary: { errors: 0, warnings: 0, infos: 0, checks: { pass: 0, warn: 0, fail: 0, skip: 0, crash: 0 } }, checks: [], findings: [], exitCode: 0,
  });

  it('never starts a run while one is in flight, and counts a run that threw as a crash', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const release: (() => void)[] = [];
    const exporter = new Exporter({
      doctor: DEFAULT_OPTIONS, intervalMs: 1, maxTargetSeries: 10, random: () => 0,
      run: async () => {
        calls += 1;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((resolve) => release.push(resolve));
        inFlight -= 1;
        if (calls === 2) throw new Error('kubeconfig vanished');
        return summary(calls);
      },
    });
    expect(exporter.ready).toBe(false);
    exporter.start();
    // A forced run while the first is in flight joins it.
    const joined = exporter.runOnce();
    await waitFor('the first run to start', 5_000, async () => (release.length === 1 ? true : undefined));
    release.shift()!();
    await joined;
    expect(exporter.ready).toBe(true);
    await waitFor('the second run to start', 5_000, async () => (release.length === 1 ? true : undefined));
    release.shift()!();
    await waitFor('the third run to start', 5_000, async () => (release.length === 1 ? true : undefined));
    exporter.stop();
    const third = exporter.runOnce();
    release.shift()!();
    await third;
    expect(maxInFlight).toBe(1);
    expect(calls).toBe(3);
    expect(exporter.lastSummary?.durationMs).toBe(3);
    expect(exporter.metrics('text')).toContain('asm_prom_run_errors_total{reason="crash"} 1\n');
  });
});
