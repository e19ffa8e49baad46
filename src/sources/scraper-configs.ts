/**
 * The scrape configuration of the scrapers other than Prometheus, read from the objects at hand
 * (manifests offline, the objects read live), each as a ScrapeConfigSource whose jobs the raw-job
 * checks judge and whose load errors are SCRAPE_CONFIG_INVALID:
 *
 * - VMAgent: `spec.inlineScrapeConfig` (a list of Prometheus scrape_configs jobs);
 * - OpenTelemetryCollector: the `config` of each `prometheus` receiver (`prometheus/<name>` too), a
 *   Prometheus configuration; v1beta1 holds the collector configuration as an object, v1alpha1 as a
 *   YAML string;
 * - Grafana Alloy: the file its container runs (`alloy run PATH`), from the ConfigMap mounted there:
 *   `prometheus.scrape` components as jobs (tls_config, scheme), and `prometheus.operator.servicemonitors`
 *   / `podmonitors` as the scraper's selection of monitors (selector, namespaces,
 *   allow_arbitrary_file_access).
 */
import { LineCounter, isMap, isScalar, parseDocument, stringify } from 'yaml';
import type { Subject } from '../core/types.js';
import { blocksNamed, parseAlloy, AlloySyntaxError, stringOf, type AlloyBlock, type AlloyValue } from '../model/alloy.js';
import type { PrometheusPod } from '../model/inventory.js';
import type { KubeObject, LabelSelector, LabelSelectorRequirement } from '../model/k8s.js';
import { nameOf, namespaceOf } from '../model/k8s.js';
import { alloyConfigPath, alloyContainerOf, alloyVersion, type ScraperSelection, type SelectionRule } from '../model/scraper.js';
import type { ConfigError, RawScrapeJob, ScrapeTls } from '../model/scrape-config.js';
import { documentTexts } from './manifests.js';
import { fromText, jobSubject, keyText, volumeSourceOf, type ScrapeConfigSource } from './raw-scrape-configs.js';

