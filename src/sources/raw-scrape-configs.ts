/**
 * Raw Prometheus configuration (`scrape_configs`) and its jobs, from wherever a Prometheus reads it:
 *
 * - a ConfigMap (or, offline, a Secret whose manifest is an input) mounted into the Prometheus
 *   container at the folder of its `--config.file` (default /etc/prometheus/prometheus.yml);
 * - a `-f` document with no `kind` that has `scrape_configs` (a prometheus.yml);
 * - the operator's `additionalScrapeConfigs` (a Secret key): only when the Secret's manifest is
 *   among the inputs; Secrets are never read from a cluster;
 * - live, Prometheus's loaded configuration from /api/v1/status/config (operator-generated jobs of
 *   monitors and ScrapeConfig objects excepted: those are judged as the objects they come from);
 * - the operator's ScrapeConfig objects (./scrape-config-objects.ts), as the jobs it generates.
 *
 * Each job is a subject `ScrapeJob` (name = job_name; the file and line offline).
 */
import { Buffer } from 'node:buffer';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import type { Providers, ResourceStore } from '../core/resources.js';
import { Unavailable } from '../core/resources.js';
import type { Subject } from '../core/types.js';
import type { PrometheusPod } from '../model/inventory.js';
import type { KubeObject, PrometheusResource } from '../model/k8s.js';
import { nameOf, namespaceOf } from '../model/k8s.js';
import { loadPrometheusConfig, looksLikePrometheusConfig, type ConfigError, type RawScrapeJob } from '../model/scrape-config.js';
import { monitorOfJob } from '../probes/prometheus-api.js';
import { documentTexts } from './manifests.js';
import { scraperConfigSources } from './scraper-configs.js';
import { scrapeConfigObjectSources } from './scrape-config-objects.js';

/** A raw job, where it was written and which Prometheus loads it. */
export interface ScrapeJobEntry {
  job: RawScrapeJob;
  subject: Subject;
  /** where the configuration was read, in the user's terms */
  source: string;
  /** the Prometheus that loads it, when known (its certificates mount, its own namespace) */
  scraper?: PrometheusPod;
  /** a ScrapeConfig object's job: where its TLS files were written, as the operator spells it (`scrape class "istio" tlsConfig`) */
  tlsOrigin?: string;
}

/** One configuration text and what loading it gave. */
export interface ScrapeConfigSource {
  source: string;
  subject: Subject;
  errors: ConfigError[];
  jobs: ScrapeJobEntry[];
  scraper?: PrometheusPod;
}

declare module '../model/inventory.js' {
  interface ResourceMap {
    /** raw Prometheus configurations and their jobs */
    scrapeConfigs: ScrapeConfigSource[];
  }
}

const DEFAULT_CONFIG_FILE = '/etc/prometheus/prometheus.yml';

/** The --config.file a Prometheus container reads (args or command). */
export function configFileOf(pod: PrometheusPod): string {
  const container = pod.pod.spec?.containers?.find((c) => c.name === pod.prometheusContainer);
  const args = [...((container?.command as string[] | undefined) ?? []), ...(container?.args ?? [])].map(String);
  for (let i = 0; i < args.length; i++) {
    const m = /^--?config\.file(?:=(.*))?$/.exec(args[i]!);
    if (m) return m[1] ?? args[i + 1] ?? DEFAULT_CONFIG_FILE;
  }
  return DEFAULT_CONFIG_FILE;
}

interface VolumeSource {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  key: string;
}

