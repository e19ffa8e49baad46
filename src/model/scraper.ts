/**
 * Scrapers other than Prometheus: the pod each runs and how it selects monitors, so that every check
 * written for "the Prometheus pod" judges them too (they carry the same sidecar recipe).
 *
 * - VictoriaMetrics operator `VMAgent` (operator.victoriametrics.com/v1beta1): a Deployment
 *   `vmagent-<name>` (StatefulSet in statefulMode, DaemonSet in daemonSetMode) whose `vmagent`
 *   container gets spec.volumes/volumeMounts, spec.podMetadata, spec.containers patches; it selects
 *   VMServiceScrapes/VMPodScrapes (and the ServiceMonitors/PodMonitors the operator converts to them)
 *   by serviceScrapeSelector/podScrapeSelector and their namespace selectors, with
 *   selectAllByDefault (docs.victoriametrics.com/operator/resources/vmagent/#scraping).
 * - The OpenTelemetry operator's `OpenTelemetryCollector` (opentelemetry.io/v1beta1, v1alpha1): a
 *   Deployment/DaemonSet/StatefulSet `<name>-collector` whose `otc-container` gets spec.volumes and
 *   spec.volumeMounts; the CR's labels and annotations and spec.podAnnotations reach the pod. With
 *   spec.targetAllocator.prometheusCR.enabled the target allocator selects ServiceMonitors and
 *   PodMonitors (nil selector: all) and hands their jobs, TLS file paths included, to this pod.
 * - Grafana Alloy: a workload whose container runs the grafana/alloy image; its selection comes from
 *   its configuration (src/sources/scraper-configs.ts).
 */
import type { PodLayer, PrometheusPod } from './inventory.js';
import type { Container, KubeObject, LabelSelector, Monitor, Pod, PodSpec, VolumeMount } from './k8s.js';
import { labelsOf, annotationsOf, nameOf, namespaceOf } from './k8s.js';
import { describeLabels, describeSelector, matchesLabels, namespaceLabels, selectorMatches, type Selection } from './selectors.js';

export type ScraperKind = 'Prometheus' | 'PrometheusAgent' | 'VMAgent' | 'Alloy' | 'OpenTelemetryCollector';
export const SCRAPER_KINDS: readonly ScraperKind[] = ['Prometheus', 'PrometheusAgent', 'VMAgent', 'Alloy', 'OpenTelemetryCollector'];

export interface ScraperRef {
  kind: ScraperKind;
  namespace: string;
  name: string;
}

/** Where a scraper looks for monitors of some kinds. */
export type NamespaceScope = { any: true } | { own: string } | { selector: LabelSelector } | { names: string[] };

export interface SelectionRule {
  /** the monitor kinds this rule selects */
  kinds: string[];
  /** label selector on the monitor; null: selects none */
  selector: LabelSelector | null;
  namespaces: NamespaceScope;
  /** the field(s) that say so, for reasons: `serviceScrapeSelector`, `prometheus.operator.servicemonitors "x"` */
  field: string;
  /** set when the scraper's own rule drops monitors that read TLS files (FS_ACCESS_DENIED) */
  filesDenied?: { scraper: 'VMAgent' | 'Alloy' | 'OpenTelemetryCollector'; where: string };
}

/** How a scraper selects monitors: by rules of its own, or (a target allocator) for another pod. */
export interface ScraperSelection {
  /** `VMAgent monitoring/vm`, as findings name it */
  who: string;
  rules: SelectionRule[];
  /** the jobs reach the pod through a target allocator (MONITOR_TLS_PATH_UNMOUNTED's allocator case) */
  viaTargetAllocator?: boolean;
}

export const describeScraper = (ref: ScraperRef): string => `${ref.kind} ${ref.namespace}/${ref.name}`;

