/**
 * A stand-in for vmagent's HTTP API on the pods of a VMAgent (its container's `http` port, 8429):
 * the jobs the VictoriaMetrics operator writes into vmagent's -promscrape.config, and each target's
 * health from real scrapes made as vmagent makes them.
 *
 * - Jobs: one per endpoint of each VMServiceScrape and VMPodScrape the VMAgent selects, and of each
 *   ServiceMonitor and PodMonitor (the operator converts them into VMServiceScrapes/VMPodScrapes of
 *   the same name and labels, on by default), by the doctor's model of its selection
 *   (vmAgentSelection); `spec.inlineScrapeConfig` as raw jobs. Job names as the operator writes them:
 *   `serviceScrape/<ns>/<name>/<i>` and `podScrape/<ns>/<name>/<i>` (VictoriaMetrics/operator
 *   internal/controller/operator/factory/config/scrape/service.go and pod.go, generateServiceScrapeConfig /
 *   generatePodScrapeConfig, `job_name`). With `arbitraryFSAccessThroughSMs.deny` the operator skips
 *   a scrape object whose tlsConfig names files (its status says `tlsConfig.caFile, … are prohibited`):
 *   no job at all.
 * - Scrapes: Go's net/http client with vmagent's own TLS config, so HTTP/1.1 with no ALPN (no
 *   ForceAttemptHTTP2); the certificate and key are read at every handshake, so an unreadable file
 *   fails each scrape rather than the job (VictoriaMetrics lib/promauth/config.go, getTLSCert /
 *   getTLSRootCA); lastError in vmagent's words (lib/promscrape/client.go, ReadData:
 *   `cannot perform request to "<url>": …`, `unexpected status code returned when scraping …`).
 * - API (app/vmagent/main.go, requestHandler): /api/v1/targets in vmagent's shape
 *   (lib/promscrape/targetstatus.go, WriteActiveTargetsJSON), /api/v1/status/config with the
 *   -promscrape.config YAML, /health, /ready, /metrics; other paths are a 400 `unsupported path requested`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, stringify } from 'yaml';
import type { Monitor, MonitorEndpoint } from '../model/k8s.js';
import { loadPrometheusConfig } from '../model/scrape-config.js';
import { scraperSelects, selectingRule, vmAgentSelection } from '../model/scraper.js';
import type { ClusterState, SimPod } from './cluster.js';
import type { PodFilesystems } from './filesystem.js';
import { pathOf, scrapeConfigEntry, sendJson, SimulatedScraper, type Job, type ScrapeClient } from './scraper-api.js';

const goQuote = (text: string) => JSON.stringify(text);

/** vmagent's scrape client (lib/promscrape/client.go, lib/promauth/config.go). */
export const VMAGENT_CLIENT: ScrapeClient = {
  userAgent: 'vm_promscrape',
  accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
  alpn: () => undefined,
  requestError: (url, goError) => `cannot perform request to ${goQuote(url)}: Get ${goQuote(url)}: ${goError}`,
  timeoutError: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
  statusError: (url, status, body) => `unexpected status code returned when scraping ${goQuote(url)}: ${status}; expecting 200; response body: ${goQuote(body)}`,
  // vmagent's parser skips the lines it cannot parse (and logs them): the scrape itself succeeds
  parseError: () => undefined,
  fileError: {
    at: 'handshake',
    words: ({ role, path, reason }) => {
      const open = `open ${path}: ${reason}`;
      return role === 'ca' ? `cannot read \`ca_file\`: ${open}` : `cannot read TLS ${role === 'cert' ? 'certificate' : 'key'} from ${goQuote(path)}: ${open}`;
    },
  },
  keyPairError: (certFile, keyFile) => `cannot load TLS certificate from \`cert_file\`=${goQuote(certFile ?? '')}, \`key_file\`=${goQuote(keyFile ?? '')}: tls: private key does not match public key`,
};

const namesFiles = (endpoint: MonitorEndpoint) => Boolean(endpoint.tlsConfig?.caFile || endpoint.tlsConfig?.certFile || endpoint.tlsConfig?.keyFile);

export class FakeVMAgent extends SimulatedScraper {
  constructor(state: ClusterState, filesystems: PodFilesystems, sim: SimPod) {
    super(state, filesystems, sim, 'vmagent', VMAGENT_CLIENT);
  }

