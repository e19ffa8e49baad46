/**
 * Raw scrape jobs and ScrapeConfig objects against the simulated mesh, live: the doctor reads the
 * plain Prometheus's loaded configuration from /api/v1/status/config (the fake Prometheus answers with
 * the prometheus.yml of its mounted ConfigMap), lists the pods and Services the jobs discover in, and
 * evaluates their relabelling over them. A healthy set-up has no static error; a broken one names the
 * right code on the job (ScrapeJob) or the object (ScrapeConfig). Scrape results (TARGET_DOWN) depend
 * on the machine's load (3 s scrape timeouts): a healthy run may only show timeouts, never a refusal.
 */
import { describe, expect, it } from 'vitest';
import { runDoctor, type Finding, type RunSummary } from '../src/index.js';
import { startSimulatedMesh, type SimulatedMesh } from '../src/sim/index.js';

async function doctorAgainst(scenario: string): Promise<RunSummary> {
  const mesh: SimulatedMesh = await startSimulatedMesh(scenario);
  try {
    return await runDoctor({ kubeconfig: mesh.kubeconfigPath, timeoutMs: 10_000 });
  } finally {
    await mesh.stop();
  }
}

const errors = (summary: RunSummary) => summary.findings.filter((f) => f.severity === 'error');
/** errors other than a scrape that timed out under load */
const staticErrors = (summary: RunSummary) => errors(summary).filter((f) => !(f.code === 'TARGET_DOWN' && /context deadline exceeded/.test(JSON.stringify(f.evidence ?? {}) + f.message)));
const keyOf = (f: Finding) => `${f.code} ${f.subject.kind}/${f.subject.name}`;

describe('a plain Prometheus with a raw prometheus.yml (Istio addon style)', () => {
  it('healthy: its jobs are read from /api/v1/status/config and judged over the pods, without error', async () => {
    const healthy = await doctorAgainst('raw-config');
    expect(staticErrors(healthy).map(keyOf)).toEqual([]);
    // judged, not skipped: the mTLS mode and the TLS paths of both raw jobs
    for (const id of ['monitors.mtls-mode', 'monitors.tls-paths', 'monitors.tls-settings', 'prometheus-api.scrape-pools']) {
      expect(healthy.checks.find((c) => c.id === id)?.status, id).toBe('pass');
    }
  }, 120_000);

  it('http toward STRICT (metrics merging off): MONITOR_SCHEME_HTTP_ON_STRICT on ScrapeJob kubernetes-pods, from the live configuration', async () => {
    const summary = await doctorAgainst('raw-config-http-on-strict');
    const found = summary.findings.filter((f) => f.code === 'MONITOR_SCHEME_HTTP_ON_STRICT');
    expect(found.map(keyOf)).toEqual(['MONITOR_SCHEME_HTTP_ON_STRICT ScrapeJob/kubernetes-pods']);
    expect(found[0]!.subject.namespace).toBe('monitoring');
    expect(String(found[0]!.evidence?.source)).toMatch(/\/api\/v1\/status\/config/);
    // only the orders pods, whose merged metrics are off; the relabelling kept 15020 for the others
    expect(found[0]!.message).toMatch(/orders/);
    expect(found[0]!.message).not.toMatch(/payments/);
  }, 120_000);

  it('TLS files outside the certificates mount: MONITOR_TLS_PATH_UNMOUNTED on ScrapeJob mesh-apps, and the pool is never built', async () => {
    const summary = await doctorAgainst('raw-config-cert-path');
    const codes = new Set(staticErrors(summary).map(keyOf));
    expect([...codes].sort()).toEqual(['MONITOR_TLS_PATH_UNMOUNTED ScrapeJob/mesh-apps', 'SCRAPE_POOL_MISSING ScrapeJob/mesh-apps']);
  }, 120_000);
});

describe('a ScrapeConfig object (monitoring.coreos.com/v1alpha1)', () => {
  it('selected, with the scrape class files: judged without error', async () => {
    const summary = await doctorAgainst('scrape-config');
    expect(staticErrors(summary).map(keyOf)).toEqual([]);
    expect(summary.checks.find((c) => c.id === 'monitors.selected')?.status).toBe('pass');
    expect(summary.checks.find((c) => c.id === 'monitors.tls-paths')?.status).toBe('pass');
  }, 120_000);

  it('not selected (no scrapeConfigSelector): MONITOR_NOT_SELECTED on the ScrapeConfig', async () => {
    const summary = await doctorAgainst('scrape-config-not-selected');
    expect(summary.findings.filter((f) => f.code === 'MONITOR_NOT_SELECTED').map(keyOf)).toEqual(['MONITOR_NOT_SELECTED ScrapeConfig/shop-pods']);
  }, 120_000);

  it('a cluster without the ScrapeConfig CRD: its list is a 404, tolerated without a finding or a skipped check', async () => {
    const mesh = await startSimulatedMesh('scrape-config-crd-absent');
    try {
      const summary = await runDoctor({ kubeconfig: mesh.kubeconfigPath, timeoutMs: 10_000 });
      const lists = mesh.requestLog.filter((r) => r.path.includes('/scrapeconfigs'));
      expect(lists.length).toBeGreaterThan(0);
      expect(lists.every((r) => r.status === 404)).toBe(true);
      expect(staticErrors(summary).map(keyOf)).toEqual([]);
      for (const id of ['monitors.schema', 'monitors.selected', 'monitors.tls-settings']) expect(summary.checks.find((c) => c.id === id)?.status, id).toBe('pass');
    } finally {
      await mesh.stop();
    }
  }, 120_000);
});
