/**
 * A stand-in for Prometheus's HTTP API on each Prometheus pod (port 9090): the operator's scrape
 * jobs for the ServiceMonitors its resource selects, and the targets' health from real scrapes of
 * the simulated sidecars, made as Prometheus makes them (its container's TLS files, read as its
 * user; ALPN h2 unless `enableHttp2: false`) with Go's error texts for `lastError`. A job whose TLS
 * files cannot be read when the pool is built has no targets at all (failure-modes.md row 7).
 * The scraping machinery is shared with the other scrapers (src/sim/scraper-api.ts).
 * For the real thing, register a real Prometheus with `registerServiceBackend`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify } from 'yaml';
import type { PrometheusPod } from '../model/inventory.js';
import type { KubeObject, Monitor, PrometheusResource } from '../model/k8s.js';
import { prometheusContainerOf } from '../model/prometheus.js';
import { scrapeClassFor } from '../model/scrape-class.js';
import { loadScrapeConfigObject, operatorScrapeJob, type ScrapeConfigObject } from '../model/scrape-config-crd.js';
import { loadPrometheusConfig } from '../model/scrape-config.js';
import { configFileOf } from '../sources/raw-scrape-configs.js';
import { prometheusSelects } from '../model/selectors.js';
import type { ClusterState, SimPod } from './cluster.js';
import type { PodFilesystems } from './filesystem.js';
import { pathOf, PROMETHEUS_CLIENT, scrapeConfigEntry, sendJson, SimulatedScraper, type Job, type Scrape, type Target } from './scraper-api.js';

export { goErrorText } from './scraper-api.js';

export class FakePrometheus extends SimulatedScraper {
  /** the operator's resource; none for a Prometheus run from its own configuration file */
  private readonly resource: PrometheusResource | undefined;

  constructor(state: ClusterState, filesystems: PodFilesystems, sim: SimPod) {
    super(state, filesystems, sim, prometheusContainerOf(sim.pod.spec)?.name ?? 'prometheus', PROMETHEUS_CLIENT);
    this.resource = sim.prometheus;
  }

  private version(): string {
    const image = this.sim.pod.spec?.containers?.find((c) => c.name === this.container)?.image ?? '';
    return (this.resource?.spec?.version ?? /:v?(\d[\d.]*)$/.exec(image)?.[1] ?? '2.53.0').replace(/^v/, '');
  }

  /** The text of --config.file as the container sees it (a plain Prometheus: its mounted ConfigMap). */
  private ownConfig(): string | undefined {
    if (this.resource) return undefined;
    const path = configFileOf({ pod: this.sim.pod, prometheusContainer: this.container } as PrometheusPod);
    const found = this.filesystems.view(this.sim, this.container)?.lookup(path);
    return found?.type === 'file' ? found.file.content : '';
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req);
    if (path === '/-/ready' || path === '/-/healthy') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`Prometheus Server is ${path === '/-/ready' ? 'Ready' : 'Healthy'}.\n`);
    if (path === '/api/v1/status/buildinfo') return sendJson(res, { status: 'success', data: { version: this.version(), revision: 'simulated', branch: 'HEAD', buildUser: 'sim', buildDate: '20240619-07:39:12', goVersion: 'go1.22.4' } });
    if (path === '/api/v1/status/config') return sendJson(res, { status: 'success', data: { yaml: this.configYaml() } });
    if (path === '/api/v1/targets') {
      return this.withStatuses((jobs, scrapeOf) => sendJson(res, {
        status: 'success', data: { activeTargets: activeTargets(jobs, scrapeOf), droppedTargets: [], droppedTargetCounts: Object.fromEntries(jobs.map((j) => [j.name, 0])) },
      }));
    }
    sendJson(res, { status: 'error', errorType: 'not_found', error: 'not found' }, 404);
  }

  /**
   * The operator's jobs: one per selected ServiceMonitor endpoint, `serviceMonitor/<ns>/<name>/<i>`,
   * and one per selected ScrapeConfig; a plain Prometheus's: the jobs of its configuration file.
   */
  protected jobs(): Job[] {
    const ownNamespace = this.sim.pod.metadata!.namespace!;
    if (!this.resource) return this.rawJobs(loadPrometheusConfig(this.ownConfig() ?? '').jobs, ownNamespace);
    const namespaces = this.state.ofKind('Namespace');
    const scrapeConfigJobs = this.scrapeConfigs(this.resource).flatMap(({ object, scrapeClass }) => loadScrapeConfigObject(object, scrapeClass).jobs);
    return [...this.monitorJobs(this.resource, namespaces), ...this.rawJobs(scrapeConfigJobs, ownNamespace)];
  }

  /** The ScrapeConfig objects the operator gives this Prometheus, with their scrape class. */
  private scrapeConfigs(resource: PrometheusResource) {
    const namespaces = this.state.ofKind('Namespace');
    return (this.state.ofKind('ScrapeConfig') as ScrapeConfigObject[])
      .filter((object) => prometheusSelects(resource, object, namespaces).selected === true && !scrapeClassFor(resource, object).notFound)
      .map((object) => ({ object, scrapeClass: scrapeClassFor(resource, object).scrapeClass }));
  }

  private monitorJobs(resource: PrometheusResource, namespaces: KubeObject[]): Job[] {
    const monitors = (this.state.ofKind('ServiceMonitor') as Monitor[]).filter((m) => prometheusSelects(resource, m, namespaces).selected === true);
    return monitors.flatMap((monitor) => (monitor.spec?.endpoints ?? []).map((endpoint, i) => this.monitorJob(`serviceMonitor/${monitor.metadata!.namespace}/${monitor.metadata!.name}/${i}`, monitor, endpoint)));
  }

  /** The configuration the operator would generate (a plain Prometheus: its own file), for SCRAPE_POOL_MISSING (jobs without targets). */
  private configYaml(): string {
    const own = this.ownConfig();
    if (own !== undefined) return own;
    const resource = this.resource!;
    const scrapeConfigs = this.scrapeConfigs(resource).map(({ object, scrapeClass }) => operatorScrapeJob(object, scrapeClass));
    const namespaces = this.state.ofKind('Namespace');
    const jobs = this.jobs().filter((job) => job.monitor).map((job) => scrapeConfigEntry(job, namespaces, 'endpointslice'));
    return stringify({ global: { scrape_interval: '30s', scrape_timeout: '10s', evaluation_interval: '30s', external_labels: { prometheus: `${resource.metadata!.namespace}/${resource.metadata!.name}`, prometheus_replica: this.sim.pod.metadata!.name } }, scrape_configs: [...jobs, ...scrapeConfigs] });
  }
}

/** Prometheus's /api/v1/targets activeTargets. */
function activeTargets(jobs: readonly Job[], scrapeOf: (t: Target) => Scrape): object[] {
  return jobs.flatMap((job) => job.targets.map((t) => {
    const s = scrapeOf(t);
    return {
      discoveredLabels: t.discovered, labels: t.labels, scrapePool: job.name, scrapeUrl: t.url, globalUrl: t.url,
      lastError: s.lastError, lastScrape: s.health === 'unknown' ? '0001-01-01T00:00:00Z' : s.at.toISOString(), lastScrapeDuration: s.durationMs / 1000, health: s.health,
      scrapeInterval: job.endpoint.interval ?? '30s', scrapeTimeout: job.endpoint.scrapeTimeout ?? '10s',
    };
  }));
}
