/**
 * Kubernetes label selectors and the Prometheus Operator's rules for which monitors a Prometheus
 * selects. Evaluation is three-valued: when an object's labels are not all known (a namespace that
 * is not among the inputs), a requirement on a label we cannot see is `'unknown'`, never a guess.
 */
import type { KubeObject, LabelSelector, LabelSelectorRequirement, Monitor, PrometheusResource } from './k8s.js';
import { labelsOf, nameOf, namespaceOf } from './k8s.js';

export type Tristate = boolean | 'unknown';

/** The label Kubernetes (≥ 1.21) sets on every namespace, so a namespace's name is always a known label. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface KnownLabels {
  labels: Record<string, string>;
  /** false when labels other than those listed may exist (the object itself is not among the inputs) */
  complete: boolean;
}

/** AND of three-valued terms: false wins, then unknown. */
export function allOf(values: Iterable<Tristate>): Tristate {
  let result: Tristate = true;
  for (const v of values) {
    if (v === false) return false;
    if (v === 'unknown') result = 'unknown';
  }
  return result;
}

function requirementMatches(req: LabelSelectorRequirement, known: KnownLabels): Tristate {
  const has = Object.hasOwn(known.labels, req.key);
  if (!has && !known.complete) return 'unknown';
  const value = has ? known.labels[req.key] : undefined;
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    default:
      // The API server rejects an unknown operator; such a selector selects nothing.
      return false;
  }
}

/**
 * Whether a (non-null) label selector matches: every matchLabels pair and every matchExpressions
 * requirement must hold. An empty selector `{}` matches everything.
 */
export function selectorMatches(selector: LabelSelector, known: KnownLabels): Tristate {
  const requirements: LabelSelectorRequirement[] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: 'In', values: [value] })),
    ...(selector.matchExpressions ?? []),
  ];
  return allOf(requirements.map((r) => requirementMatches(r, known)));
}

/** Two-valued form for labels that are fully known (pods, Services, monitors). */
export function matchesLabels(selector: LabelSelector, labels: Record<string, string>): boolean {
  return selectorMatches(selector, { labels, complete: true }) === true;
}

/** kubectl's notation: `app=web,tier in (a,b),!legacy`; `{}` is `<everything>`. */
export function describeSelector(selector: LabelSelector | null | undefined): string {
  if (!selector) return '<nothing>';
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map((r) => {
      switch (r.operator) {
        case 'In': return `${r.key} in (${(r.values ?? []).join(',')})`;
        case 'NotIn': return `${r.key} notin (${(r.values ?? []).join(',')})`;
        case 'Exists': return r.key;
        case 'DoesNotExist': return `!${r.key}`;
        default: return `${r.key} ${r.operator} (${(r.values ?? []).join(',')})`;
      }
    }),
  ];
  return parts.length ? parts.join(',') : '<everything>';
}

/**
 * A namespace's labels as far as the inputs tell: its own labels when the Namespace object is known,
 * else only the name label the API server always sets.
 */
export function namespaceLabels(namespace: string, namespaces: readonly KubeObject[] | undefined): KnownLabels {
  const object = namespaces?.find((n) => nameOf(n) === namespace);
  const nameLabel = { [NAMESPACE_NAME_LABEL]: namespace };
  return object ? { labels: { ...labelsOf(object), ...nameLabel }, complete: true } : { labels: nameLabel, complete: false };
}

export type MonitorKind = 'ServiceMonitor' | 'PodMonitor';

export function isMonitorKind(kind: string | undefined): kind is MonitorKind {
  return kind === 'ServiceMonitor' || kind === 'PodMonitor';
}

/**
 * Groups of other products whose ServiceMonitor and PodMonitor kinds copy Prometheus Operator's:
 * Azure Monitor's managed Prometheus (its ama-metrics agent) reads `azmonitoring.coreos.com/v1`
 * ones, which no Prometheus Operator reads. They are not monitors of a scraper asm-prom judges.
 */
const OTHER_PRODUCTS_MONITOR_GROUPS = new Set(['azmonitoring.coreos.com']);

