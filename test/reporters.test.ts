import { describe, expect, it } from 'vitest';
import { makeFinding } from '../src/core/runner.js';
import type { RunSummary } from '../src/core/types.js';
import { REPORTERS } from '../src/reporters/index.js';

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

describe('reporters', () => {
  it('human groups by subject with marks, hints and docs anchors, and no colour when asked', () => {
    const out = REPORTERS.human(summary, { color: false, verbose: false });
    expect(out).toContain('Pod monitoring/prometheus-k8s-0 /etc/prom-certs/key.pem');
    expect(out).toMatch(/× KEY_MISMATCH/);
    expect(out).toMatch(/✓ inbound capture/);
    expect(out).toContain('docs/checks.md#key-mismatch');
    expect(out).toContain('ServiceMonitor bookinfo/productpage (m.yaml:3)');
    expect(out).toMatch(/skipped[:,] --probe off/);
    expect(out).not.toMatch(/\u001b\[/);
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

  it('sarif has a rule per code and results pointing at file and line', () => {
    const sarif = JSON.parse(REPORTERS.sarif(summary, { color: false, verbose: false }));
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.find((r: { id: string }) => r.id === 'KEY_MISMATCH').helpUri).toBe('docs/checks.md#key-mismatch');
    const monitor = run.results.find((r: { ruleId: string }) => r.ruleId === 'MONITOR_SCHEME_HTTP_ON_STRICT');
    expect(monitor.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'm.yaml' }, region: { startLine: 3 } });
    expect(run.results.find((r: { ruleId: string }) => r.ruleId === 'INBOUND_CAPTURED').level).toBe('note');
    expect(run.tool.driver.rules[monitor.ruleIndex].id).toBe('MONITOR_SCHEME_HTTP_ON_STRICT');
  });

  it('json is the summary itself', () => {
    expect(JSON.parse(REPORTERS.json(summary, { color: false, verbose: false }))).toEqual(summary);
  });
});
