/**
 * The Prometheus exposition of a doctor run (CONTRACT.md, "Metrics"): one module for `-o prometheus`
 * (a node-exporter textfile from a CronJob) and `asm-prom serve`'s /metrics, so that both say the
 * same thing. Metric families are built as data, then written in the text format (0.0.4) or in
 * OpenMetrics 1.0 when a scraper asks for it.
 *
 * Cardinality is bounded: info findings are not exported (their facts are, as the cert and target
 * series), and per-target series stop at `maxTargetSeries`, failing targets first.
 */
import type { Finding, RunSummary } from '../core/types.js';
import { VERSION } from '../version.js';
import type { ReporterOptions } from './types.js';

export const DEFAULT_MAX_TARGET_SERIES = 1000;

type Labels = Record<string, string>;
interface Sample { labels: Labels; value: number }
export interface MetricFamily {
  /** the family name; for counters without `_total`, which the samples carry */
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: Sample[];
}

/** What outlives one run in `serve` (counters) or is that run's own (`-o prometheus`). */
export interface ExporterCounters {
  runErrors: Record<string, number>;
  droppedTargetSeries: number;
  /** when the last complete run ended, in seconds since the epoch */
  lastCompleteRunSeconds?: number;
}

/**
 * Why a run could not complete, as the `reason` label of asm_prom_run_errors_total: the cluster
 * could not be read, the --deadline cut checks short, or a check crashed. Empty for a complete run.
 */
export function runErrorReasons(summary: RunSummary): string[] {
  const reasons: string[] = [];
  if (summary.findings.some((f) => f.code === 'CLUSTER_UNREACHABLE')) reasons.push('cluster_unreachable');
  if (summary.checks.some((c) => c.status === 'skip' && /--deadline/.test(c.skipReason ?? ''))) reasons.push('deadline');
  if (summary.checks.some((c) => c.status === 'crash')) reasons.push('crash');
  return reasons;
}

/** Every reason at 0 from the start, so that rate() and increase() see the first error (Prometheus's advice on counters). */
export const RUN_ERROR_REASONS = ['cluster_unreachable', 'deadline', 'crash'] as const;
export const zeroRunErrors = (): Record<string, number> => Object.fromEntries(RUN_ERROR_REASONS.map((r) => [r, 0]));

const seconds = (iso: string) => Date.parse(iso) / 1000;

function findingFamilies(summary: RunSummary): MetricFamily[] {
  const findings = new Map<string, Labels>();
  for (const f of summary.findings) {
    if (f.severity === 'info') continue;
    const labels = { code: f.code, severity: f.severity, check: f.check, kind: f.subject.kind, namespace: f.subject.namespace ?? '', name: f.subject.name ?? f.subject.endpoint ?? '' };
    // Two findings of one code on one object (two files, two endpoints) are one series: the gauge says "present".
    findings.set(JSON.stringify(labels), labels);
  }
  return [
    { name: 'asm_prom_finding', type: 'gauge', help: 'A warning or error finding of the last run (1 while present).', samples: [...findings.values()].map((labels) => ({ labels, value: 1 })) },
    { name: 'asm_prom_check_status', type: 'gauge', help: "Each check's status in the last run (1 for the status it had).", samples: summary.checks.map((c) => ({ labels: { check: c.id, status: c.status }, value: 1 })) },
  ];
}

interface CertValidity { file: string; serialNumber: string; spiffeId: string; notBefore: string; notAfter: string }

function certFamilies(summary: RunSummary): MetricFamily[] {
  const notAfter: Sample[] = [];
  const notBefore: Sample[] = [];
  const facts = summary.checks.find((c) => c.id === 'certs.parse')?.facts ?? {};
  for (const set of Object.values(facts) as { namespace?: string; pod?: string; validity?: CertValidity[] }[]) {
    for (const cert of set?.validity ?? []) {
      const labels = { namespace: set.namespace ?? '', pod: set.pod ?? '', file: cert.file, serial_number: cert.serialNumber, spiffe_id: cert.spiffeId };
      notAfter.push({ labels, value: seconds(cert.notAfter) });
      notBefore.push({ labels, value: seconds(cert.notBefore) });
    }
  }
  return [
    { name: 'asm_prom_cert_not_after_timestamp_seconds', type: 'gauge', help: "notAfter of the leaf and each chain certificate of the scraper's cert-chain.pem.", samples: notAfter },
    { name: 'asm_prom_cert_not_before_timestamp_seconds', type: 'gauge', help: "notBefore of the leaf and each chain certificate of the scraper's cert-chain.pem.", samples: notBefore },
  ];
}

interface TargetView { endpoint: string; namespace: string; pod: string; success: boolean; durationSeconds?: number; tlsVersion?: string }

