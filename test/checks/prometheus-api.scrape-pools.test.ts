/**
 * prometheus-api.scrape-pools beyond the HTTP stand-in of test/prometheus-api.test.ts: views and
 * monitors given to the runner through a store. Which job is missing, on what subject, with which
 * reason and evidence, and which monitors' jobs are expected of which Prometheus.
 */
import { describe, expect, it } from 'vitest';
import { prometheusApiChecks } from '../../checks/prometheus-api/index.js';
import { ResourceStore, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { Finding } from '../../src/core/types.js';
import type { KubeObject, Monitor, PrometheusResource } from '../../src/model/k8s.js';
import type { ActiveTarget, PrometheusView, ScrapeJob } from '../../src/probes/prometheus-api.js';

const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 10_000 };

const FILES = { caFile: '/etc/prom-certs/root-cert.pem', certFile: '/etc/prom-certs/cert-chain.pem', keyFile: '/etc/prom-certs/key.pem' };
const job = (name: string, tlsFiles: ScrapeJob['tlsFiles'] = FILES): ScrapeJob => ({ name, scheme: 'https', tlsFiles });
const up = (pool: string): ActiveTarget => ({
  scrapePool: pool, scrapeUrl: 'https://10.0.0.7:8443/metrics', health: 'up', lastError: '',
  discoveredLabels: { __address__: '10.0.0.7:8443', job: pool }, labels: { instance: '10.0.0.7:8443', job: pool },
});
const view = (over: Partial<PrometheusView> = {}): PrometheusView => ({ source: 'http://prometheus.test:9090', unreadable: [], activeTargets: [], jobs: [], ...over });

async function missing(views: PrometheusView[], providers: Providers = {}, store = new ResourceStore()): Promise<Finding[]> {
  store.provide({ prometheusViews: () => views, ...providers });
  const { findings, checks } = await runChecks(prometheusApiChecks, store, { ...RUN, only: ['prometheus-api.scrape-pools'] });
  expect(checks.filter((c) => c.status === 'crash')).toEqual([]);
  return findings.filter((f) => f.code === 'SCRAPE_POOL_MISSING');
}