/** Whether a scraper's rules select a monitor: three-valued where namespace labels are unknown. */
export function scraperSelects(selection: ScraperSelection, monitor: Monitor, namespaces?: readonly KubeObject[]): Selection {
  const rules = selection.rules.filter((r) => r.kinds.includes(monitor.kind ?? ''));
  if (!rules.length) return { selected: false, reason: `${selection.who} does not read ${monitor.kind ?? 'such'} objects` };
  const reasons: string[] = [];
  let unknown: string | undefined;
  for (const rule of rules) {
    if (!rule.selector) {
      reasons.push(`${selection.who} has no ${rule.field}`);
      continue;
    }
    if (!matchesLabels(rule.selector, labelsOf(monitor))) {
      reasons.push(`${selection.who}'s ${rule.field} ${describeSelector(rule.selector)} does not match the labels ${describeLabels(labelsOf(monitor))}`);
      continue;
    }
    const ns = namespaceOf(monitor);
    const scope = rule.namespaces;
    if ('any' in scope) return { selected: true };
    if ('own' in scope) {
      if (scope.own === ns) return { selected: true };
      reasons.push(`${selection.who} looks only in its own namespace ${scope.own}, not ${ns}`);
      continue;
    }
    if ('names' in scope) {
      if (scope.names.includes(ns)) return { selected: true };
      reasons.push(`${selection.who}'s ${rule.field} looks only in ${scope.names.join(', ')}, not ${ns}`);
      continue;
    }
    const inNamespace = selectorMatches(scope.selector, namespaceLabels(ns, namespaces));
    if (inNamespace === true) return { selected: true };
    if (inNamespace === 'unknown') unknown = `the labels of namespace ${ns} are not known, so whether ${selection.who} looks there is unknown`;
    else reasons.push(`${selection.who}'s namespace selector ${describeSelector(scope.selector)} does not match namespace ${ns}`);
  }
  return unknown ? { selected: 'unknown', reason: unknown } : { selected: false, reason: reasons.join('; ') };
}

/** The first rule that selects the monitor (for its file-access setting). */
export function selectingRule(selection: ScraperSelection, monitor: Monitor, namespaces?: readonly KubeObject[]): SelectionRule | undefined {
  return selection.rules.find((r) => scraperSelects({ ...selection, rules: [r] }, monitor, namespaces).selected !== false);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asSelector = (v: unknown): LabelSelector | undefined => (isObject(v) ? (v as LabelSelector) : undefined);

/** Strategic merge of containers patches by name, as both operators apply spec.containers. */
function mergeContainers(base: Container[], patches: unknown): Container[] {
  const out = base.map((c) => ({ ...c }));
  for (const patch of Array.isArray(patches) ? (patches as Container[]) : []) {
    const i = out.findIndex((c) => c.name === patch.name);
    if (i < 0) out.push({ ...patch });
    else out[i] = { ...out[i], ...patch, volumeMounts: [...(out[i]!.volumeMounts ?? []), ...(patch.volumeMounts ?? [])] };
  }
  return out;
}

// ── VMAgent ─────────────────────────────────────────────────────────────────────────────────────

interface VMAgentSpec {
  image?: { repository?: string; tag?: string };
  podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  volumes?: { name: string; [k: string]: unknown }[];
  volumeMounts?: VolumeMount[];
  containers?: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  securityContext?: PodSpec['securityContext'];
  selectAllByDefault?: boolean;
  serviceScrapeSelector?: LabelSelector;
  serviceScrapeNamespaceSelector?: LabelSelector;
  podScrapeSelector?: LabelSelector;
  podScrapeNamespaceSelector?: LabelSelector;
  arbitraryFSAccessThroughSMs?: { deny?: boolean };
  statefulMode?: boolean;
  daemonSetMode?: boolean;
  inlineScrapeConfig?: string;
  [k: string]: unknown;
}

const vmSpec = (cr: KubeObject): VMAgentSpec => (isObject(cr.spec) ? (cr.spec as VMAgentSpec) : {});

/** The workload kind the VM operator makes of a VMAgent. */
export function vmAgentWorkloadKind(cr: KubeObject): 'Deployment' | 'StatefulSet' | 'DaemonSet' {
  const spec = vmSpec(cr);
  return spec.daemonSetMode ? 'DaemonSet' : spec.statefulMode ? 'StatefulSet' : 'Deployment';
}

/** The labels the VM operator selects a VMAgent's pods by. */
export const vmAgentSelectorLabels = (name: string): Record<string, string> => ({
  'app.kubernetes.io/name': 'vmagent', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': 'monitoring', 'managed-by': 'vm-operator',
});

/** The port vmagent serves its HTTP API on: spec.port (a string in the CRD), 8429 by default. */
export function vmAgentPort(cr: KubeObject): number {
  const port = Number(vmSpec(cr).port ?? 8429);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 8429;
}

/** The pod the VM operator's Deployment of a VMAgent would create, before admission. */
export function podFromVMAgent(cr: KubeObject): Pod {
  const name = nameOf(cr);
  const spec = vmSpec(cr);
  const vmagent: Container = {
    name: 'vmagent',
    image: `${spec.image?.repository ?? 'victoriametrics/vmagent'}:${spec.image?.tag ?? 'latest'}`,
    args: ['-promscrape.config=/etc/vmagent/config_out/vmagent.env.yaml', '-remoteWrite.tmpDataPath=/tmp/vmagent-remotewrite-data', `-httpListenAddr=:${vmAgentPort(cr)}`],
    // vmagent's HTTP API (/api/v1/targets among others) and its own /metrics
    ports: [{ name: 'http', containerPort: vmAgentPort(cr), protocol: 'TCP' }],
    volumeMounts: [
      { name: 'persistent-queue-data', mountPath: '/tmp/vmagent-remotewrite-data' },
      { name: 'tls-assets', mountPath: '/etc/vmagent-tls/certs', readOnly: true },
      { name: 'config-out', mountPath: '/etc/vmagent/config_out', readOnly: true },
      ...(spec.volumeMounts ?? []),
    ],
  };
  const reloader: Container = { name: 'config-reloader', volumeMounts: [{ name: 'config', mountPath: '/etc/vmagent/config' }, { name: 'config-out', mountPath: '/etc/vmagent/config_out' }] };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `vmagent-${name}-0`, namespace: namespaceOf(cr),
      labels: { ...(spec.podMetadata?.labels ?? {}), ...vmAgentSelectorLabels(name) },
      annotations: { ...(spec.podMetadata?.annotations ?? {}) },
    },
    spec: {
      serviceAccountName: spec.serviceAccountName ?? `vmagent-${name}`,
      ...(spec.securityContext ? { securityContext: spec.securityContext } : {}),
      initContainers: mergeContainers([], spec.initContainers),
      containers: mergeContainers([vmagent, reloader], spec.containers),
      volumes: [
        { name: 'persistent-queue-data', emptyDir: {} },
        { name: 'tls-assets', secret: { secretName: `tls-assets-vmagent-${name}` } },
        { name: 'config', secret: { secretName: `vmagent-${name}` } },
        { name: 'config-out', emptyDir: {} },
        ...(spec.volumes ?? []),
      ],
    },
  };
}