export interface ScraperConfig {
  config: ScrapeConfigSource;
  /** the ConfigMap it was read from, when it was */
  object?: KubeObject;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every configuration the scraper pod loads, as far as the objects tell. */
export function scraperConfigSources(pod: PrometheusPod, objects: readonly KubeObject[], fileOf: (o: KubeObject) => string | undefined): ScraperConfig[] {
  const where = (o: KubeObject): Partial<Subject> => ({ namespace: pod.namespace, ...(fileOf(o) ? { file: fileOf(o) } : {}) });
  switch (pod.scraper?.kind) {
    case 'VMAgent': {
      const inline = (pod.subject.spec as { inlineScrapeConfig?: unknown } | undefined)?.inlineScrapeConfig;
      if (typeof inline !== 'string') return [];
      const line = fieldLine(pod.subject, ['spec', 'inlineScrapeConfig']);
      return [{ config: fromText(inline, line, `VMAgent ${pod.namespace}/${nameOf(pod.subject)} spec.inlineScrapeConfig`, where(pod.subject), pod, true) }];
    }
    case 'OpenTelemetryCollector':
      return collectorConfigs(pod, where(pod.subject)).map((config) => ({ config }));
    case 'Alloy': {
      const found = alloyConfigText(pod, objects);
      if (!found) return [];
      return [{ object: found.object, config: loadAlloy(found.text, found.lineOffset, found.source, where(found.object), pod).config }];
    }
    default:
      return [];
  }
}

// ── OpenTelemetry Collector ─────────────────────────────────────────────────────────────────────

/** The 1-based line (minus one) of a field of a manifest object, for offsets; 0 when unknown. */
function fieldLine(object: KubeObject, path: string[]): number {
  const doc = documentTexts.get(object);
  if (!doc) return 0;
  const lineCounter = new LineCounter();
  const parsed = parseDocument(doc.text, { lineCounter, uniqueKeys: false });
  const node = isMap(parsed.contents) ? parsed.contents.getIn(path, true) : undefined;
  const start = (node as { range?: [number] } | undefined)?.range?.[0];
  if (start === undefined) return doc.line - 1;
  const line = lineCounter.linePos(start).line + doc.line - 1;
  return isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') ? line : line - 1;
}

/** The lines of a YAML subtree (whole lines, so its indentation is uniform) and the line before it. */
function subtree(text: string, path: string[]): { text: string; lineOffset: number } | undefined {
  const lineCounter = new LineCounter();
  const parsed = parseDocument(text, { lineCounter, uniqueKeys: false });
  const node = isMap(parsed.contents) ? parsed.contents.getIn(path, true) : undefined;
  const range = (node as { range?: [number, number] } | undefined)?.range;
  if (!range || !isMap(node)) return undefined;
  const first = lineCounter.linePos(range[0]).line;
  const lines = text.split('\n');
  const last = lineCounter.linePos(Math.max(range[0], range[1] - 1)).line;
  return { text: lines.slice(first - 1, last).join('\n'), lineOffset: first - 1 };
}

function collectorConfigs(pod: PrometheusPod, where: Partial<Subject>): ScrapeConfigSource[] {
  const cr = pod.subject;
  const label = `OpenTelemetryCollector ${pod.namespace}/${nameOf(cr)}`;
  const raw = (cr.spec as { config?: unknown } | undefined)?.config;
  let config: unknown = raw;
  let text: string | undefined;
  let textOffset = 0;
  if (typeof raw === 'string') {
    // v1alpha1: the collector configuration as a YAML string
    text = raw;
    textOffset = fieldLine(cr, ['spec', 'config']);
    const parsed = parseDocument(raw, { uniqueKeys: false });
    if (parsed.errors.length) {
      const e = parsed.errors[0]!;
      return [{ source: `${label} spec.config`, subject: { kind: 'ScrapeConfig', ...where }, errors: [{ line: (e.linePos?.[0]?.line ?? 1) + textOffset, reason: e.message.split('\n')[0]! }], jobs: [], scraper: pod }];
    }
    config = parsed.toJS();
  }
  const receivers = isObject(config) && isObject(config.receivers) ? config.receivers : {};
  const out: ScrapeConfigSource[] = [];
  for (const [name, receiver] of Object.entries(receivers)) {
    if (name !== 'prometheus' && !name.startsWith('prometheus/')) continue;
    const promConfig = isObject(receiver) ? receiver.config : undefined;
    if (!isObject(promConfig)) continue;
    const source = `${label} receivers.${name}.config`;
    // the receiver's own text where the manifest has it, for lines; else the object as YAML
    const fromDoc = text !== undefined ? subtree(text, ['receivers', name, 'config']) : docSubtree(cr, ['spec', 'config', 'receivers', name, 'config']);
    const body = fromDoc ?? { text: stringify(promConfig), lineOffset: fieldLine(cr, ['spec', 'config']) };
    const offset = text !== undefined && fromDoc ? fromDoc.lineOffset + textOffset : body.lineOffset;
    out.push(fromText(body.text, offset, source, where, pod));
  }
  return out;
}

function docSubtree(object: KubeObject, path: string[]): { text: string; lineOffset: number } | undefined {
  const doc = documentTexts.get(object);
  if (!doc) return undefined;
  const found = subtree(doc.text, path);
  return found && { text: found.text, lineOffset: found.lineOffset + doc.line - 1 };
}

// ── Grafana Alloy ───────────────────────────────────────────────────────────────────────────────

/** The Alloy configuration text of a pod: its ConfigMap key mounted at the path `alloy run` reads. */
export function alloyConfigText(pod: PrometheusPod, objects: readonly KubeObject[]): { text: string; lineOffset: number; source: string; object: KubeObject } | undefined {
  const container = alloyContainerOf(pod.pod.spec);
  if (!container) return undefined;
  const path = alloyConfigPath(container);
  const volume = volumeSourceOf(pod, path);
  if (!volume) return undefined;
  const object = objects.find((o) => o.kind === volume.kind && namespaceOf(o) === pod.namespace && nameOf(o) === volume.name);
  const text = object && keyText(object, volume.key);
  return object && text ? { ...text, object, source: `${volume.kind} ${pod.namespace}/${volume.name}, key ${volume.key} (${path})` } : undefined;
}

const TLS_ATTRIBUTES = new Set(['ca_pem', 'ca_file', 'cert_pem', 'cert_file', 'key_pem', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version']);

function selectorOf(block: AlloyBlock | undefined): LabelSelector {
  if (!block) return {};
  const labels = block.attributes.match_labels;
  const matchLabels = isObject(labels) && !('expr' in labels) ? Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])) : undefined;
  const matchExpressions: LabelSelectorRequirement[] = block.blocks.filter((b) => b.name === 'match_expression').map((b) => ({
    key: stringOf(b.attributes.key) ?? '', operator: stringOf(b.attributes.operator) ?? '',
    ...(Array.isArray(b.attributes.values) ? { values: b.attributes.values.map(String) } : {}),
  }));
  return { ...(matchLabels ? { matchLabels } : {}), ...(matchExpressions.length ? { matchExpressions } : {}) };
}

const strings = (v: AlloyValue | undefined): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined);

export interface LoadedAlloy {
  config: ScrapeConfigSource;
  selection: ScraperSelection;
}

