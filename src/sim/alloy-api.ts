/**
 * A stand-in for the HTTP API Grafana Alloy's UI uses, on the pods of an Alloy workload, at the port
 * of its `--server.http.listen-addr` (alloyListenAddress; none when it is loopback only, as the API
 * server's pod proxy then cannot reach it). What the doctor reads is documented in
 * src/probes/alloy-api.ts: GET /api/v0/web/components and /api/v0/web/components/<id>, with
 * `arguments` and `debugInfo` in Alloy's JSON body encoding (alloyjson).
 *
 * The components are those of the configuration file the container runs (`alloy run PATH`, read from
 * its mounted ConfigMap), parsed and interpreted by the doctor's own reader (src/model/alloy.ts,
 * loadAlloy):
 * - `prometheus.operator.servicemonitors` / `podmonitors`: the monitors their selector and namespaces
 *   select, one job per endpoint named as the prometheus-operator names it
 *   (`serviceMonitor/<ns>/<name>/<i>`); without `allow_arbitrary_file_access` (Alloy ≥ 1.19) an
 *   endpoint whose tlsConfig names files is rejected, with its reconcile error on the monitor's
 *   `crds` block, and has no targets (grafana/alloy#6885);
 * - `prometheus.scrape`: its static targets, job `job_name` or the component's id.
 * Targets are scraped as Prometheus scrapes them (Alloy runs Prometheus's scrape manager), so their
 * `last_error` is Prometheus's text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isExpr, parseAlloy, type AlloyBlock, type AlloyValue } from '../model/alloy.js';
import type { PrometheusPod } from '../model/inventory.js';
import type { Monitor, MonitorEndpoint } from '../model/k8s.js';
import { alloyConfigPath, alloyContainerOf, scraperSelects, type SelectionRule } from '../model/scraper.js';
import { loadAlloy } from '../sources/scraper-configs.js';
import type { ClusterState, SimPod } from './cluster.js';
import type { PodFilesystems } from './filesystem.js';
import { ALLOY_API_PREFIX } from '../probes/alloy-api.js';
import { pathOf, PROMETHEUS_CLIENT, sendJson, SimulatedScraper, type Job, type Scrape, type Target } from './scraper-api.js';

type Statement = { name: string; type: 'attr'; value: unknown } | { name: string; type: 'block'; label?: string; body: Statement[] };

/** An Alloy value in alloyjson (syntax/encoding/alloyjson); a reference or call as the capsule it evaluates to. */
function encodeValue(v: AlloyValue): unknown {
  if (v === null) return { type: 'null' };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'number') return { type: 'number', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (Array.isArray(v)) return { type: 'array', value: v.map(encodeValue) };
  if (isExpr(v)) return { type: 'capsule', value: v.expr };
  return { type: 'object', value: Object.entries(v).map(([key, value]) => ({ key, value: encodeValue(value) })) };
}

const attr = (name: string, value: AlloyValue): Statement => ({ name, type: 'attr', value: encodeValue(value) });

function encodeBody(block: AlloyBlock): Statement[] {
  return [
    ...Object.entries(block.attributes).map(([name, value]) => attr(name, value)),
    ...block.blocks.map((b): Statement => ({ name: b.name, type: 'block', ...(b.label !== undefined ? { label: b.label } : {}), body: encodeBody(b) })),
  ];
}

/** Prometheus's TargetStatus as Alloy's debug info writes it (internal/component/prometheus/scrape, TargetStatus). */
function targetStatus(name: string, job: Job, t: Target, s: Scrape): Statement {
  return {
    name, type: 'block', body: [
      attr('job', job.name), attr('url', t.url), attr('health', s.health), attr('labels', t.labels),
      ...(s.lastError ? [attr('last_error', s.lastError)] : []),
      attr('last_scrape', s.health === 'unknown' ? '0001-01-01T00:00:00Z' : s.at.toISOString()), attr('last_scrape_duration', `${s.durationMs}ms`),
    ],
  };
}

interface Component {
  block: AlloyBlock;
  id: string;
  /** the monitors an operator component found, with the reason it rejected one */
  crds: { namespace: string; name: string; reconcileError?: string }[];
}

const OPERATOR = new Map([['prometheus.operator.servicemonitors', { kind: 'ServiceMonitor', job: 'serviceMonitor' }], ['prometheus.operator.podmonitors', { kind: 'PodMonitor', job: 'podMonitor' }]]);
const TLS_FILE_FIELDS = ['caFile', 'certFile', 'keyFile'] as const;

export class FakeAlloy extends SimulatedScraper {
  /** which component each job of the current round belongs to */
  private readonly owners = new WeakMap<Job, string>();
  private components: Component[] = [];

  constructor(state: ClusterState, filesystems: PodFilesystems, sim: SimPod) {
    super(state, filesystems, sim, alloyContainerOf(sim.pod.spec)?.name ?? 'alloy', PROMETHEUS_CLIENT);
  }

  /** The doctor's view of this pod, for its Alloy reader. */
  private asScraperPod(): PrometheusPod {
    const workload = this.sim.scraper!.object;
    const namespace = this.sim.pod.metadata!.namespace!;
    return { scraper: { kind: 'Alloy', namespace, name: workload.metadata!.name! }, subject: workload, namespace, pod: this.sim.pod, admitted: true, prometheusContainer: this.container, layers: [] };
  }

  private configText(): string {
    const container = alloyContainerOf(this.sim.pod.spec);
    const found = container && this.filesystems.view(this.sim, this.container)?.lookup(alloyConfigPath(container));
    return found?.type === 'file' ? found.file.content : '';
  }