  private get resource() {
    return this.sim.scraper!.object;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req).replace(/^\/prometheus(?=\/)/, '');
    const text = (status: number, body: string) => void res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    if (path === '/health') return text(200, 'OK');
    if (path === '/ready') return text(200, 'OK');
    if (path === '/api/v1/status/config') return sendJson(res, { status: 'success', data: { yaml: this.configYaml() } });
    if (path === '/config') return text(200, this.configYaml());
    if (path === '/api/v1/targets') {
      return this.withStatuses((jobs, scrapeOf) => {
        const activeTargets = jobs.flatMap((job) => job.targets.map((t) => {
          const s = scrapeOf(t);
          return {
            discoveredLabels: t.discovered, labels: t.labels, scrapePool: job.name, scrapeUrl: t.url, lastError: s.lastError,
            lastScrape: s.at.toISOString(), lastScrapeDuration: s.durationMs / 1000, lastSamplesScraped: s.health === 'up' ? 10 : 0,
            // vmagent shows a target not scraped yet as down with no error; the answer waits for the round,
            // and one that is still not scraped stays `unknown` so that a slow machine does not read as a failure
            health: s.health,
          };
        }));
        sendJson(res, { status: 'success', data: { activeTargets, droppedTargets: [] } });
      });
    }
    if (path === '/metrics') {
      return this.withStatuses((jobs, scrapeOf) => {
        const targets = jobs.flatMap((j) => j.targets.map(scrapeOf));
        const up = targets.filter((s) => s.health === 'up').length;
        text(200, `vm_promscrape_targets{status="up"} ${up}\nvm_promscrape_targets{status="down"} ${targets.length - up}\n`);
      });
    }
    text(400, `unsupported path requested: ${goQuote(path)}\n`);
  }

  /** The jobs the operator generates for this VMAgent, in its order: service scrapes, pod scrapes, inline jobs. */
  protected jobs(): Job[] {
    const selection = vmAgentSelection(this.resource);
    const namespaces = this.state.ofKind('Namespace');
    const objectsOf = (own: string, converted: string): Monitor[] => {
      const natives = this.state.ofKind(own) as Monitor[];
      // a converted monitor becomes the VM object of the same name: one job list per name
      const same = (a: Monitor, b: Monitor) => a.metadata?.namespace === b.metadata?.namespace && a.metadata?.name === b.metadata?.name;
      return [...natives, ...(this.state.ofKind(converted) as Monitor[]).filter((m) => !natives.some((n) => same(n, m)))];
    };
    const jobsOf = (monitors: Monitor[], prefix: 'serviceScrape' | 'podScrape'): Job[] => monitors.flatMap((monitor) => {
      if (scraperSelects(selection, monitor, namespaces).selected !== true) return [];
      const endpoints = (prefix === 'podScrape' ? monitor.spec?.podMetricsEndpoints : monitor.spec?.endpoints) ?? [];
      if (selectingRule(selection, monitor, namespaces)?.filesDenied && endpoints.some(namesFiles)) return [];
      return endpoints.map((endpoint, i) => this.monitorJob(`${prefix}/${monitor.metadata!.namespace}/${monitor.metadata!.name}/${i}`, monitor, endpoint));
    });
    return [
      ...jobsOf(objectsOf('VMServiceScrape', 'ServiceMonitor'), 'serviceScrape'),
      ...jobsOf(objectsOf('VMPodScrape', 'PodMonitor'), 'podScrape'),
      ...this.rawJobs(this.inlineJobs(), this.sim.pod.metadata!.namespace!),
    ];
  }

  /** spec.inlineScrapeConfig: a list of scrape_configs entries the operator appends as they are. */
  private inlineJobs() {
    const inline = (this.resource.spec as { inlineScrapeConfig?: unknown } | undefined)?.inlineScrapeConfig;
    if (typeof inline !== 'string') return [];
    try {
      return loadPrometheusConfig(stringify({ scrape_configs: parseYaml(inline) as unknown })).jobs;
    } catch {
      return [];
    }
  }

  /** -promscrape.config as the operator writes it (enough for the jobs and their TLS files). */
  private configYaml(): string {
    const namespaces = this.state.ofKind('Namespace');
    const jobs = this.jobs().map((job) => scrapeConfigEntry(job, namespaces, job.name.startsWith('podScrape/') ? 'pod' : 'endpoints'));
    return stringify({ global: { scrape_interval: '30s', external_labels: { prometheus: `${this.resource.metadata!.namespace}/${this.resource.metadata!.name}` } }, scrape_configs: jobs });
  }
}
