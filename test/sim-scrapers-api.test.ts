/**
 * The simulated mesh serves each scraper's own live view, read here with the doctor's own readers
 * (readPrometheusViews: the cluster source's pod discovery, then the API server's pod proxy):
 * vmagent's /api/v1/targets on 8429 with the VictoriaMetrics operator's job names, Alloy's component
 * API on its --server.http.listen-addr port, and targets' health from real scrapes of the simulated
 * sidecars with the scraper's certificates. Timeouts are the test's own and generous.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, type DoctorOptions } from '../src/core/options.js';
import { ResourceStore, Unavailable } from '../src/core/resources.js';
import type { KubeObject } from '../src/model/k8s.js';
import { readPrometheusViews, type PrometheusView } from '../src/probes/prometheus-api.js';
import { clusterProviders } from '../src/sources/cluster/index.js';
import { loadScenario, startSimulatedMesh, type Scenario, type SimulatedMesh } from '../src/sim/index.js';

/** The live views the doctor reads from a running mesh (or the reason none can be read). */
async function read(mesh: SimulatedMesh): Promise<PrometheusView[] | Unavailable> {
  const options: DoctorOptions = { ...DEFAULT_OPTIONS, kubeconfig: mesh.kubeconfigPath, timeoutMs: 15_000 };
  const store = new ResourceStore();
  store.provide(await clusterProviders(options, store));
  return readPrometheusViews(options, store).catch((error: unknown) => {
    if (error instanceof Unavailable) return error;
    throw error;
  });
}

/** Runs `use` against the scenario's mesh. */
async function withMesh<T>(scenario: Scenario | string, use: (mesh: SimulatedMesh) => Promise<T>): Promise<T> {
  const resolved = typeof scenario === 'string' ? await loadScenario(scenario) : scenario;
  const mesh = await startSimulatedMesh({ ...resolved, prometheusScrapeTimeoutMs: 10_000 });
  try {
    return await use(mesh);
  } finally {
    await mesh.stop();
  }
}

const liveViews = (scenario: Scenario | string) => withMesh(scenario, read);

const views = async (scenario: Scenario | string): Promise<PrometheusView[]> => {
  const found = await liveViews(scenario);
  if (found instanceof Unavailable) throw new Error(`no live view: ${found.message}`);
  return found;
};

/** Each target as `job health`, sorted. */
const health = (view: PrometheusView) => (view.activeTargets ?? []).map((t) => `${t.scrapePool} ${t.health}`).sort();

describe('vmagent: its /api/v1/targets on 8429, through the pod proxy', () => {
  it('vmagent-healthy: the VMServiceScrape is the job serviceScrape/shop/shop/0, every target up', async () => {
    const [view, ...others] = await views('vmagent-healthy');
    expect(others).toEqual([]);
    expect(view!.source).toMatch(/^\/api\/v1\/namespaces\/monitoring\/pods\/vmagent-vm-[a-z0-9-]+:8429\/proxy$/);
    expect(view!.prometheus?.kind).toBe('VMAgent');
    expect(view!.unreadable).toEqual([]);
    expect(view!.jobs?.map((j) => j.name)).toEqual(['serviceScrape/shop/shop/0']);
    expect(view!.jobs?.[0]?.tlsFiles).toEqual({ caFile: '/etc/istio-certs/root-cert.pem', certFile: '/etc/istio-certs/cert-chain.pem', keyFile: '/etc/istio-certs/key.pem' });
    expect(health(view!)).toEqual(['serviceScrape/shop/shop/0 up', 'serviceScrape/shop/shop/0 up', 'serviceScrape/shop/shop/0 up']);
    expect(view!.activeTargets!.every((t) => t.lastError === '' && t.scrapeUrl.startsWith('https://'))).toBe(true);
  }, 120_000);

  it('vmagent-fs-denied: the VMServiceScrape that names files is no job at all', async () => {
    const [view] = await views('vmagent-fs-denied');
    expect(view!.unreadable).toEqual([]);
    expect(view!.jobs).toEqual([]);
    expect(view!.activeTargets).toEqual([]);
  }, 120_000);

  it('vmagent-wrong-root: every target down, in vmagent\'s words', async () => {
    const [view] = await views('vmagent-wrong-root');
    expect(health(view!)).toEqual(['serviceScrape/shop/shop/0 down', 'serviceScrape/shop/shop/0 down', 'serviceScrape/shop/shop/0 down']);
    for (const t of view!.activeTargets!) expect(t.lastError).toBe(`cannot perform request to "${t.scrapeUrl}": Get "${t.scrapeUrl}": EOF`);
  }, 120_000);

  it('a ServiceMonitor the operator converts is a serviceScrape job too, and a VMAgent that selects nothing has no job', async () => {
    const base = await loadScenario('vmagent-healthy');
    const vmServiceScrape = base.objects.find((o) => o.kind === 'VMServiceScrape')!;
    const asServiceMonitor: KubeObject = { ...structuredClone(vmServiceScrape), apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'converted', namespace: 'shop' } };
    const [converted] = await views({ ...base, objects: [...base.objects.filter((o) => o !== vmServiceScrape), asServiceMonitor] });
    expect(converted!.jobs?.map((j) => j.name)).toEqual(['serviceScrape/shop/converted/0']);
    expect(health(converted!)).toEqual(['serviceScrape/shop/converted/0 up', 'serviceScrape/shop/converted/0 up', 'serviceScrape/shop/converted/0 up']);

    const selectsNone = base.objects.map((o) => (o.kind === 'VMAgent' ? { ...o, spec: { ...(o.spec as object), selectAllByDefault: false } } : o));
    const [none] = await views({ ...base, objects: selectsNone });
    expect(none!.jobs).toEqual([]);
  }, 240_000);
});