/** The ConfigMap or Secret key a file path in the container comes from, following mounts, subPath and items. */
export function volumeSourceOf(pod: PrometheusPod, path: string): VolumeSource | undefined {
  const container = pod.pod.spec?.containers?.find((c) => c.name === pod.prometheusContainer);
  const mounts = [...(container?.volumeMounts ?? [])].sort((a, b) => (b.mountPath ?? '').length - (a.mountPath ?? '').length);
  for (const mount of mounts) {
    const mountPath = (mount.mountPath ?? '').replace(/\/+$/, '');
    if (!mountPath) continue;
    let relative: string | undefined;
    if (mount.subPath) relative = path === mountPath ? mount.subPath : undefined;
    else if (path.startsWith(`${mountPath}/`)) relative = path.slice(mountPath.length + 1);
    if (relative === undefined) continue;
    const volume = pod.pod.spec?.volumes?.find((v) => v.name === mount.name) as Record<string, unknown> | undefined;
    const configMap = volume?.configMap as { name?: string; items?: { key?: string; path?: string }[] } | undefined;
    const secret = volume?.secret as { secretName?: string; items?: { key?: string; path?: string }[] } | undefined;
    const of = (items: { key?: string; path?: string }[] | undefined) => items?.find((i) => i.path === relative)?.key ?? (items?.length ? undefined : relative);
    if (configMap?.name) {
      const key = of(configMap.items);
      return key ? { kind: 'ConfigMap', name: configMap.name, key } : undefined;
    }
    if (secret?.secretName) {
      const key = of(secret.items);
      return key ? { kind: 'Secret', name: secret.secretName, key } : undefined;
    }
    return undefined;
  }
  return undefined;
}

/** The text of a ConfigMap/Secret key and the file line its first line sits on (block scalars: the line after the key). */
export function keyText(object: KubeObject, key: string): { text: string; lineOffset: number } | undefined {
  const data = (object as { data?: Record<string, unknown> }).data;
  const stringData = (object as { stringData?: Record<string, unknown> }).stringData;
  let text: string | undefined;
  let field = 'data';
  if (object.kind === 'Secret') {
    if (typeof stringData?.[key] === 'string') {
      text = stringData[key] as string;
      field = 'stringData';
    } else if (typeof data?.[key] === 'string') text = Buffer.from(data[key] as string, 'base64').toString('utf8');
  } else if (typeof data?.[key] === 'string') text = data[key] as string;
  if (text === undefined) return undefined;
  const doc = documentTexts.get(object);
  let lineOffset = 0;
  if (doc && !(object.kind === 'Secret' && field === 'data')) {
    const lineCounter = new LineCounter();
    const parsed = parseDocument(doc.text, { lineCounter, uniqueKeys: false });
    const node = isMap(parsed.contents) ? parsed.contents.getIn([field, key], true) : undefined;
    const start = (node as { range?: [number] } | undefined)?.range?.[0];
    if (start !== undefined) {
      const line = lineCounter.linePos(start).line + doc.line - 1;
      const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
      lineOffset = block ? line : line - 1;
    }
  } else if (doc) lineOffset = doc.line - 1;
  return { text, lineOffset };
}

export const jobSubject = (job: RawScrapeJob, where: Partial<Subject>): Subject => ({ kind: 'ScrapeJob', name: job.name, ...where, ...(where.file ? { line: job.line } : {}) });

export function fromText(text: string, lineOffset: number, source: string, where: Partial<Subject>, scraper: PrometheusPod | undefined, wrapList = false): ScrapeConfigSource {
  // additionalScrapeConfigs holds the list alone: load it as the scrape_configs of a configuration
  const body = wrapList ? `scrape_configs:\n${text.split('\n').map((l) => `  ${l}`).join('\n')}` : text;
  const loaded = loadPrometheusConfig(body, wrapList ? lineOffset - 1 : lineOffset);
  return {
    source, scraper, errors: loaded.errors,
    subject: { kind: 'ScrapeConfig', ...where },
    jobs: loaded.jobs.map((job) => ({ job, source, scraper, subject: jobSubject(job, where) })),
  };
}

