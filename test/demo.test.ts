/**
 * `asm-prom demo` and its scenarios. The CLI as a user runs it (the built binary; CI builds once in
 * pretest, this file never rebuilds) for --list, the default scenario and usage errors; every scenario
 * in-process against its simulated mesh, with timeouts owned by the test and generous, so that the
 * machine's load cannot turn a healthy target into a timeout. The expectations are written here and
 * reviewed by hand, not taken from the scenario files the simulator itself reads.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO } from '../src/cli/commands/demo.js';
import { runDoctor, type MechanicalFix, type RunSummary } from '../src/index.js';
import { listScenarios, loadScenario, startSimulatedMesh } from '../src/sim/index.js';
import { runCli } from './helpers/cli.js';

/** The CLI without blocking the event loop; no kill before the test's own timeout. */
const cli = (args: string[]) => runCli(args, { timeoutMs: 120_000 });

interface Expected {
  exitCode: 0 | 1;
  /** error and warning codes the doctor must report */
  codes: string[];
  /** for a sound mesh: no error or warning at all */
  clean?: true;
  /**
   * a target never answers, so only the timeouts end its scrapes: short ones keep the test short.
   * Load could at worst time out another target too, which adds a code and cannot hide one.
   */
  hangs?: true;
  /**
   * what --fix offers for the scenario's errors: `manual` when no object the user owns can fix them
   * (a wrong root, an expired certificate, a 403 from an AuthorizationPolicy…); `unverified` when a
   * fix is printed but the in-run proof finds what would remain. Fixable scenarios are healed with
   * kubectl in fix-sim.test.ts.
   */
  fix?: 'manual' | 'unverified';
  /**
   * The scraper's own live view (Prometheus's, vmagent's or Alloy's API) was read: no
   * PROMETHEUS_API_UNREACHABLE, and the prometheus-api checks ran with these statuses.
   */
  liveView?: { reachable: 'pass'; targetsDown: 'pass' | 'fail'; scrapePools: 'pass' | 'fail' };
}

const LIVE_VIEW_READ = { reachable: 'pass', targetsDown: 'pass', scrapePools: 'pass' } as const;
const LIVE_VIEW_TARGETS_DOWN = { reachable: 'pass', targetsDown: 'fail', scrapePools: 'pass' } as const;

/**
 * Reviewed by hand against each scenario's description: the code that names the fault, and the
 * consequence Prometheus shows (TARGET_DOWN, or SCRAPE_POOL_MISSING when the client cannot be built).
 */