describe("Alloy: its UI's component API, through the pod proxy", () => {
  it('alloy-healthy: the ServiceMonitor\'s targets under prometheus.operator.servicemonitors, every one up', async () => {
    const [view, ...others] = await views('alloy-healthy');
    expect(others).toEqual([]);
    expect(view!.source).toMatch(/^\/api\/v1\/namespaces\/monitoring\/pods\/alloy-[a-z0-9-]+:12345\/proxy$/);
    expect(view!.prometheus?.kind).toBe('Deployment');
    expect(view!.unreadable).toEqual([]);
    expect(health(view!)).toEqual(['serviceMonitor/shop/shop/0 up', 'serviceMonitor/shop/shop/0 up', 'serviceMonitor/shop/shop/0 up']);
  }, 120_000);

  it('alloy-no-file-access: without allow_arbitrary_file_access the monitor that names files has no targets', async () => {
    const [view] = await views('alloy-no-file-access');
    expect(view!.unreadable).toEqual([]);
    expect(view!.activeTargets).toEqual([]);
  }, 120_000);

  it('alloy-wrong-root: every target down, with Prometheus\'s words (Alloy scrapes with its scrape manager)', async () => {
    const [view] = await views('alloy-wrong-root');
    expect(health(view!)).toEqual(['serviceMonitor/shop/shop/0 down', 'serviceMonitor/shop/shop/0 down', 'serviceMonitor/shop/shop/0 down']);
    for (const t of view!.activeTargets!) expect(t.lastError).toBe(`Get "${t.scrapeUrl}": unexpected EOF`);
  }, 120_000);

  it('a prometheus.scrape component is its own job (job_name, else its id), with its static targets scraped', async () => {
    const config = `
prometheus.scrape "orders" {
  targets    = [{ __address__ = "ORDERS" }]
  forward_to = [prometheus.remote_write.mimir.receiver]
  scheme     = "https"
  tls_config {
    ca_file              = "/etc/prom-certs/root-cert.pem"
    cert_file            = "/etc/prom-certs/cert-chain.pem"
    key_file             = "/etc/prom-certs/key.pem"
    insecure_skip_verify = true
  }
}

prometheus.scrape "plain" {
  job_name   = "orders-plain"
  targets    = [{ __address__ = "ORDERS" }]
  forward_to = [prometheus.remote_write.mimir.receiver]
}

prometheus.remote_write "mimir" {
  endpoint {
    url = "http://mimir.monitoring:9009/api/v1/push"
  }
}
`;
    const view = await withMesh('alloy-healthy', async (mesh) => {
      // the first orders pod's address, as the simulator assigned it; a patched ConfigMap makes the
      // pods again (as a rollout would), at the same addresses
      const before = await read(mesh);
      if (before instanceof Unavailable) throw before;
      const orders = new URL(before[0]!.activeTargets!.find((t) => t.scrapeUrl.includes(':8080'))!.scrapeUrl).host;
      const patch = JSON.stringify({ data: { 'config.alloy': config.replaceAll('ORDERS', orders) } });
      await promisify(execFile)('kubectl', ['--kubeconfig', mesh.kubeconfigPath, 'patch', 'configmap', 'alloy', '-n', 'monitoring', '--type', 'merge', '-p', patch]);
      const after = await read(mesh);
      if (after instanceof Unavailable) throw after;
      return after[0];
    });
    expect(view!.jobs?.map((j) => j.name).sort()).toEqual(['orders-plain', 'prometheus.scrape.orders']);
    expect(view!.jobs?.find((j) => j.name === 'prometheus.scrape.orders')?.tlsFiles.certFile).toBe('/etc/prom-certs/cert-chain.pem');
    // STRICT mTLS: the plain-text job's scrape is refused, the one with the mesh certificates is up
    expect(health(view!)).toEqual(['orders-plain down', 'prometheus.scrape.orders up']);
  }, 240_000);

  it('an Alloy listening on loopback only (its default) is not asked: the reason says so', async () => {
    const base = await loadScenario('alloy-healthy');
    const objects = base.objects.map((o) => {
      if (o.kind !== 'Deployment' || o.metadata?.name !== 'alloy') return o;
      const copy = structuredClone(o) as KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } };
      copy.spec.template.spec.containers[0]!.args = ['run', '/etc/alloy/config.alloy', '--storage.path=/tmp/alloy'];
      return copy;
    });
    const found = await liveViews({ ...base, objects });
    expect(found).toBeInstanceOf(Unavailable);
    expect((found as Unavailable).message).toMatch(/--server\.http\.listen-addr=127\.0\.0\.1:12345, loopback only: the API server's pod proxy cannot reach it/);
  }, 120_000);
});