export function isOtherProductsMonitor(object: { apiVersion?: unknown }): boolean {
  return typeof object.apiVersion === 'string' && OTHER_PRODUCTS_MONITOR_GROUPS.has(object.apiVersion.split('/')[0]!);
}

/** The kinds a Prometheus selects by its own label and namespace selectors. */
export type SelectableKind = MonitorKind | 'ScrapeConfig';

/** The Prometheus fields that select objects of a kind. */
function selectorFields(kind: SelectableKind) {
  if (kind === 'ScrapeConfig') return { selector: 'scrapeConfigSelector', namespaceSelector: 'scrapeConfigNamespaceSelector' } as const;
  return kind === 'ServiceMonitor'
    ? { selector: 'serviceMonitorSelector', namespaceSelector: 'serviceMonitorNamespaceSelector' } as const
    : { selector: 'podMonitorSelector', namespaceSelector: 'podMonitorNamespaceSelector' } as const;
}

export interface Selection {
  selected: Tristate;
  /** why not (or why unknown), in the user's terms; empty when selected */
  reason?: string;
}

/**
 * Whether a Prometheus resource selects a monitor (or a ScrapeConfig), by the operator's rules: a null/absent
 * selector matches nothing and `{}` everything; a null/absent namespace selector means the
 * Prometheus's own namespace only, `{}` every namespace, otherwise it matches Namespace labels.
 */
export function prometheusSelects(prometheus: PrometheusResource, monitor: Monitor, namespaces?: readonly KubeObject[]): Selection {
  const kind = monitor.kind;
  if (!isMonitorKind(kind) && kind !== 'ScrapeConfig') return { selected: false, reason: `kind ${String(kind)} is not a monitor` };
  const fields = selectorFields(kind);
  const who = `${prometheus.kind ?? 'Prometheus'} ${namespaceOf(prometheus)}/${nameOf(prometheus)}`;
  const selector = prometheus.spec?.[fields.selector];
  if (!selector) return { selected: false, reason: `${who} has no ${fields.selector} (a missing selector matches no ${kind})` };
  if (!matchesLabels(selector, labelsOf(monitor)))
    return { selected: false, reason: `${who}'s ${fields.selector} ${describeSelector(selector)} does not match the labels ${describeLabels(labelsOf(monitor))}` };

  const monitorNamespace = namespaceOf(monitor);
  const namespaceSelector = prometheus.spec?.[fields.namespaceSelector];
  if (!namespaceSelector) {
    return monitorNamespace === namespaceOf(prometheus)
      ? { selected: true }
      : { selected: false, reason: `${who} has no ${fields.namespaceSelector}, so it looks only in its own namespace ${namespaceOf(prometheus)}, not ${monitorNamespace}` };
  }
  const inNamespace = selectorMatches(namespaceSelector, namespaceLabels(monitorNamespace, namespaces));
  if (inNamespace === true) return { selected: true };
  return inNamespace === 'unknown'
    ? { selected: 'unknown', reason: `the labels of namespace ${monitorNamespace} are not known, so whether ${who}'s ${fields.namespaceSelector} ${describeSelector(namespaceSelector)} admits it is unknown` }
    : { selected: false, reason: `${who}'s ${fields.namespaceSelector} ${describeSelector(namespaceSelector)} does not match namespace ${monitorNamespace}` };
}

export function describeLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(',') : '(none)';
}

/** The namespaces a monitor looks in (spec.namespaceSelector): every one, a list, or its own. */
export function monitorNamespaces(monitor: Monitor): { any: true } | { any: false; names: string[] } {
  const selector = monitor.spec?.namespaceSelector;
  if (selector?.any === true) return { any: true };
  if (selector?.matchNames?.length) return { any: false, names: selector.matchNames };
  return { any: false, names: [namespaceOf(monitor)] };
}

export function inMonitorNamespaces(monitor: Monitor, namespace: string): boolean {
  const scope = monitorNamespaces(monitor);
  return scope.any || scope.names.includes(namespace);
}