const EXPECTED: Record<string, Expected> = {
  'annotations-on-cr': { exitCode: 1, codes: ['ANNOTATIONS_NOT_ON_POD', 'SIDECAR_NOT_INJECTED', 'CERT_FILE_MISSING', 'OUTPUT_CERTS_MISSING', 'SCRAPE_POOL_MISSING'] },
  'app-unreachable': { exitCode: 1, codes: ['SCRAPE_HTTP_ERROR', 'TARGET_DOWN'], fix: 'manual' },
  'authz-403': { exitCode: 1, codes: ['SCRAPE_HTTP_ERROR', 'TARGET_DOWN'], fix: 'manual' },
  'certs-not-shared': { exitCode: 1, codes: ['CERTS_NOT_MOUNTED', 'CERT_FILE_MISSING', 'SCRAPE_POOL_MISSING'] },
  'expired-cert': { exitCode: 1, codes: ['CERT_EXPIRED', 'CLIENT_CERT_REJECTED', 'TARGET_DOWN'], fix: 'manual' },
  'files-0600': { exitCode: 1, codes: ['CERT_FILE_UNREADABLE', 'SCRAPE_POOL_MISSING'], fix: 'manual' },
  healthy: { exitCode: 0, codes: [], clean: true, liveView: LIVE_VIEW_READ },
  'hostile-targets': { exitCode: 1, codes: ['TARGET_TIMEOUT', 'SCRAPE_CONNECTION_CLOSED', 'TARGET_DOWN'], hangs: true, fix: 'manual' },
  'http-on-strict': { exitCode: 1, codes: ['MONITOR_SCHEME_HTTP_ON_STRICT', 'SCRAPE_CONNECTION_CLOSED', 'TARGET_DOWN'] },
  'mismatched-key': { exitCode: 1, codes: ['KEY_MISMATCH', 'CLIENT_CERT_REJECTED', 'TARGET_DOWN'], fix: 'manual' },
  'no-sidecar': { exitCode: 1, codes: ['SIDECAR_NOT_INJECTED', 'CERT_FILE_MISSING', 'SCRAPE_POOL_MISSING'] },
  'not-metrics': { exitCode: 1, codes: ['SCRAPE_NOT_METRICS', 'TARGET_DOWN'], fix: 'manual' },
  'permissive-target': { exitCode: 1, codes: ['MONITOR_TLS_ON_PLAINTEXT', 'SCRAPE_CONNECTION_CLOSED', 'TARGET_DOWN'] },
  'port-not-http': { exitCode: 1, codes: ['MONITOR_PORT_PROTOCOL', 'SCRAPE_CONNECTION_CLOSED', 'TARGET_DOWN'] },
  'rbac-denied': { exitCode: 0, codes: ['ACCESS_DENIED'] },
  'slow-api': { exitCode: 0, codes: [], clean: true },
  'target-no-sidecar': { exitCode: 1, codes: ['MONITOR_TLS_ON_PLAINTEXT', 'TARGET_NOT_TLS', 'TARGET_DOWN'], fix: 'unverified' },
  'wrong-root': { exitCode: 1, codes: ['ROOT_MISMATCH', 'CLIENT_CERT_REJECTED', 'TARGET_DOWN'], fix: 'manual' },
  // raw scrape_configs and ScrapeConfig objects, with discovery and relabelling over the mesh's pods
  'raw-config': { exitCode: 0, codes: [] },
  'raw-config-cert-path': { exitCode: 1, codes: ['MONITOR_TLS_PATH_UNMOUNTED', 'SCRAPE_POOL_MISSING'], fix: 'manual' },
  'raw-config-http-on-strict': { exitCode: 1, codes: ['MONITOR_SCHEME_HTTP_ON_STRICT', 'TARGET_DOWN'], fix: 'manual' },
  'scrape-config': { exitCode: 0, codes: [] },
  'scrape-config-crd-absent': { exitCode: 0, codes: [] },
  'scrape-config-not-selected': { exitCode: 1, codes: ['MONITOR_NOT_SELECTED'], fix: 'manual' },
  // the other scrapers: the first link of the chain differs, the rest is judged the same, and their own
  // live view is read (vmagent's /api/v1/targets, Alloy's component API): the job dropped for file
  // access is absent there, as in the real scrapers, so no SCRAPE_POOL_MISSING follows FS_ACCESS_DENIED
  'vmagent-healthy': { exitCode: 0, codes: [], clean: true, liveView: LIVE_VIEW_READ },
  'vmagent-fs-denied': { exitCode: 1, codes: ['FS_ACCESS_DENIED'], liveView: LIVE_VIEW_READ },
  'vmagent-wrong-root': { exitCode: 1, codes: ['ROOT_MISMATCH', 'CLIENT_CERT_REJECTED', 'TARGET_DOWN'], liveView: LIVE_VIEW_TARGETS_DOWN, fix: 'manual' },
  'alloy-healthy': { exitCode: 0, codes: [], clean: true, liveView: LIVE_VIEW_READ },
  'alloy-no-file-access': { exitCode: 1, codes: ['FS_ACCESS_DENIED'], liveView: LIVE_VIEW_READ, fix: 'manual' },
  'alloy-wrong-root': { exitCode: 1, codes: ['ROOT_MISMATCH', 'CLIENT_CERT_REJECTED', 'TARGET_DOWN'], liveView: LIVE_VIEW_TARGETS_DOWN, fix: 'manual' },
  'otel-healthy': { exitCode: 0, codes: [] },
  'otel-allocator-unmounted': { exitCode: 1, codes: ['MONITOR_TLS_PATH_UNMOUNTED', 'CERTS_NOT_MOUNTED'] },
};

const scenarios = listScenarios().filter((s) => s.name !== 'scale');
const problems = (summary: RunSummary) => [...new Set(summary.findings.filter((f) => f.severity !== 'info').map((f) => f.code))].sort();

