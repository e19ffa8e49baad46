/**
 * The examples as users run them: `asm-prom doctor -f <example> -o json` with the built binary
 * (`npm test` builds first). examples/correct is a complete, healthy set-up; every example under
 * examples/broken (and examples/informational) must name its code. To add an example, add its file or
 * folder and one row to EXAMPLES; the last test fails for an example without a row.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Code } from '../src/core/codes.js';
import { runCli } from './helpers/cli.js';

interface ExampleCase {
  /** file or folder under examples/ */
  example: string;
  exitCode: 0 | 1;
  /** codes the report must contain */
  codes: Code[];
  /** extra doctor flags, e.g. --fail-on warning for an example whose code is a warning */
  args?: string[];
}

const EXAMPLES: ExampleCase[] = [
  { example: 'correct', exitCode: 0, codes: [] },
  // The Prometheus pod (prometheus.*)
  { example: 'broken/annotations-on-cr.yaml', exitCode: 1, codes: ['ANNOTATIONS_NOT_ON_POD'] },
  { example: 'broken/no-output-certs.yaml', exitCode: 1, codes: ['OUTPUT_CERTS_MISSING'] },
  { example: 'broken/path-mismatch.yaml', exitCode: 1, codes: ['CERTS_PATH_MISMATCH'] },
  { example: 'broken/volume-not-mounted.yaml', exitCode: 1, codes: ['CERTS_NOT_MOUNTED'] },
  { example: 'broken/sidecar-disabled.yaml', exitCode: 1, codes: ['SIDECAR_NOT_INJECTED'] },
  { example: 'broken/outbound-captured.yaml', exitCode: 1, codes: ['OUTBOUND_CAPTURED'] },
  { example: 'broken/rbac-unbound.yaml', exitCode: 1, codes: ['PROMETHEUS_RBAC_MISSING'] },
  { example: 'broken/startup-race.yaml', exitCode: 1, codes: ['STARTUP_RACE'], args: ['--fail-on', 'warning'] },
  // Monitors (monitors.*)
  { example: 'broken/monitor-seed-typo.yaml', exitCode: 1, codes: ['MONITOR_INVALID'] },
  { example: 'broken/monitor-not-selected.yaml', exitCode: 1, codes: ['MONITOR_NOT_SELECTED'] },
  { example: 'broken/monitor-port-number-not-name.yaml', exitCode: 1, codes: ['MONITOR_PORT_NOT_FOUND'] },
  { example: 'broken/monitor-sidecar-path.yaml', exitCode: 1, codes: ['MONITOR_TLS_PATH_UNMOUNTED'] },
  { example: 'broken/monitor-no-insecure-skip-verify.yaml', exitCode: 1, codes: ['MONITOR_VERIFY_SPIFFE'] },
  { example: 'broken/monitor-scrape-class-override.yaml', exitCode: 1, codes: ['SCRAPE_CLASS_TLS_OVERRIDE', 'MONITOR_VERIFY_SPIFFE'] },
  { example: 'broken/monitor-http-on-strict.yaml', exitCode: 1, codes: ['MONITOR_SCHEME_HTTP_ON_STRICT'] },
  { example: 'broken/monitor-https-on-permissive.yaml', exitCode: 1, codes: ['MONITOR_TLS_ON_PLAINTEXT'] },
  { example: 'broken/monitor-tcp-port.yaml', exitCode: 1, codes: ['MONITOR_PORT_PROTOCOL'], args: ['--fail-on', 'warning'] },
  { example: 'informational/inbound-captured.yaml', exitCode: 0, codes: ['INBOUND_CAPTURED'] },
];

const EXAMPLES_DIR = new URL('../examples/', import.meta.url).pathname;

interface Report {
  exitCode: number;
  findings: { code: string; severity: string; check: string }[];
}

async function doctor(example: ExampleCase): Promise<{ code: number | null; report: Report }> {
  const { code, stdout, stderr } = await runCli(['doctor', '-f', `${EXAMPLES_DIR}${example.example}`, '-o', 'json', ...(example.args ?? [])]);
  expect(stdout, stderr).not.toBe('');
  return { code, report: JSON.parse(stdout) as Report };
}

describe.each(EXAMPLES)('$example', (example) => {
  it(`exits ${example.exitCode}${example.codes.length ? ` and names ${example.codes.join(', ')}` : ''}`, async () => {
    const { code, report } = await doctor(example);
    const found = report.findings.map((f) => f.code);
    for (const expected of example.codes) expect(found, `${expected} among ${found.join(', ') || 'nothing'}`).toContain(expected);
    expect(code).toBe(example.exitCode);
    expect(report.exitCode).toBe(example.exitCode);
  });
});

describe('examples/correct', () => {
  it('draws no warning or error from any check', async () => {
    const { report } = await doctor({ example: 'correct', exitCode: 0, codes: [] });
    expect(report.findings.filter((f) => f.severity !== 'info').map((f) => `${f.check}: ${f.code}`)).toEqual([]);
  });
});

describe('the table of examples', () => {
  it('has a row for every example on disk', () => {
    const onDisk = ['broken', 'informational'].flatMap((dir) => readdirSync(`${EXAMPLES_DIR}${dir}`).map((entry) => `${dir}/${entry}`));
    const listed = new Set(EXAMPLES.map((e) => e.example));
    expect(onDisk.filter((e) => !listed.has(e))).toEqual([]);
  });
});
