/**
 * The exposition shared by `-o prometheus` and `serve`'s /metrics: what each series says, bounded
 * cardinality, both formats, and the real `promtool check metrics` on a run against the simulated mesh.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Finding, RunSummary } from '../src/core/types.js';
import { collectMetrics, formatExposition, renderPrometheus, type MetricFamily } from '../src/reporters/prometheus.js';
import { runCli } from './helpers/cli.js';
import { peer } from './helpers/peers.js';

const finding = (over: Partial<Finding> & Pick<Finding, 'code' | 'severity' | 'check' | 'subject'>): Finding =>
  ({ message: 'm', hint: 'h', docs: 'docs/checks.md#x', evidence: {}, ...over });

const target = (endpoint: string, code: string, severity: Finding['severity'], evidence: Record<string, unknown> = {}): Finding =>
  finding({ code, severity, check: 'targets.probe', subject: { kind: 'Pod', namespace: 'shop', name: `pod-${endpoint}`, endpoint }, evidence });

function summaryWith(findings: Finding[], extra: Partial<RunSummary> = {}): RunSummary {
  return {
    schemaVersion: 1, tool: { name: 'asm-prom', version: '0.1.0' }, mode: 'cluster', startedAt: '2026-12-05T10:00:00.000Z', durationMs: 1500,
    summary: { errors: 0, warnings: 0, infos: 0, checks: { pass: 0, warn: 0, fail: 0, skip: 0, crash: 0 } },
    checks: [
      { id: 'certs.mesh-root', title: 't', category: 'certs', status: 'fail', durationMs: 1 },
      {
        id: 'certs.parse', title: 't', category: 'certs', status: 'pass', durationMs: 1,
        facts: {
          'monitoring/prometheus-k8s-0 /etc/prom-certs': {
            namespace: 'monitoring', pod: 'prometheus-k8s-0',
            validity: [
              { file: 'cert-chain.pem', serialNumber: 'AB01', spiffeId: 'spiffe://cluster.local/ns/monitoring/sa/prometheus', notBefore: '2026-12-05T00:00:00.000Z', notAfter: '2026-12-06T00:00:00.000Z' },
              { file: 'cert-chain.pem', serialNumber: 'CA01', spiffeId: '', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2036-01-01T00:00:00.000Z' },
            ],
          },
        },
      },
    ],
    findings,
    exitCode: 1,
    ...extra,
  };
}

const family = (families: MetricFamily[], name: string) => families.find((f) => f.name === name)!;
const counters = () => ({ runErrors: { crash: 0 }, droppedTargetSeries: 0 });

describe('the exposition of a run', () => {
  const rootMismatch = { code: 'ROOT_MISMATCH', severity: 'error' as const, check: 'certs.mesh-root' };
  const summary = summaryWith([
    finding({ ...rootMismatch, subject: { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0', path: '/etc/prom-certs/root-cert.pem' } }),
    // the same code on the same object through another file: still one series
    finding({ ...rootMismatch, subject: { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0', path: '/etc/prom-certs/cert-chain.pem' } }),
    finding({ code: 'INBOUND_CAPTURED', severity: 'info', check: 'prometheus.traffic-capture', subject: { kind: 'Prometheus', namespace: 'monitoring', name: 'k8s' } }),
    target('10.0.0.2:8080', 'TARGET_OK', 'info', { timeMs: 120, tlsVersion: 'TLSv1.3' }),
    target('10.0.0.1:8080', 'CLIENT_CERT_REJECTED', 'error', { timeMs: 40, tlsVersion: 'TLSv1.3' }),
    target('10.0.0.3:8080', 'TARGET_UNREACHABLE', 'error'),
  ]);

  it('exports warnings and errors as asm_prom_finding, one series per code and object, info findings not', () => {
    const families = collectMetrics(summary, counters());
    expect(family(families, 'asm_prom_finding').samples).toEqual([
      { labels: { code: 'ROOT_MISMATCH', severity: 'error', check: 'certs.mesh-root', kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0' }, value: 1 },
      { labels: { code: 'CLIENT_CERT_REJECTED', severity: 'error', check: 'targets.probe', kind: 'Pod', namespace: 'shop', name: 'pod-10.0.0.1:8080' }, value: 1 },
      { labels: { code: 'TARGET_UNREACHABLE', severity: 'error', check: 'targets.probe', kind: 'Pod', namespace: 'shop', name: 'pod-10.0.0.3:8080' }, value: 1 },
    ]);
    expect(family(families, 'asm_prom_check_status').samples).toContainEqual({ labels: { check: 'certs.mesh-root', status: 'fail' }, value: 1 });
  });

  it("states each chain certificate's validity as timestamps in seconds", () => {
    const notAfter = family(collectMetrics(summary, counters()), 'asm_prom_cert_not_after_timestamp_seconds').samples;
    expect(notAfter).toEqual([
      { labels: { namespace: 'monitoring', pod: 'prometheus-k8s-0', file: 'cert-chain.pem', serial_number: 'AB01', spiffe_id: 'spiffe://cluster.local/ns/monitoring/sa/prometheus' }, value: 1796515200 },
      { labels: { namespace: 'monitoring', pod: 'prometheus-k8s-0', file: 'cert-chain.pem', serial_number: 'CA01', spiffe_id: '' }, value: 2082758400 },
    ]);
    expect(family(collectMetrics(summary, counters()), 'asm_prom_cert_not_before_timestamp_seconds').samples[0]!.value).toBe(1796428800);
  });

  it('gives each probed target its success, duration and TLS version, failing targets first', () => {
    const families = collectMetrics(summary, counters());
    expect(family(families, 'asm_prom_target_probe_success').samples.map((s) => [s.labels.endpoint, s.value])).toEqual([
      ['10.0.0.1:8080', 0], ['10.0.0.3:8080', 0], ['10.0.0.2:8080', 1],
    ]);
    expect(family(families, 'asm_prom_target_probe_duration_seconds').samples).toContainEqual({ labels: { endpoint: '10.0.0.2:8080', namespace: 'shop', pod: 'pod-10.0.0.2:8080' }, value: 0.12 });
    expect(family(families, 'asm_prom_target_tls_version_info').samples).toContainEqual({ labels: { endpoint: '10.0.0.1:8080', version: 'TLSv1.3' }, value: 1 });
  });

  it('caps per-target series at --max-target-series and counts the rest as dropped, keeping the failing ones', () => {
    const text = renderPrometheus(summary, { maxTargetSeries: 2 });
    expect(text).toContain('asm_prom_target_probe_success{endpoint="10.0.0.1:8080",namespace="shop",pod="pod-10.0.0.1:8080"} 0');
    expect(text).toContain('asm_prom_target_probe_success{endpoint="10.0.0.3:8080"');
    expect(text).not.toContain('asm_prom_target_probe_success{endpoint="10.0.0.2:8080"');
    expect(text).toContain('asm_prom_target_series_dropped_total 1\n');
  });

  it('says when the run ended and how long it took; an incomplete run counts as a run error instead', () => {
    const complete = renderPrometheus(summary);
    expect(complete).toContain('asm_prom_run_duration_seconds 1.5\n');
    expect(complete).toContain('asm_prom_last_run_timestamp_seconds 1796464801.5\n');
    expect(complete).toContain('asm_prom_run_errors_total{reason="cluster_unreachable"} 0\n');
    const unreachable = renderPrometheus(summaryWith([finding({ code: 'CLUSTER_UNREACHABLE', severity: 'error', check: 'inputs.cluster', subject: { kind: 'Cluster' } })]));
    expect(unreachable).toContain('asm_prom_run_errors_total{reason="cluster_unreachable"} 1\n');
    expect(unreachable).not.toMatch(/^asm_prom_last_run_timestamp_seconds /m);
    expect(unreachable).toContain('asm_prom_build_info{version="');
  });

  it('escapes label values and writes OpenMetrics with counter families named without _total and # EOF last', () => {
    const families: MetricFamily[] = [
      { name: 'x_finding', type: 'gauge', help: 'a\\b\nc', samples: [{ labels: { name: 'a"b\\c\nd' }, value: 1 }] },
      { name: 'x_errors', type: 'counter', help: 'h', samples: [{ labels: {}, value: 2 }] },
    ];
    expect(formatExposition(families, 'text')).toBe(
      '# HELP x_finding a\\\\b\\nc\n# TYPE x_finding gauge\nx_finding{name="a\\"b\\\\c\\nd"} 1\n# HELP x_errors_total h\n# TYPE x_errors_total counter\nx_errors_total 2\n',
    );
    const om = formatExposition(families, 'openmetrics');
    expect(om).toContain('# TYPE x_errors counter\nx_errors_total 2\n');
    expect(om.endsWith('# EOF\n')).toBe(true);
  });
});

const promtool = peer('promtool');

describe.skipIf(!promtool)('promtool accepts the exposition of a real run', () => {
  it('asm-prom demo wrong-root -o prometheus: lint-clean, with the finding and the exit code of the run', async () => {
    const result = await runCli(['demo', 'wrong-root', '-o', 'prometheus'], { timeoutMs: 90_000 });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^asm_prom_finding\{code="ROOT_MISMATCH",severity="error",check="certs.mesh-root",kind="[^"]+",namespace="monitoring",name="[^"]+"\} 1$/m);
    expect(result.stdout).toMatch(/^asm_prom_cert_not_after_timestamp_seconds\{namespace="monitoring",pod="prometheus-k8s-0",file="cert-chain.pem",/m);
    const lint = spawnSync(promtool!, ['check', 'metrics'], { input: result.stdout, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  }, 120_000);
});