/**
 * VMAgent's selection (VM operator, "Scraping"): both selectors nil → every object when
 * selectAllByDefault, else none; a nil selector with a namespace selector → every object in those
 * namespaces; a selector with a nil namespace selector → the VMAgent's namespace only. The operator
 * converts ServiceMonitors and PodMonitors into VMServiceScrapes/VMPodScrapes with the same labels
 * (on by default), so those are selected by the same rules.
 */
export function vmAgentSelection(cr: KubeObject): ScraperSelection {
  const spec = vmSpec(cr);
  const who = `VMAgent ${namespaceOf(cr)}/${nameOf(cr)}`;
  const denied = spec.arbitraryFSAccessThroughSMs?.deny === true ? { scraper: 'VMAgent' as const, where: `${who} spec.arbitraryFSAccessThroughSMs.deny` } : undefined;
  const rule = (kinds: string[], selectorField: 'serviceScrapeSelector' | 'podScrapeSelector', nsField: 'serviceScrapeNamespaceSelector' | 'podScrapeNamespaceSelector'): SelectionRule => {
    const selector = asSelector(spec[selectorField]);
    const nsSelector = asSelector(spec[nsField]);
    const base = { kinds, field: selectorField, ...(denied ? { filesDenied: denied } : {}) };
    if (!selector && !nsSelector) return { ...base, selector: spec.selectAllByDefault ? {} : null, namespaces: { any: true } };
    return { ...base, selector: selector ?? {}, namespaces: nsSelector ? { selector: nsSelector } : { own: namespaceOf(cr) } };
  };
  return {
    who,
    rules: [
      rule(['VMServiceScrape', 'ServiceMonitor'], 'serviceScrapeSelector', 'serviceScrapeNamespaceSelector'),
      rule(['VMPodScrape', 'PodMonitor'], 'podScrapeSelector', 'podScrapeNamespaceSelector'),
    ],
  };
}

// ── OpenTelemetryCollector ──────────────────────────────────────────────────────────────────────