/** The probed targets of a run, from targets.probe's findings: one per endpoint, failing ones first. */
function targetsOf(summary: RunSummary): TargetView[] {
  const byEndpoint = new Map<string, Finding[]>();
  for (const f of summary.findings) {
    if (f.check !== 'targets.probe' || !f.subject.endpoint) continue;
    (byEndpoint.get(f.subject.endpoint) ?? byEndpoint.set(f.subject.endpoint, []).get(f.subject.endpoint)!).push(f);
  }
  const views = [...byEndpoint].map(([endpoint, found]): TargetView => {
    const pod = found.find((f) => f.subject.kind === 'Pod')?.subject;
    const timed = found.find((f) => typeof f.evidence.timeMs === 'number');
    const tls = found.find((f) => typeof f.evidence.tlsVersion === 'string');
    return {
      endpoint,
      namespace: pod?.namespace ?? '',
      pod: pod?.name ?? '',
      success: found.some((f) => f.code === 'TARGET_OK') && !found.some((f) => f.severity === 'error'),
      durationSeconds: timed ? (timed.evidence.timeMs as number) / 1000 : undefined,
      tlsVersion: tls?.evidence.tlsVersion as string | undefined,
    };
  });
  return views.sort((a, b) => Number(a.success) - Number(b.success) || a.endpoint.localeCompare(b.endpoint));
}

function targetFamilies(targets: readonly TargetView[]): MetricFamily[] {
  const where = (t: TargetView) => ({ endpoint: t.endpoint, namespace: t.namespace, pod: t.pod });
  return [
    { name: 'asm_prom_target_probe_success', type: 'gauge', help: 'The last probe of a target: 1 when the handshake and scrape succeeded.', samples: targets.map((t) => ({ labels: where(t), value: t.success ? 1 : 0 })) },
    { name: 'asm_prom_target_probe_duration_seconds', type: 'gauge', help: 'Handshake and scrape time of the last probe of a target.', samples: targets.filter((t) => t.durationSeconds !== undefined).map((t) => ({ labels: where(t), value: t.durationSeconds! })) },
    { name: 'asm_prom_target_tls_version_info', type: 'gauge', help: 'The TLS version a target negotiated in the last probe.', samples: targets.filter((t) => t.tlsVersion).map((t) => ({ labels: { endpoint: t.endpoint, version: t.tlsVersion! }, value: 1 })) },
  ];
}

/**
 * Every metric family of the exposition. `summary` is the last run (none yet: only the run-level
 * series); `counters` are what serve accumulated, or this one run's own.
 */
export function collectMetrics(summary: RunSummary | undefined, counters: ExporterCounters, maxTargetSeries = DEFAULT_MAX_TARGET_SERIES): MetricFamily[] {
  const targets = summary ? targetsOf(summary) : [];
  const families: MetricFamily[] = summary ? [...findingFamilies(summary), ...certFamilies(summary), ...targetFamilies(targets.slice(0, maxTargetSeries))] : [];
  families.push(
    { name: 'asm_prom_target_series_dropped', type: 'counter', help: 'Per-target series left out by --max-target-series.', samples: [{ labels: {}, value: counters.droppedTargetSeries }] },
    { name: 'asm_prom_run_duration_seconds', type: 'gauge', help: "The last run's duration.", samples: summary ? [{ labels: {}, value: summary.durationMs / 1000 }] : [] },
    { name: 'asm_prom_last_run_timestamp_seconds', type: 'gauge', help: 'When the last complete run ended.', samples: counters.lastCompleteRunSeconds === undefined ? [] : [{ labels: {}, value: counters.lastCompleteRunSeconds }] },
    { name: 'asm_prom_run_errors', type: 'counter', help: 'Runs that could not complete, by reason.', samples: Object.entries(counters.runErrors).map(([reason, value]) => ({ labels: { reason }, value })) },
    { name: 'asm_prom_build_info', type: 'gauge', help: 'The running asm-prom.', samples: [{ labels: { version: VERSION }, value: 1 }] },
  );
  return families;
}

/** How many per-target series a run has beyond the cap (serve adds them to its counter). */
export function droppedTargets(summary: RunSummary, maxTargetSeries: number): number {
  return Math.max(0, targetsOf(summary).length - maxTargetSeries);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const formatValue = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

export type ExpositionFormat = 'text' | 'openmetrics';
export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** The families in the text format, or OpenMetrics (counter families named without `_total`, `# EOF` last). */
export function formatExposition(families: readonly MetricFamily[], format: ExpositionFormat = 'text'): string {
  const lines: string[] = [];
  for (const family of families) {
    const sampleName = family.type === 'counter' ? `${family.name}_total` : family.name;
    const headerName = family.type === 'counter' && format === 'text' ? sampleName : family.name;
    lines.push(`# HELP ${headerName} ${escapeHelp(family.help)}`, `# TYPE ${headerName} ${family.type}`);
    for (const { labels, value } of family.samples) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${sampleName}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
    }
  }
  if (format === 'openmetrics') lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** `-o prometheus`: one run's exposition, its counters counting this run alone. */
export function renderPrometheus(summary: RunSummary, options: Partial<ReporterOptions> = {}): string {
  const max = options.maxTargetSeries ?? DEFAULT_MAX_TARGET_SERIES;
  const reasons = runErrorReasons(summary);
  const counters: ExporterCounters = {
    runErrors: { ...zeroRunErrors(), ...Object.fromEntries(reasons.map((r) => [r, 1])) },
    droppedTargetSeries: droppedTargets(summary, max),
    lastCompleteRunSeconds: reasons.length ? undefined : (Date.parse(summary.startedAt) + summary.durationMs) / 1000,
  };
  return formatExposition(collectMetrics(summary, counters, max));
}
