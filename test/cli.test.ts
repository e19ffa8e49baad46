/** The CLI as users and CI meet it: exit codes, one-line errors, stdout discipline (CONTRACT.md). */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from './helpers/cli.js';
import { SEED } from './helpers/fixtures.js';
import { tempDir } from './helpers/tmp.js';

/** a folder without manifests, beside a manifest file without objects */
const EMPTY_DIR = (() => {
  const dir = tempDir('asm-prom-empty-');
  writeFileSync(join(dir, 'empty.yaml'), '# nothing here\n---\n');
  mkdirSync(join(dir, 'folder'));
  return join(dir, 'folder');
})();
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('usage errors exit 2 with one line on stderr and nothing on stdout', () => {
  it.each([
    [['doctor', '--no-such-flag']],
    [['doctor', '-f', '/no/such/path', '-o', 'json']],
    [['doctor', '--offline', '--certs-dir', '/no/such/dir']],
    [['doctor', '--kubeconfig', '/no/such/kubeconfig']],
    [['doctor', '--offline', '--target', 'not-a-target']],
    [['doctor', '--offline', '--target', '10.0.0.1:99999']],
    [['doctor', '--offline', '--now', 'yesterday']],
    [['doctor', '--offline', '--timeout', 'soon']],
    [['doctor', '--offline', '-o', 'xml']],
    [['doctor', '-f', EMPTY_DIR]],
    [['doctor', '-f', `${EMPTY_DIR}/../empty.yaml`]],
    [['doctor', '--offline']],
    [['doctor', '--offline', '--prometheus-url', 'ftp://prometheus:9090']],
    [['frobnicate']],
    [[]],
  ])('%j', async (args) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\bat .*:\d+:\d+/); // no stack trace
  });
});