interface CollectorSpec {
  mode?: string;
  image?: string;
  volumes?: { name: string; [k: string]: unknown }[];
  volumeMounts?: VolumeMount[];
  podAnnotations?: Record<string, string>;
  serviceAccount?: string;
  securityContext?: Container['securityContext'];
  podSecurityContext?: PodSpec['securityContext'];
  additionalContainers?: Container[];
  initContainers?: Container[];
  targetAllocator?: {
    enabled?: boolean;
    prometheusCR?: {
      enabled?: boolean;
      serviceMonitorSelector?: unknown;
      podMonitorSelector?: unknown;
      serviceMonitorNamespaceSelector?: unknown;
      podMonitorNamespaceSelector?: unknown;
      denyFSAccessThroughSMs?: boolean;
    };
  };
  [k: string]: unknown;
}

const collectorSpec = (cr: KubeObject): CollectorSpec => (isObject(cr.spec) ? (cr.spec as CollectorSpec) : {});

export function collectorWorkloadKind(cr: KubeObject): 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Pod' {
  const mode = String(collectorSpec(cr).mode ?? 'deployment').toLowerCase();
  return mode === 'daemonset' ? 'DaemonSet' : mode === 'statefulset' ? 'StatefulSet' : mode === 'sidecar' ? 'Pod' : 'Deployment';
}

export const collectorSelectorLabels = (cr: KubeObject): Record<string, string> => ({
  'app.kubernetes.io/component': 'opentelemetry-collector',
  'app.kubernetes.io/instance': `${namespaceOf(cr)}.${nameOf(cr)}`,
  'app.kubernetes.io/managed-by': 'opentelemetry-operator',
  'app.kubernetes.io/part-of': 'opentelemetry',
});

/** The pod the OpenTelemetry operator would create for a collector (mode deployment/daemonset/statefulset). */
export function podFromCollector(cr: KubeObject): Pod {
  const name = nameOf(cr);
  const spec = collectorSpec(cr);
  const container: Container = {
    name: 'otc-container',
    image: spec.image ?? 'ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector:latest',
    args: ['--config=/conf/collector.yaml'],
    volumeMounts: [{ name: 'otc-internal', mountPath: '/conf' }, ...(spec.volumeMounts ?? [])],
    ...(spec.securityContext ? { securityContext: spec.securityContext } : {}),
  };
  const annotations = Object.fromEntries(Object.entries(annotationsOf(cr)).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration'));
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `${name}-collector-0`, namespace: namespaceOf(cr),
      labels: { ...labelsOf(cr), ...collectorSelectorLabels(cr), 'app.kubernetes.io/name': `${name}-collector` },
      annotations: { ...annotations, ...(spec.podAnnotations ?? {}) },
    },
    spec: {
      serviceAccountName: spec.serviceAccount ?? `${name}-collector`,
      ...(spec.podSecurityContext ? { securityContext: spec.podSecurityContext } : {}),
      initContainers: [...(spec.initContainers ?? [])],
      containers: [container, ...(spec.additionalContainers ?? [])],
      volumes: [{ name: 'otc-internal', configMap: { name: `${name}-collector`, items: [{ key: 'collector.yaml', path: 'collector.yaml' }] } }, ...(spec.volumes ?? [])],
    },
  };
}

/** v1alpha1 selectors are label maps; v1beta1 ones are LabelSelectors. Nil: every monitor, every namespace. */
function allocatorSelector(value: unknown): LabelSelector {
  if (!isObject(value)) return {};
  if ('matchLabels' in value || 'matchExpressions' in value) return value as LabelSelector;
  return { matchLabels: value as Record<string, string> };
}

/** The target allocator's selection of ServiceMonitors and PodMonitors, when prometheusCR is enabled. */
export function collectorSelection(cr: KubeObject): ScraperSelection | undefined {
  const ta = collectorSpec(cr).targetAllocator;
  if (ta?.enabled !== true || ta.prometheusCR?.enabled !== true) return undefined;
  const cr_ = ta.prometheusCR;
  const ns = (v: unknown): NamespaceScope => (isObject(v) ? { selector: allocatorSelector(v) } : { any: true });
  const who = `the target allocator of OpenTelemetryCollector ${namespaceOf(cr)}/${nameOf(cr)}`;
  // operator ≥ v0.153: the allocator drops the jobs whose tls_config names files (cmd/otel-allocator, filterScrapeConfigs)
  const denied = cr_.denyFSAccessThroughSMs === true
    ? { filesDenied: { scraper: 'OpenTelemetryCollector' as const, where: `OpenTelemetryCollector ${namespaceOf(cr)}/${nameOf(cr)} spec.targetAllocator.prometheusCR.denyFSAccessThroughSMs` } }
    : {};
  return {
    who,
    viaTargetAllocator: true,
    rules: [
      { kinds: ['ServiceMonitor'], selector: allocatorSelector(cr_.serviceMonitorSelector), namespaces: ns(cr_.serviceMonitorNamespaceSelector), field: 'targetAllocator.prometheusCR.serviceMonitorSelector', ...denied },
      { kinds: ['PodMonitor'], selector: allocatorSelector(cr_.podMonitorSelector), namespaces: ns(cr_.podMonitorNamespaceSelector), field: 'targetAllocator.prometheusCR.podMonitorSelector', ...denied },
    ],
  };
}