function check(name: string, summary: RunSummary): void {
  const want = EXPECTED[name]!;
  expect(summary.mode).toBe('cluster');
  expect(summary.checks.filter((c) => c.status === 'crash')).toEqual([]);
  expect(problems(summary), name).toEqual(want.clean ? [] : expect.arrayContaining(want.codes));
  const errors = summary.findings.filter((f) => f.severity === 'error').map((f) => f.message);
  expect(summary.exitCode, `${name}: ${errors.join('; ')}`).toBe(want.exitCode);
  if (want.liveView) {
    expect(problems(summary), name).not.toContain('PROMETHEUS_API_UNREACHABLE');
    const status = (id: string) => summary.checks.find((c) => c.id === id)?.status;
    expect({ reachable: status('prometheus-api.reachable'), targetsDown: status('prometheus-api.targets-down'), scrapePools: status('prometheus-api.scrape-pools') }, name).toEqual(want.liveView);
    // the view's owner names itself: vmagent's and Alloy's verdicts are not put in Prometheus's mouth
    const scraper = name.startsWith('vmagent-') ? 'vmagent' : name.startsWith('alloy-') ? 'Alloy' : 'Prometheus';
    for (const f of summary.findings.filter((x) => x.code === 'TARGET_DOWN')) expect(f.message).toMatch(new RegExp(`^${scraper} reports the target down`));
  }
}

/** Every error has a fix, mechanical or manual; what kind is the scenario's expectation. */
function checkFixes(name: string, summary: RunSummary): void {
  const want = EXPECTED[name]!.fix;
  const errorFixes = summary.findings.filter((f) => f.severity === 'error').map((f) => f.fix);
  expect(errorFixes.every((f) => f !== undefined), `${name}: an error without a fix`).toBe(true);
  const mechanical = errorFixes.filter((f): f is MechanicalFix => f !== undefined && !('manual' in f));
  // fixable: mechanical fixes (on a warning, maybe), those of errors proven in the run (fix-sim.test.ts
  // applies them with kubectl); the errors that follow from the fixed ones are manual
  if (want === undefined && errorFixes.length) {
    const all = summary.findings.map((f) => f.fix).filter((f): f is MechanicalFix => f !== undefined && !('manual' in f));
    expect(all.length, `${name}: no mechanical fix`).toBeGreaterThan(0);
    expect(summary.findings.filter((f) => f.severity === 'error' && f.fix && !('manual' in f.fix) && !f.fix.verified).map((f) => f.code)).toEqual([]);
  }
  if (want === 'manual') expect(mechanical.map((f) => f.kubectl)).toEqual([]);
  if (want === 'unverified') {
    expect(mechanical.length).toBeGreaterThan(0);
    for (const fix of mechanical) {
      expect(fix.verified).toBe(false);
      expect(fix.remaining).toContain('MONITOR_SCHEME_HTTP_ON_STRICT');
    }
  }
}

describe('asm-prom demo (the CLI)', () => {
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

  it('every scenario has an expectation written here, and the default one shows a failure', () => {
    expect(scenarios.map((s) => s.name).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(EXPECTED[DEFAULT_SCENARIO]!.exitCode).toBe(1);
  });

  it('demo with no scenario runs the default one: its report, exit code equal to the report\'s', async () => {
    const result = await cli(['demo', '-o', 'json', '--timeout', '15s']);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as RunSummary;
    check(DEFAULT_SCENARIO, report);
    expect(result.code).toBe(report.exitCode);
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

describe('every scenario against its simulated mesh', () => {
  // Timeouts the test owns: the simulated Prometheus scrapes within 10 s (its real default) and the
  // doctor waits 15 s, far beyond what load adds; only a target that never answers reaches them.
  it.each(scenarios.filter((s) => s.name !== DEFAULT_SCENARIO).map((s) => [s.name]))('%s', async (name) => {
    const hangs = EXPECTED[name]?.hangs === true;
    const mesh = await startSimulatedMesh({ ...(await loadScenario(name)), prometheusScrapeTimeoutMs: hangs ? 3_000 : 10_000 });
    try {
      const summary = await runDoctor({ kubeconfig: mesh.kubeconfigPath, timeoutMs: hangs ? 6_000 : 15_000, fix: true });
      check(name, summary);
      checkFixes(name, summary);
    } finally {
      await mesh.stop();
    }
  }, 180_000);
});