describe('doctor', () => {
  it('prints exactly one JSON document of the contract shape, with exitCode equal to the process exit code', async () => {
    const { code, stdout } = await runCli(['doctor', '-f', SEED, '-o', 'json']);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ schemaVersion: 1, tool: { name: 'asm-prom', version: pkg.version }, mode: 'offline' });
    expect(Object.keys(report)).toEqual(['schemaVersion', 'tool', 'mode', 'startedAt', 'durationMs', 'summary', 'checks', 'findings', 'exitCode']);
    expect(report.exitCode).toBe(code);
    for (const f of report.findings) expect(Object.keys(f).sort()).toEqual(['check', 'code', 'docs', 'evidence', 'hint', 'message', 'severity', 'subject']);
  });

  it("names the seed guide's published ServiceMonitor MONITOR_INVALID (its first line reads iVersion:)", async () => {
    const { code, stdout } = await runCli(['doctor', '-f', SEED, '-o', 'json']);
    const invalid = JSON.parse(stdout).findings.filter((f: { code: string }) => f.code === 'MONITOR_INVALID');
    expect(invalid.map((f: { subject: object }) => f.subject)).toEqual([
      { kind: 'ServiceMonitor', namespace: 'default', name: 'productpage', file: expect.stringMatching(/service-monitor\.yaml$/), line: expect.any(Number) },
    ]);
    expect(invalid[0].message).toMatch(/apiVersion/);
    expect(code).toBe(1);
  });

  it('reads manifests from stdin with -f -', async () => {
    const { code, stdout } = await runCli(['doctor', '-f', '-', '-o', 'json'], { input: 'kind: Service\nmetadata:\n  name: [broken\n' });
    const report = JSON.parse(stdout);
    expect(report.findings.map((f: { code: string }) => f.code)).toContain('MANIFEST_PARSE_ERROR');
    expect(report.findings.find((f: { code: string }) => f.code === 'MANIFEST_PARSE_ERROR').subject).toMatchObject({ file: '-', line: expect.any(Number) });
    expect(code).toBe(1);
  });

  it('gives the same exit code whatever the output format', async () => {
    const codes = await Promise.all(['human', 'json', 'junit', 'sarif'].map(async (o) => (await runCli(['doctor', '-f', SEED, '-o', o])).code));
    expect(new Set(codes).size).toBe(1);
  });

  it('never colours output when NO_COLOR is set', async () => {
    const { stdout } = await runCli(['doctor', '-f', SEED], { env: { NO_COLOR: '1', FORCE_COLOR: undefined } });
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('never colours output when stdout is not a terminal (a pipe), with neither NO_COLOR nor FORCE_COLOR set', async () => {
    const { stdout } = await runCli(['doctor', '-f', SEED], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(stdout).toMatch(/SIDECAR|MONITOR|✓|×|error/); // a report was printed
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('colours a pipe when FORCE_COLOR asks (so the two cases above can fail)', async () => {
    const { stdout } = await runCli(['doctor', '-f', SEED], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(stdout).toMatch(/\u001b\[/);
  });

  it('--fail-on never exits 0 even with errors', async () => {
    const { code } = await runCli(['doctor', '-f', '-', '--fail-on', 'never'], { input: 'a: [\n' });
    expect(code).toBe(0);
  });
});

describe('start-up', () => {
  /** Packages reached from dist/cli.js through static imports only (what every run loads). */
  function staticPackages(file: string, seen = new Set<string>()): Set<string> {
    const packages = new Set<string>();
    if (seen.has(file)) return packages;
    seen.add(file);
    const code = readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8');
    for (const [, spec] of code.matchAll(/^import\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
      if (!spec) continue;
      if (spec.startsWith('./')) for (const p of staticPackages(spec.slice(2), seen)) packages.add(p);
      else packages.add(spec);
    }
    return packages;
  }

  it('loads the cluster client, the simulator and the certificate minter only when a run needs them', () => {
    const loaded = [...staticPackages('cli.js')];
    expect(loaded).not.toContain('@kubernetes/client-node');
    expect(loaded).not.toContain('node-forge');
    expect(loaded).not.toContain('ws');
    expect(loaded).toContain('yargs');
  });
});

describe('other commands', () => {
  it('--version prints the package version', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('checks -o json lists every check with its codes and docs anchors', async () => {
    const { code, stdout } = await runCli(['checks', '-o', 'json']);
    expect(code).toBe(0);
    const { checks } = JSON.parse(stdout) as { checks: { id: string; codes: { code: string; docs: string }[] }[] };
    expect(checks.length).toBeGreaterThan(1);
    for (const c of checks) for (const k of c.codes) expect(k.docs).toBe(`docs/checks.md#${k.code.toLowerCase().replaceAll('_', '-')}`);
  });

  it('answers as the kubectl plugin kubectl-asm_prom', async () => {
    const dir = tempDir('asm-prom-plugin-');
    const plugin = join(dir, 'kubectl-asm_prom');
    symlinkSync(BIN.replace('asm-prom.js', 'kubectl-asm_prom'), plugin);
    const { code, stdout } = await runCli(['--help'], { bin: plugin });
    expect(code).toBe(0);
    expect(stdout).toContain('kubectl asm-prom');
  });
});

describe('--plugin', () => {
  const EXAMPLE = new URL('../examples/correct/', import.meta.url).pathname;
  const pluginDir = tempDir('asm-prom-plugin-mod-');

  it('runs extra checks from a module beside the built-in ones, reporting catalogue codes', async () => {
    const plugin = join(pluginDir, 'team-policy.mjs');
    // A team rule: every Prometheus must hold its application until the proxy started.
    writeFileSync(plugin, `export default {
      id: 'prometheus.team-policy', title: 'our team policy on Prometheus pods', category: 'prometheus',
      codes: ['STARTUP_RACE'], needs: ['prometheusPods'],
      async run(ctx) { for (const p of await ctx.get('prometheusPods')) ctx.report('STARTUP_RACE', {}, { subject: ctx.subjectOf(p.subject) }); },
    };`);
    const { code, stdout } = await runCli(['doctor', '-f', EXAMPLE, '--plugin', plugin, '-o', 'json', '--fail-on', 'warning']);
    const report = JSON.parse(stdout);
    expect(report.checks.map((c: { id: string }) => c.id)).toContain('prometheus.team-policy');
    expect(report.findings.filter((f: { check: string }) => f.check === 'prometheus.team-policy').map((f: { code: string }) => f.code)).toEqual(['STARTUP_RACE']);
    expect(code).toBe(1);
  });

  it.each([
    ['a module that does not exist', 'missing.mjs', null],
    ['a module that exports no check', 'nothing.mjs', 'export default 42;'],
    ['a check whose id a built-in check has', 'twin.mjs', "export default { id: 'certs.chain', title: 'a twin of certs.chain', category: 'certs', codes: ['CHAIN_BROKEN'], needs: [], run() {} };"],
  ])('rejects %s with exit 2 and one line', async (_what, name, source) => {
    const path = join(pluginDir, name);
    if (source !== null) writeFileSync(path, source);
    const { code, stdout, stderr } = await runCli(['doctor', '-f', EXAMPLE, '--plugin', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
