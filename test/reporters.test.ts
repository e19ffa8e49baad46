import { pathToFileURL } from 'node:url';
import type { Log } from 'sarif';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeFinding } from '../src/core/runner.js';
import type { RunSummary } from '../src/core/types.js';
import { REPORTERS } from '../src/reporters/index.js';
import { sarifValidator } from './helpers/sarif-schema.js';

const findings = [
  makeFinding('certs.key-match', 'KEY_MISMATCH', {}, { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0', path: '/etc/prom-certs/key.pem' }),
  makeFinding('monitors.scheme', 'MONITOR_SCHEME_HTTP_ON_STRICT', { endpoint: 'endpoints[0]', workload: 'Deployment bookinfo/productpage', mode: 'STRICT', source: 'PeerAuthentication istio-system/default (mesh-wide)' },
    { kind: 'ServiceMonitor', namespace: 'bookinfo', name: 'productpage', file: 'm.yaml', line: 3 }),
  makeFinding('prometheus.inbound', 'INBOUND_CAPTURED', { value: null }, { kind: 'Prometheus', namespace: 'monitoring', name: 'k8s' }),
];
const summary: RunSummary = {
  schemaVersion: 1, tool: { name: 'asm-prom', version: '0.0.0' }, mode: 'offline', startedAt: '2026-11-25T10:00:00.000Z', durationMs: 12,
  summary: { errors: 2, warnings: 0, infos: 1, checks: { pass: 1, warn: 0, fail: 2, skip: 1, crash: 0 } },
  checks: [
    { id: 'certs.key-match', title: 'key.pem belongs to the leaf', category: 'certs', status: 'fail', durationMs: 3 },
    { id: 'monitors.scheme', title: 'scheme <fits> the mTLS mode & "sidecar"', category: 'monitors', status: 'fail', durationMs: 1 },
    { id: 'prometheus.inbound', title: 'inbound capture', category: 'prometheus', status: 'pass', durationMs: 1 },
    { id: 'targets.probe', title: 'probe', category: 'targets', status: 'skip', durationMs: 0, skipReason: '--probe off' },
  ],
  findings,
  exitCode: 1,
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('reporters', () => {
  it('human groups by subject with marks, hints and docs anchors, and no colour when asked', () => {
    const out = REPORTERS.human(summary, { color: false, verbose: false });
    expect(out).toContain('Pod monitoring/prometheus-k8s-0 /etc/prom-certs/key.pem');
    expect(out).toMatch(/× KEY_MISMATCH/);
    expect(out).toMatch(/✓ inbound capture/);
    expect(out).toMatch(/hint: .*\n\s+more: asm-prom explain KEY_MISMATCH\n/);
    expect(out).not.toContain('docs/checks.md');
    expect(out).toContain('ServiceMonitor bookinfo/productpage (m.yaml:3)');
    expect(out).toMatch(/skipped[:,] --probe off/);
    expect(out).not.toMatch(/\u001b\[/);
  });

  it('human: a run whose every check was skipped is no all-clear (exit 0 as the contract says, but no ✓)', () => {
    const skippedAll: RunSummary = {
      ...summary, findings: [], exitCode: 0,
      summary: { errors: 0, warnings: 0, infos: 0, checks: { pass: 0, warn: 0, fail: 0, skip: 1, crash: 0 } },
      checks: [{ id: 'targets.probe', title: 'probe', category: 'targets', status: 'skip', durationMs: 0, skipReason: 'the run reached its --deadline before this check started' }],
    };
    const out = REPORTERS.human(skippedAll, { color: false, verbose: false });
    expect(out).toMatch(/Nothing was judged: every check was skipped/);
    expect(out).not.toContain('✓');
    const judged = REPORTERS.human({ ...skippedAll, summary: { ...skippedAll.summary, checks: { ...skippedAll.summary.checks, pass: 1 } } }, { color: false, verbose: false });
    expect(judged).toContain('Status check results are ✓');
  });

  it('human says which configuration findings explain a live failure', () => {
    const probe = makeFinding('targets.probe', 'CLIENT_CERT_REJECTED', { alert: 'unknown_ca' }, { kind: 'Pod', namespace: 'shop', name: 'orders-0', endpoint: '10.0.0.7:8080' }, { explainedBy: ['ROOT_MISMATCH'] });
    const out = REPORTERS.human({ ...summary, findings: [probe], checks: [{ id: 'targets.probe', title: 'probe', category: 'targets', status: 'fail', durationMs: 5 }] }, { color: false, verbose: false });
    expect(out).toContain('Pod shop/orders-0 10.0.0.7:8080');
    expect(out).toMatch(/explained by: ROOT_MISMATCH/);
  });

  it('junit counts failures and skips per suite and escapes XML', () => {
    const out = REPORTERS.junit(summary, { color: false, verbose: false });
    expect(out).toMatch(/<testsuites [^>]*tests="4" failures="2" errors="0" skipped="1"/);
    expect(out).toContain('&lt;fits&gt; the mTLS mode &amp; &quot;sidecar&quot;');
    expect(out).toContain('<skipped message="--probe off"/>');
    expect((out.match(/<testcase /g) ?? []).length).toBe(4);
  });

  it('junit failure messages carry the finding, not a count', () => {
    const out = REPORTERS.junit(summary, { color: false, verbose: false });
    expect(out).toContain(`<failure message="KEY_MISMATCH: ${findings[0]!.message}" type="KEY_MISMATCH">`);
    expect(out).not.toMatch(/finding\(s\)/);
    const two = REPORTERS.junit({ ...summary, findings: [findings[0]!, { ...findings[0]!, message: 'second' }] }, { color: false, verbose: false });
    expect(two).toContain(`message="KEY_MISMATCH: ${findings[0]!.message} (and 1 more)"`);
  });

  it('sarif has a rule per code and results pointing at file and line, relative to %SRCROOT%', () => {
    const cwd = '/srv/repo';
    const sarif = JSON.parse(REPORTERS.sarif({ ...summary, findings: [...findings, { ...findings[1]!, subject: { ...findings[1]!.subject, file: '/elsewhere/x y.yaml' } }] }, { color: false, verbose: false, cwd })) as Log;
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    const rules = run.tool.driver.rules!;
    const keyMismatch = rules.find((r) => r.id === 'KEY_MISMATCH')!;
    expect(keyMismatch.helpUri).toBeUndefined();
    expect(keyMismatch.help?.text).toContain('asm-prom explain KEY_MISMATCH');
    expect(run.tool.driver.informationUri).toBeUndefined();
    const [inRoot, outside] = run.results!.filter((r) => r.ruleId === 'MONITOR_SCHEME_HTTP_ON_STRICT');
    expect(inRoot!.locations![0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'm.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 3 } });
    expect(outside!.locations![0]!.physicalLocation!.artifactLocation).toEqual({ uri: 'file:///elsewhere/x%20y.yaml' });
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: `${pathToFileURL(cwd).href}/` } });
    expect(rules[inRoot!.ruleIndex!]!.id).toBe('MONITOR_SCHEME_HTTP_ON_STRICT');
    // the info finding is a fact, not a result
    expect(run.results!.map((r) => r.ruleId)).not.toContain('INBOUND_CAPTURED');
  });

  it('sarif is valid against the SARIF 2.1.0 JSON schema, with and without a docs base', () => {
    const validate = sarifValidator();
    const plain = JSON.parse(REPORTERS.sarif(summary, { color: false, verbose: false, cwd: '/srv/repo' }));
    expect(validate(plain)).toEqual([]);
    vi.stubEnv('ASM_PROM_DOCS_URL', 'https://docs.example.com/asm-prom');
    const linked = JSON.parse(REPORTERS.sarif(summary, { color: false, verbose: false, cwd: '/srv/repo' })) as Log;
    expect(validate(linked)).toEqual([]);
    expect(linked.runs[0]!.tool.driver.rules!.find((r) => r.id === 'KEY_MISMATCH')!.helpUri).toBe('https://docs.example.com/asm-prom/docs/checks.md#key-mismatch');
    expect(linked.runs[0]!.tool.driver.informationUri).toBe('https://docs.example.com/asm-prom/');
    // the schema does reject what asm-prom used to write: a relative helpUri
    const broken = structuredClone(plain);
    broken.runs[0].tool.driver.rules[0].helpUri = 'docs/checks.md#manifest-parse-error';
    expect(validate(broken)).not.toEqual([]);
  });

  it('sarif lists info findings when --fail-on reaches them, and none otherwise', () => {
    const warning = JSON.parse(REPORTERS.sarif(summary, { color: false, verbose: false, failOn: 'warning' })) as Log;
    expect(warning.runs[0]!.results!.some((r) => r.level === 'note')).toBe(false);
  });

  it('json is the summary itself', () => {
    expect(JSON.parse(REPORTERS.json(summary, { color: false, verbose: false }))).toEqual(summary);
  });
});
