/**
 * Scrapers other than Prometheus: the Alloy syntax reader, and the simulated meshes of each scraper
 * (`asm-prom demo`), healthy and broken, with the codes each must (and must not) produce written
 * here by hand rather than read from the scenario files.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlloySyntaxError, parseAlloy } from '../src/model/alloy.js';
import { runCli } from './helpers/cli.js';

describe('the Alloy syntax reader', () => {
  it('reads blocks, labels, attributes and nested blocks with their lines', () => {
    const blocks = parseAlloy([
      '// comment',
      'prometheus.scrape "shop" {',
      '  targets    = discovery.kubernetes.pods.targets',
      '  forward_to = [prometheus.remote_write.default.receiver]',
      '  scheme = "https" /* inline */',
      '  tls_config {',
      '    ca_file = "/etc/prom-certs/root-cert.pem"',
      '    insecure_skip_verify = true',
      '  }',
      '}',
    ].join('\n'));
    expect(blocks).toHaveLength(1);
    const [scrape] = blocks;
    expect(scrape).toMatchObject({ name: 'prometheus.scrape', label: 'shop', line: 2 });
    expect(scrape!.attributes.scheme).toBe('https');
    expect(scrape!.attributes.targets).toEqual({ expr: 'discovery . kubernetes . pods . targets' });
    expect(scrape!.blocks[0]).toMatchObject({ name: 'tls_config', line: 6, attributes: { ca_file: '/etc/prom-certs/root-cert.pem', insecure_skip_verify: true } });
  });

  it.each([
    ['prometheus.scrape "a" {\n  scheme = "https\n}', 2, 'string literal not terminated'],
    ['prometheus.scrape "a" {\n  scheme = "https"\n', 3, 'expected }'],
    ['x = 1\nx = 2', 2, 'already set'],
  ])('refuses %j at line %i', (text, line, reason) => {
    let error: unknown;
    try {
      parseAlloy(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlloySyntaxError);
    expect((error as AlloySyntaxError).line).toBe(line);
    expect((error as AlloySyntaxError).reason).toContain(reason);
  });
});

describe('asm-prom demo, one healthy and one broken mesh per scraper', () => {
  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
  }, 120_000);

  const CASES: [scenario: string, codes: string[], exitCode: number][] = [
    ['vmagent-healthy', [], 0],
    ['vmagent-fs-denied', ['FS_ACCESS_DENIED'], 1],
    ['alloy-healthy', [], 0],
    ['alloy-no-file-access', ['FS_ACCESS_DENIED'], 1],
    ['otel-healthy', [], 0],
    ['otel-allocator-unmounted', ['MONITOR_TLS_PATH_UNMOUNTED', 'CERTS_NOT_MOUNTED'], 1],
  ];
  it.each(CASES)('demo %s reports %j (exit %i)', async (scenario, codes, exitCode) => {
    const result = await runCli(['demo', scenario, '-o', 'json'], { timeoutMs: 120_000 });
    const report = JSON.parse(result.stdout) as { exitCode: number; findings: { code: string; severity: string; subject: { kind: string } }[]; checks: { status: string }[] };
    expect(result.code, result.stderr).toBe(exitCode);
    expect(report.checks.filter((c) => c.status === 'crash')).toEqual([]);
    const errors = report.findings.filter((f) => f.severity === 'error').map((f) => f.code);
    if (!codes.length) expect(errors).toEqual([]);
    for (const code of codes) expect(errors).toContain(code);
  }, 120_000);
});