// ── Alloy ───────────────────────────────────────────────────────────────────────────────────────

const ALLOY_IMAGE = /(^|\/)grafana\/alloy(:|@|$)/;

export function alloyContainerOf(spec: PodSpec | undefined): Container | undefined {
  return spec?.containers?.find((c) => ALLOY_IMAGE.test(c.image ?? ''));
}

/** The Alloy version of an image tag (`v1.19.0`), when the tag says. */
export function alloyVersion(image: string | undefined): [number, number] | undefined {
  const m = /:v?(\d+)\.(\d+)/.exec(image ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The configuration file an Alloy container runs (`alloy run PATH`), default as the Helm chart's. */
export function alloyConfigPath(container: Container): string {
  const args = [...((container.command as string[] | undefined) ?? []), ...(container.args ?? [])].map(String);
  const run = args.indexOf('run');
  const path = args.slice(run + 1).find((a) => !a.startsWith('-'));
  return path ?? '/etc/alloy/config.alloy';
}

// ── From manifests ──────────────────────────────────────────────────────────────────────────────

const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod']);

/** Offline: the pods of the scrapers other than Prometheus that the manifests describe. */
export function scraperPodsFromManifests(objects: readonly KubeObject[]): PrometheusPod[] {
  const pods: PrometheusPod[] = [];
  for (const o of objects) {
    const ref = (kind: ScraperKind): ScraperRef => ({ kind, namespace: namespaceOf(o), name: nameOf(o) });
    if (o.kind === 'VMAgent') {
      pods.push({
        scraper: ref('VMAgent'), selection: vmAgentSelection(o), subject: o, namespace: namespaceOf(o), pod: podFromVMAgent(o), admitted: false,
        prometheusContainer: 'vmagent', layers: [{ kind: 'VMAgent', object: o, podMetadata: vmSpec(o).podMetadata }],
      });
    } else if (o.kind === 'OpenTelemetryCollector') {
      const pod = podFromCollector(o);
      const selection = collectorSelection(o);
      pods.push({
        scraper: ref('OpenTelemetryCollector'), ...(selection ? { selection } : {}), subject: o, namespace: namespaceOf(o), pod, admitted: false,
        prometheusContainer: 'otc-container', layers: [{ kind: 'OpenTelemetryCollector', object: o, podMetadata: { labels: pod.metadata?.labels, annotations: pod.metadata?.annotations } }],
      });
    } else if (TEMPLATE_KINDS.has(o.kind ?? '') && !o.metadata?.ownerReferences?.length) {
      const template = o.kind === 'Pod' ? { metadata: o.metadata, spec: (o as Pod).spec } : (o.spec as { template?: Pod } | undefined)?.template;
      const container = alloyContainerOf(template?.spec);
      if (!template || !container) continue;
      pods.push({
        scraper: ref('Alloy'), subject: o, namespace: namespaceOf(o),
        pod: { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: namespaceOf(o), ...template.metadata }, spec: template.spec },
        admitted: o.kind === 'Pod' && Boolean(template.spec?.containers?.some((c) => c.name === 'istio-proxy')),
        prometheusContainer: container.name ?? 'alloy', layers: [{ kind: o.kind as PodLayer['kind'], object: o, podMetadata: template.metadata }],
      });
    }
  }
  return pods;
}

/** `--scraper KIND/NAME`: whether a pod belongs to the named scraper (Prometheus: the resource or its pod). */
export function matchesScraper(pod: PrometheusPod, kind: string | undefined, name: string | undefined): boolean {
  const podKind = pod.scraper?.kind ?? 'Prometheus';
  if (kind && kind.toLowerCase() !== podKind.toLowerCase()) return false;
  return !name || nameOf(pod.subject) === name || nameOf(pod.pod) === name;
}