describe('a job of the loaded configuration without targets', () => {
  it('only the job with no active target of its own; named by the job, or by its monitor (with file:line when among the inputs)', async () => {
    const web: Monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'web', namespace: 'apps' }, spec: { endpoints: [{ port: 'http' }] } };
    // look-alikes that are not the job's monitor: another kind, namespace or name
    const others: Monitor[] = [
      { ...web, kind: 'PodMonitor', spec: { podMetricsEndpoints: [] } },
      { ...web, metadata: { name: 'web', namespace: 'shop' } },
      { ...web, metadata: { name: 'db', namespace: 'apps' } },
    ];
    const store = new ResourceStore();
    store.locations.set(web, { file: 'monitors.yaml', line: 12 });
    for (const [i, m] of others.entries()) store.locations.set(m, { file: 'others.yaml', line: i + 1 });
    const found = await missing([view({
      activeTargets: [up('kubernetes-pods')],
      jobs: [job('kubernetes-pods'), job('kubernetes-nodes', {}), job('serviceMonitor/apps/web/0'), job('serviceMonitor/apps/gone/0'), job('podMonitor/apps/web/0')],
    })], { serviceMonitors: () => [others[1]!, others[2]!, web], podMonitors: () => [others[0]!] }, store);
    expect(found.map((f) => [f.evidence.job, f.subject])).toEqual([
      ['kubernetes-nodes', { kind: 'ScrapeJob', name: 'kubernetes-nodes' }],
      ['serviceMonitor/apps/web/0', { kind: 'ServiceMonitor', namespace: 'apps', name: 'web', file: 'monitors.yaml', line: 12 }],
      ['serviceMonitor/apps/gone/0', { kind: 'ServiceMonitor', namespace: 'apps', name: 'gone' }],
      ['podMonitor/apps/web/0', { kind: 'PodMonitor', namespace: 'apps', name: 'web', file: 'others.yaml', line: 1 }],
    ]);
    expect(found[0]!.message).toBe('job kubernetes-nodes has no targets in Prometheus: no scrape pool and nothing discovered: either the pool failed to build (a TLS file missing when it was built; Prometheus logs "error creating new scrape pool") or service discovery found nothing');
    expect(found[0]!.evidence).toEqual({
      scraper: 'Prometheus', job: 'kubernetes-nodes', reason: found[0]!.evidence.reason,
      prometheus: 'http://prometheus.test:9090', activeTargets: 0, droppedTargets: 0,
    });
  });

  it('counts only its own dropped targets, by pool name or (before Prometheus 2.49) by the job label', async () => {
    const [found, ...rest] = await missing([view({
      source: 'http://vmagent.test:8429', scraper: 'vmagent',
      jobs: [job('a')],
      droppedTargets: [
        { scrapePool: 'a', discoveredLabels: { __address__: '10.0.0.1:80' } },
        { discoveredLabels: { __address__: '10.0.0.2:80', job: 'a' } },
        { scrapePool: 'b', discoveredLabels: { __address__: '10.0.0.3:80', job: 'a' } },
        { discoveredLabels: { __address__: '10.0.0.4:80', job: 'b' } },
      ],
      scrapePools: ['a'], scrapePoolsFailed: 0,
    })]);
    expect(rest).toEqual([]);
    expect(found!.message).toBe("job a has no targets in vmagent: the pool exists, but relabelling dropped all 2 discovered target(s): the monitor's selector, port name or relabelings match nothing scrapable");
    expect(found!.evidence).toMatchObject({ activeTargets: 0, droppedTargets: 2, scrapePoolExists: true, scrapePoolsFailedTotal: 0, tlsFiles: Object.values(FILES) });
  });

  it('a scraper that lists no dropped targets (Alloy): none dropped', async () => {
    const [found] = await missing([view({ scraper: 'Alloy', jobs: [job('a', {})], droppedTargets: undefined, scrapePools: ['a'] })]);
    expect(found!.evidence).toMatchObject({ droppedTargets: 0, scrapePoolExists: true });
    expect(found!.evidence).not.toHaveProperty('tlsFiles');
    expect(found!.evidence).not.toHaveProperty('scrapePoolsFailedTotal');
    expect(found!.evidence.reason).toBe('the pool exists, but service discovery found no target (no matching Service, Pod or endpoint)');
  });

  it('no pool and failed pool creations counted: the pool failed to build, with the files it reads', async () => {
    const [found] = await missing([view({ jobs: [job('a')], scrapePools: [], scrapePoolsFailed: 2 })]);
    expect(found!.evidence.reason).toBe('no scrape pool and nothing discovered, and Prometheus counts 2 failed pool creation(s) (prometheus_target_scrape_pools_failed_total): the pool failed to build, typically because a TLS file was missing when it was built (it reads /etc/prom-certs/root-cert.pem, /etc/prom-certs/cert-chain.pem, /etc/prom-certs/key.pem)');
    expect(found!.evidence).toMatchObject({ scrapePoolExists: false, scrapePoolsFailedTotal: 2 });
    const [noFiles] = await missing([view({ jobs: [job('a', {})], scrapePoolsFailed: 1 })]);
    expect(noFiles!.evidence.reason).toMatch(/failed pool creation\(s\) \(prometheus_target_scrape_pools_failed_total\): the pool failed to build, typically because a TLS file was missing when it was built$/);
    expect(noFiles!.evidence).not.toHaveProperty('scrapePoolExists');
  });

  it('no pool and none failed: discovery has found nothing yet', async () => {
    const [found] = await missing([view({ jobs: [job('a')], scrapePools: [], scrapePoolsFailed: 0 })]);
    expect(found!.evidence.reason).toBe('no scrape pool, nothing discovered and no failed pool creation: service discovery has found nothing for this job yet');
  });

  it('neither counted: both explanations, with the files it reads', async () => {
    const [found] = await missing([view({ jobs: [job('a')] })]);
    expect(found!.evidence.reason).toBe('no scrape pool and nothing discovered: either the pool failed to build (a TLS file missing when it was built (it reads /etc/prom-certs/root-cert.pem, /etc/prom-certs/cert-chain.pem, /etc/prom-certs/key.pem); Prometheus logs "error creating new scrape pool") or service discovery found nothing');
  });
});