/** Reads an Alloy configuration: its scrape jobs, its selection of monitors, and what does not load. */
export function loadAlloy(text: string, lineOffset: number, source: string, where: Partial<Subject>, pod: PrometheusPod): LoadedAlloy {
  const who = `Alloy ${pod.namespace}/${nameOf(pod.subject)}`;
  const errors: ConfigError[] = [];
  const jobs: RawScrapeJob[] = [];
  const rules: SelectionRule[] = [];
  let blocks: AlloyBlock[] = [];
  try {
    blocks = parseAlloy(text);
  } catch (error) {
    if (!(error instanceof AlloySyntaxError)) throw error;
    errors.push({ line: error.line + lineOffset, reason: error.reason });
  }
  const line = (b: AlloyBlock) => b.line + lineOffset;
  const version = alloyVersion(alloyContainerOf(pod.pod.spec)?.image);
  // allow_arbitrary_file_access exists from Alloy 1.19 on, which rejects file paths without it (grafana/alloy#6885)
  const denies = !version || version[0] > 1 || (version[0] === 1 && version[1] >= 19);
  for (const [component, kind] of [['prometheus.operator.servicemonitors', 'ServiceMonitor'], ['prometheus.operator.podmonitors', 'PodMonitor']] as const) {
    for (const b of blocksNamed(blocks, component)) {
      if (b.label === undefined) errors.push({ line: line(b), reason: `component ${component} must have a label` });
      const names = strings(b.attributes.namespaces);
      const denied = denies && b.attributes.allow_arbitrary_file_access !== true;
      const field = `${component} "${b.label ?? ''}"`;
      rules.push({
        kinds: [kind], selector: selectorOf(b.blocks.find((s) => s.name === 'selector')), field,
        namespaces: names?.length ? { names } : { any: true },
        ...(denied ? { filesDenied: { scraper: 'Alloy' as const, where: `${field} in ${source}` } } : {}),
      });
    }
  }
  for (const b of blocksNamed(blocks, 'prometheus.scrape')) {
    if (b.label === undefined) {
      errors.push({ line: line(b), reason: 'component prometheus.scrape must have a label' });
      continue;
    }
    for (const required of ['targets', 'forward_to']) if (!(required in b.attributes)) errors.push({ line: line(b), reason: `missing required attribute "${required}" in prometheus.scrape "${b.label}"` });
    const tlsBlock = b.blocks.find((s) => s.name === 'tls_config');
    for (const key of Object.keys(tlsBlock?.attributes ?? {})) if (!TLS_ATTRIBUTES.has(key)) errors.push({ line: (tlsBlock!.attributeLines[key] ?? tlsBlock!.line) + lineOffset, reason: `unrecognized attribute name "${key}" in tls_config` });
    const a = tlsBlock?.attributes ?? {};
    const tls: ScrapeTls | undefined = tlsBlock ? {
      ...(stringOf(a.ca_file) ? { caFile: stringOf(a.ca_file) } : {}), ...(stringOf(a.cert_file) ? { certFile: stringOf(a.cert_file) } : {}),
      ...(stringOf(a.key_file) ? { keyFile: stringOf(a.key_file) } : {}),
      ca: a.ca_pem !== undefined, cert: a.cert_pem !== undefined, key: a.key_pem !== undefined,
      ...(typeof a.insecure_skip_verify === 'boolean' ? { insecureSkipVerify: a.insecure_skip_verify } : {}),
    } : undefined;
    const targets = Array.isArray(b.attributes.targets) ? b.attributes.targets : undefined;
    const staticTargets = targets?.every((t) => isObject(t) && typeof t.__address__ === 'string')
      ? [{ targets: targets.map((t) => String((t as Record<string, AlloyValue>).__address__)), labels: {} }]
      : [];
    jobs.push({
      name: stringOf(b.attributes.job_name) ?? `prometheus.scrape.${b.label}`, line: line(b),
      scheme: stringOf(b.attributes.scheme) ?? 'http', metricsPath: stringOf(b.attributes.metrics_path) ?? '/metrics',
      scrapeInterval: stringOf(b.attributes.scrape_interval) ?? '1m', scrapeTimeout: stringOf(b.attributes.scrape_timeout) ?? '10s',
      ...(tls ? { tls } : {}), enableHttp2: b.attributes.enable_http2 !== false,
      kubernetesSd: [], staticTargets, otherSd: staticTargets.length ? [] : ['Alloy targets (discovery components)'], relabelConfigs: [],
    });
  }
  const config: ScrapeConfigSource = {
    source, scraper: pod, errors, subject: { kind: 'ScrapeConfig', ...where },
    jobs: jobs.map((job) => ({ job, source, scraper: pod, subject: jobSubject(job, where) })),
  };
  return { config, selection: { who, rules } };
}

/** The monitor selection an Alloy pod's configuration makes, set on the pod (none when its configuration is unknown). */
export function withAlloySelection(pod: PrometheusPod, objects: readonly KubeObject[]): PrometheusPod {
  if (pod.scraper?.kind !== 'Alloy') return pod;
  const found = alloyConfigText(pod, objects);
  if (!found) return pod;
  return { ...pod, selection: loadAlloy(found.text, found.lineOffset, found.source, {}, pod).selection };
}