  protected jobs(): Job[] {
    const text = this.configText();
    let blocks: AlloyBlock[];
    try {
      blocks = parseAlloy(text);
    } catch {
      blocks = []; // Alloy refuses to start on a configuration that does not parse
    }
    const { config, selection } = loadAlloy(text, 0, 'config.alloy', {}, this.asScraperPod());
    const namespaces = this.state.ofKind('Namespace');
    const jobs: Job[] = [];
    this.components = blocks.map((block) => ({ block, id: block.label === undefined ? block.name : `${block.name}.${block.label}`, crds: [] }));
    for (const component of this.components) {
      const { block } = component;
      const operator = OPERATOR.get(block.name);
      const own: Job[] = [];
      if (operator) {
        const rule: SelectionRule | undefined = selection.rules.find((r) => r.field === `${block.name} "${block.label ?? ''}"`);
        const monitors = (this.state.ofKind(operator.kind) as Monitor[]).filter((m) => rule && scraperSelects({ ...selection, rules: [rule] }, m, namespaces).selected === true);
        for (const monitor of monitors) {
          const { namespace, name } = monitor.metadata as { namespace: string; name: string };
          const endpoints = (operator.kind === 'PodMonitor' ? monitor.spec?.podMetricsEndpoints : monitor.spec?.endpoints) ?? [];
          const errors: string[] = [];
          endpoints.forEach((endpoint: MonitorEndpoint, i) => {
            const file = rule?.filesDenied ? TLS_FILE_FIELDS.find((f) => endpoint.tlsConfig?.[f]) : undefined;
            // Alloy ≥ 1.19 (internal/component/prometheus/operator/configgen/config_gen_servicemonitor.go)
            if (file) errors.push(`${operator.job} ${namespace}/${name} endpoint ${i} uses tlsConfig.${file}, which is disallowed because allow_arbitrary_file_access is false; use tlsConfig.${file.replace(/File$/, '')} instead`);
            else own.push(this.monitorJob(`${operator.job}/${namespace}/${name}/${i}`, monitor, endpoint));
          });
          component.crds.push({ namespace, name, ...(errors.length ? { reconcileError: errors.join('; ') } : {}) });
        }
      } else if (block.name === 'prometheus.scrape') {
        own.push(...this.rawJobs(config.jobs.map((j) => j.job).filter((j) => j.line === block.line), this.sim.pod.metadata!.namespace!));
      }
      for (const job of own) this.owners.set(job, component.id);
      jobs.push(...own);
    }
    return jobs;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req);
    const text = (status: number, body: string) => void res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    if (path === '/-/ready') return text(200, 'Alloy is ready.\n');
    if (path === '/-/healthy') return text(200, 'All Alloy components are healthy.\n');
    if (path === '/metrics') return text(200, '# TYPE alloy_build_info gauge\nalloy_build_info{version="v1.19.0"} 1\n');
    const prefix = `${ALLOY_API_PREFIX}/components`;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return text(404, '404 page not found\n');
    const wanted = path === prefix ? undefined : decodeURIComponent(path.slice(prefix.length + 1));
    this.withStatuses((jobs, scrapeOf) => {
      const components = this.components;
      if (wanted === undefined) return sendJson(res, components.map((c) => this.info(c, components)));
      const component = components.find((c) => c.id === wanted);
      if (!component) return text(404, `failed to find component: component "${wanted}" does not exist in module ""\n`);
      const own = jobs.filter((j) => this.owners.get(j) === component.id);
      const blockName = component.block.name === 'prometheus.scrape' ? 'target' : 'targets';
      const debugInfo: Statement[] = [
        ...component.crds.map((crd): Statement => ({ name: 'crds', type: 'block', body: [attr('namespace', crd.namespace), attr('name', crd.name), ...(crd.reconcileError ? [attr('reconcile_error', crd.reconcileError)] : [])] })),
        ...own.flatMap((job) => job.targets.map((t) => targetStatus(blockName, job, t, scrapeOf(t)))),
      ];
      sendJson(res, { ...this.info(component, components), arguments: encodeBody(component.block), exports: [], debugInfo });
    });
  }

  /** A component as the list gives it (internal/web/api/api.go, ComponentInfo), with the components its attributes reference. */
  private info(c: Component, all: readonly Component[]): object {
    const referencesOf = (of: Component) => {
      const inValue = (v: AlloyValue): string[] => (isExpr(v) ? all.filter((o) => o !== of && new RegExp(`(^|[^\\w.])${o.id.replace(/\./g, '\\.')}(\\.|$|[^\\w])`).test(v.expr)).map((o) => o.id)
        : Array.isArray(v) ? v.flatMap(inValue) : v && typeof v === 'object' ? Object.values(v).flatMap(inValue) : []);
      const inBlock = (b: AlloyBlock): string[] => [...Object.values(b.attributes).flatMap(inValue), ...b.blocks.flatMap(inBlock)];
      return [...new Set(inBlock(of.block))];
    };
    return {
      name: c.block.name, type: 'block', localID: c.id, moduleID: '', ...(c.block.label !== undefined ? { label: c.block.label } : {}),
      referencesTo: referencesOf(c), referencedBy: all.filter((o) => referencesOf(o).includes(c.id)).map((o) => o.id),
      health: { state: 'healthy', message: 'started component', updatedTime: new Date().toISOString() }, original: '',
    };
  }
}