describe('a selected monitor whose job the configuration lacks', () => {
  const prometheus = (name: string, spec: PrometheusResource['spec']): PrometheusResource =>
    ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name, namespace: 'apps' }, spec });
  const SELECTS_ALL = prometheus('k8s', { serviceMonitorSelector: {}, podMonitorSelector: {} });
  const SELECTS_NONE = prometheus('other', { serviceMonitorSelector: { matchLabels: { team: 'nobody' } } });
  const sm = (name: string, spec?: Monitor['spec']): Monitor => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name, namespace: 'apps' }, ...(spec ? { spec } : {}) });
  const pm = (name: string, spec?: Monitor['spec']): Monitor => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name, namespace: 'apps' }, ...(spec ? { spec } : {}) });
  const expected = (found: Finding[]) => found.map((f) => `${f.subject.kind} ${f.subject.name}: ${String(f.evidence.job)}`);

  it("every endpoint's job, by the monitor's kind; the jobs present, and monitors without endpoints or spec, expect nothing", async () => {
    const found = await missing([view({ jobs: [job('serviceMonitor/apps/web/0')], activeTargets: [up('serviceMonitor/apps/web/0')] })], {
      serviceMonitors: () => [sm('web', { endpoints: [{ port: 'a' }, { port: 'b' }] }), sm('bare'), sm('empty', { endpoints: [] })],
      podMonitors: () => [pm('db', { podMetricsEndpoints: [{ port: 'metrics' }] }), pm('bare')],
      prometheusResources: () => [SELECTS_ALL],
    });
    expect(expected(found)).toEqual(['ServiceMonitor web: serviceMonitor/apps/web/1', 'PodMonitor db: podMonitor/apps/db/0']);
    expect(found[0]!.evidence).toEqual({
      scraper: 'Prometheus', job: 'serviceMonitor/apps/web/1',
      reason: 'the loaded configuration has no such job: the operator did not generate it (it rejected the monitor, e.g. arbitraryFSAccessThroughSMs, or has not reconciled it yet), or Prometheus has not reloaded',
      prometheus: 'http://prometheus.test:9090', configuredJobs: 1,
    });
  });

  it('for --prometheus-url, a monitor any Prometheus resource among the inputs selects', async () => {
    const found = await missing([view()], { serviceMonitors: () => [sm('web', { endpoints: [{ port: 'a' }] })], prometheusResources: () => [SELECTS_NONE, SELECTS_ALL] });
    expect(expected(found)).toEqual(['ServiceMonitor web: serviceMonitor/apps/web/0']);
    expect(await missing([view()], { serviceMonitors: () => [sm('web', { endpoints: [{ port: 'a' }] })], prometheusResources: () => [SELECTS_NONE] })).toEqual([]);
  });

  it("a view of a Prometheus resource: that resource's selection, not the inputs' other resources", async () => {
    const found = await missing([view({ prometheus: SELECTS_ALL })], { podMonitors: () => [pm('db', { podMetricsEndpoints: [{ port: 'metrics' }] })], prometheusResources: () => [SELECTS_NONE] });
    expect(found.map((f) => [f.subject.kind, f.subject.name, f.evidence.prometheus])).toEqual([['PodMonitor', 'db', 'Prometheus apps/k8s']]);
  });

  it('a view of a Prometheus without the operator (a pod), or no Prometheus resource at all: which monitors are read is unknown, nothing is expected', async () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'prometheus-0', namespace: 'apps' } };
    const monitors = { serviceMonitors: () => [sm('web', { endpoints: [{ port: 'a' }] })] };
    expect(await missing([view({ prometheus: pod })], { ...monitors, prometheusResources: () => [SELECTS_ALL] })).toEqual([]);
    expect(await missing([view()], monitors)).toEqual([]);
  });

  // What it reads, as the runner's onResourceRead hook sees it (in cluster mode each read may be a list call).
  const readsOf = async (views: PrometheusView[], providers: Providers) => {
    const reads: string[] = [];
    const store = new ResourceStore({ prometheusViews: () => views, namespaces: () => [], ...providers });
    await runChecks(prometheusApiChecks, store, { ...RUN, only: ['prometheus-api.scrape-pools'], onResourceRead: (check, key) => reads.push(`${check} ${key}`) });
    return reads.filter((r) => r.startsWith('prometheus-api.scrape-pools ')).map((r) => r.split(' ')[1]);
  };

  it('without any monitor, reads neither the Prometheus resources nor the namespaces', async () => {
    expect(await readsOf([view()], { prometheusResources: () => [SELECTS_ALL] })).toEqual(['prometheusViews', 'serviceMonitors', 'podMonitors']);
  });

  it('without a Prometheus resource to judge the monitors by, does not read the namespaces', async () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'prometheus-0', namespace: 'apps' } };
    const serviceMonitors = () => [sm('web', { endpoints: [{ port: 'a' }] })];
    expect(await readsOf([view({ prometheus: pod })], { serviceMonitors })).toEqual(['prometheusViews', 'serviceMonitors', 'podMonitors']);
    expect(await readsOf([view()], { serviceMonitors })).toEqual(['prometheusViews', 'serviceMonitors', 'podMonitors', 'prometheusResources']);
    expect(await readsOf([view()], { serviceMonitors, prometheusResources: () => [SELECTS_NONE] }))
      .toEqual(['prometheusViews', 'serviceMonitors', 'podMonitors', 'prometheusResources', 'namespaces']);
  });
});