/** Offline: every raw configuration the manifests hold or point at. */
export function scrapeConfigsFromManifests(store: ResourceStore, objects: readonly KubeObject[], pods: readonly PrometheusPod[]): ScrapeConfigSource[] {
  const out: ScrapeConfigSource[] = [];
  const used = new Set<object>();
  const find = (kind: string, namespace: string, name: string) => objects.find((o) => o.kind === kind && namespaceOf(o) === namespace && nameOf(o) === name);
  const fileOf = (o: KubeObject) => store.locations.get(o)?.file;

  for (const pod of pods) {
    if (pod.scraper && pod.scraper.kind !== 'Prometheus' && pod.scraper.kind !== 'PrometheusAgent') {
      // VMAgent, Alloy, the OpenTelemetry Collector: their own configuration formats
      for (const source of scraperConfigSources(pod, objects, fileOf)) {
        if (source.object) used.add(source.object);
        out.push(source.config);
      }
      continue;
    }
    const path = configFileOf(pod);
    const volume = volumeSourceOf(pod, path);
    if (volume) {
      const object = find(volume.kind, pod.namespace, volume.name);
      const text = object && keyText(object, volume.key);
      if (object && text) {
        used.add(object);
        const where: Partial<Subject> = { namespace: pod.namespace, ...(fileOf(object) ? { file: fileOf(object) } : {}) };
        out.push(fromText(text.text, text.lineOffset, `${volume.kind} ${pod.namespace}/${volume.name}, key ${volume.key} (${path})`, where, pod));
      }
    }
    const additional = (pod.resource as PrometheusResource | undefined)?.spec?.additionalScrapeConfigs as { name?: string; key?: string } | undefined;
    if (additional?.name && additional.key) {
      const secret = find('Secret', pod.namespace, additional.name);
      const text = secret && keyText(secret, additional.key);
      if (secret && text) {
        used.add(secret);
        const where: Partial<Subject> = { namespace: pod.namespace, ...(fileOf(secret) ? { file: fileOf(secret) } : {}) };
        out.push(fromText(text.text, text.lineOffset, `Secret ${pod.namespace}/${additional.name}, key ${additional.key} (additionalScrapeConfigs)`, where, pod, true));
      }
    }
  }
  for (const object of objects) {
    if (used.has(object) || !looksLikePrometheusConfig(object)) continue;
    const doc = documentTexts.get(object);
    const file = fileOf(object);
    if (!doc) continue;
    // A lone prometheus.yml: the Prometheus that loads it is the only one of the inputs, if there is one.
    out.push(fromText(doc.text, doc.line - 1, file ?? 'prometheus.yml', file ? { file } : {}, pods.length === 1 ? pods[0] : undefined));
  }
  return out;
}

/** Live (or with --prometheus-url): the configuration each Prometheus has loaded. */
export function scrapeConfigsFromViews(views: readonly { source: string; prometheus?: KubeObject; configYaml?: string }[], pods: readonly PrometheusPod[] | undefined): ScrapeConfigSource[] {
  return views.flatMap((view) => {
    if (!view.configYaml) return [];
    const scraper = pods?.find((p) => view.prometheus && (p.subject === view.prometheus || p.resource === view.prometheus)) ?? (pods?.length === 1 ? pods[0] : undefined);
    const where: Partial<Subject> = scraper ? { namespace: scraper.namespace } : {};
    const loaded = fromText(view.configYaml, 0, `Prometheus ${view.source} (/api/v1/status/config)`, where, scraper);
    // what Prometheus loaded, loads: only the jobs matter; the monitors' own jobs are judged as monitors
    // (the VictoriaMetrics operator's nodeScrape/ and staticScrape/ too: objects the doctor does not judge)
    return [{ ...loaded, errors: [], jobs: loaded.jobs.filter((j) => !monitorOfJob(j.job.name) && !/^(scrapeConfig|probe|nodeScrape|staticScrape)\//.test(j.job.name)) }];
  });
}

/** The provider: from the manifests offline, and from Prometheus's API when it can be read (live, or --prometheus-url). */
export function rawScrapeProviders(store: ResourceStore): Providers {
  return {
    scrapeConfigs: async () => {
      const [objects, pods, views, crds] = await Promise.all([store.optional('objects'), store.optional('prometheusPods'), store.optional('prometheusViews'), scrapeConfigObjectSources(store)]);
      if (!objects && !views && !crds) throw new Unavailable("no raw Prometheus configuration: no -f manifests, and Prometheus's API could not be read");
      return [...(objects ? scrapeConfigsFromManifests(store, objects, pods ?? []) : []), ...(views ? scrapeConfigsFromViews(views, pods) : []), ...(crds ?? [])];
    },
  };
}
