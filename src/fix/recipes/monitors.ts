/**
 * Fixes of the monitors.* findings: JSON patches on the endpoint the finding names
 * (`/spec/endpoints/<i>/…`, guarded by a `test` of its port so that a reordered list is refused, not
 * mis-patched), on the Service port, or on the scrape class; a merge patch of the monitor's labels.
 */
import type { Monitor, MonitorEndpoint, PrometheusResource, Service } from '../../model/k8s.js';
import { namespaceOf } from '../../model/k8s.js';
import { normaliseDir, prometheusCertsMount } from '../../model/istio.js';
import { scraperSelects } from '../../model/scraper.js';
import { matchesLabels, monitorNamespaces, prometheusSelects } from '../../model/selectors.js';
import type { JsonPatchOp } from '../patch.js';
import { DEFAULT_PROM_CERTS, evidenceString, manual, type Manual, type Proposal, type Recipe, type RecipeContext } from './common.js';

interface EndpointCtx {
  monitor: Monitor;
  written: Monitor;
  index: number;
  field: 'endpoints' | 'podMetricsEndpoints';
  endpoint: MonitorEndpoint;
  /** /spec/<field>/<i> */
  pointer: string;
  /** the guard: the endpoint is still the one judged */
  guard: JsonPatchOp[];
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function endpointContext(ctx: RecipeContext): EndpointCtx | Manual {
  const monitor = ctx.inv.find(ctx.finding.subject) as Monitor | undefined;
  if (!monitor) return manual('the monitor is not in the inventory');
  const m = /^(endpoints|podMetricsEndpoints)\[(\d+)\]/.exec(evidenceString(ctx.finding, 'endpoint') ?? evidenceString(ctx.finding, 'field') ?? '');
  if (!m) return manual('the endpoint is not known');
  const written = ctx.inv.asWritten(monitor) as Monitor;
  const field = m[1] as EndpointCtx['field'];
  const index = Number(m[2]);
  const endpoint = (written.spec?.[field] as unknown[] | undefined)?.[index];
  if (!isMap(endpoint)) return manual('the endpoint is not an object');
  const pointer = `/spec/${field}/${index}`;
  const guard: JsonPatchOp[] = endpoint.port !== undefined ? [{ op: 'test', path: `${pointer}/port`, value: endpoint.port }] : [];
  return { monitor, written, index, field, endpoint: endpoint as MonitorEndpoint, pointer, guard };
}

const onEndpoint = (ops: (e: EndpointCtx, ctx: RecipeContext) => JsonPatchOp[] | Manual): Recipe => (ctx) => {
  const e = endpointContext(ctx);
  if ('manual' in e) return e;
  const result = ops(e, ctx);
  if ('manual' in result) return result;
  return { target: e.monitor, patchType: 'json', patch: [...e.guard, ...result] };
};

/** Where the Prometheus pods that select the monitor mount the certificates volume. */
function certsDir(ctx: RecipeContext, monitor: Monitor): string {
  const namespaces = ctx.inv.get('namespaces');
  for (const pp of ctx.inv.get('prometheusPods') ?? []) {
    if (pp.resource && prometheusSelects(pp.resource, monitor, namespaces).selected === false) continue;
    const mount = prometheusCertsMount(pp.pod, pp.prometheusContainer);
    if (mount) return normaliseDir(mount.mountPath);
  }
  return normaliseDir(DEFAULT_PROM_CERTS);
}

const tlsFiles = (dir: string) => ({ caFile: `${dir}/root-cert.pem`, certFile: `${dir}/cert-chain.pem`, keyFile: `${dir}/key.pem` });

/** Ops that make the endpoint's tlsConfig hold `values` (added to the one there, or a new one). */
function setTls(e: EndpointCtx, values: Record<string, unknown>): JsonPatchOp[] {
  const own = e.endpoint.tlsConfig;
  if (!isMap(own)) return [{ op: 'add', path: `${e.pointer}/tlsConfig`, value: values }];
  return Object.entries(values).map(([k, v]) => ({ op: 'add' as const, path: `${e.pointer}/tlsConfig/${k}`, value: v }));
}

const toHttp = (e: EndpointCtx): JsonPatchOp[] => [
  { op: 'add', path: `${e.pointer}/scheme`, value: 'http' },
  ...(e.endpoint.tlsConfig !== undefined ? [{ op: 'remove' as const, path: `${e.pointer}/tlsConfig` }] : []),
];

/** A scrape class of a Prometheus that selects the monitor names the files already. */
function classGivesFiles(ctx: RecipeContext, monitor: Monitor): boolean {
  return (ctx.inv.get('prometheusResources') ?? []).some((p) => prometheusSelects(p, monitor, ctx.inv.get('namespaces')).selected !== false
    && (p.spec?.scrapeClasses ?? []).some((c) => (c.name === monitor.spec?.scrapeClass || (!monitor.spec?.scrapeClass && c.default === true)) && c.tlsConfig?.certFile && c.tlsConfig?.keyFile));
}

/** The Service (and its port's index) a MONITOR_PORT_PROTOCOL finding names. */
function servicePortFix(ctx: RecipeContext): Proposal | Manual {
  const where = evidenceString(ctx.finding, 'service') ?? '';
  const port = (evidenceString(ctx.finding, 'port') ?? '').replace(/^"|"$/g, '');
  const m = /^Service ([^/\s]+)\/(\S+)$/.exec(where);
  if (!m) {
    // no Service declares the port: only the endpoint can say "HTTP/1.1"
    return onEndpoint((e) => [{ op: 'add', path: `${e.pointer}/enableHttp2`, value: false }])(ctx);
  }
  const service = ctx.inv.find({ kind: 'Service', namespace: m[1], name: m[2] }) as Service | undefined;
  if (!service) return manual('the Service is not in the inventory');
  const ports = ((ctx.inv.asWritten(service) as Service).spec?.ports ?? []) as Record<string, unknown>[];
  const index = ports.findIndex((p) => p.name === port || (p.name === undefined && String(p.port) === port));
  if (index < 0) return manual('the Service port is not found');
  return {
    target: service, patchType: 'json',
    patch: [{ op: 'test', path: `/spec/ports/${index}/port`, value: ports[index]!.port }, { op: 'add', path: `/spec/ports/${index}/appProtocol`, value: 'http' }],
  };
}

/** MONITOR_PORT_NOT_FOUND with a port number: the name of the matched Services' port of that number, when they agree on one. */
const portNameFix = onEndpoint((e, ctx) => {
  const port = evidenceString(ctx.finding, 'port') ?? '';
  if (!/^\d+$/.test(port) || e.field !== 'endpoints') return manual('which port was meant is a guess');
  const scope = monitorNamespaces(e.monitor);
  const selector = e.monitor.spec?.selector ?? {};
  const services = (ctx.inv.get('services') ?? []).filter((s) => (scope.any || scope.names.includes(namespaceOf(s))) && matchesLabels(selector, s.metadata?.labels ?? {}));
  const names = new Set(services.flatMap((s) => (s.spec?.ports ?? []).filter((p) => String(p.port) === port || String(p.targetPort) === port).map((p) => p.name)));
  const [name] = [...names];
  if (names.size !== 1 || !name) return manual(`the matched Services have no single named port ${port}: name it, then use the name`);
  return [{ op: 'replace', path: `${e.pointer}/port`, value: name }];
});

/**
 * MONITOR_NOT_SELECTED: the labels a scraper's selector asks for, when that alone makes it selected:
 * a Prometheus or PrometheusAgent's serviceMonitorSelector/podMonitorSelector, or the rules of
 * another scraper (a VMAgent's serviceScrapeSelector/podScrapeSelector, a target allocator's).
 */
function selectLabels(ctx: RecipeContext): Proposal | Manual {
  const monitor = ctx.inv.find(ctx.finding.subject) as Monitor | undefined;
  if (!monitor) return manual('the monitor is not in the inventory');
  const namespaces = ctx.inv.get('namespaces');
  const relabel = (labels: Record<string, string>): Monitor => ({ ...monitor, metadata: { ...monitor.metadata, labels: { ...monitor.metadata?.labels, ...labels } } });
  const plain = (selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | null | undefined) =>
    selector && !selector.matchExpressions?.length && Object.keys(selector.matchLabels ?? {}).length ? selector.matchLabels! : undefined;
  const field = monitor.kind === 'PodMonitor' ? 'podMonitorSelector' : 'serviceMonitorSelector';
  for (const prometheus of ctx.inv.get('prometheusResources') ?? []) {
    const labels = plain((prometheus as PrometheusResource).spec?.[field] as never);
    if (labels && prometheusSelects(prometheus, relabel(labels), namespaces).selected === true) return { target: monitor, patchType: 'merge', patch: { metadata: { labels } } };
  }
  for (const selection of (ctx.inv.get('prometheusPods') ?? []).flatMap((pp) => (pp.selection ? [pp.selection] : []))) {
    for (const rule of selection.rules.filter((r) => r.kinds.includes(monitor.kind ?? ''))) {
      const labels = plain(rule.selector);
      if (labels && scraperSelects(selection, relabel(labels), namespaces).selected === true) return { target: monitor, patchType: 'merge', patch: { metadata: { labels } } };
    }
  }
  return manual("no scraper selects it by labels alone: its namespace, a missing selector or a scrape class is the cause (the finding's reasons say which)");
}

/** MONITOR_TLS_PATH_UNMOUNTED: the field set to the expected path, where it is written (the endpoint, or the scrape class). */
function tlsPathFix(ctx: RecipeContext): Proposal | Manual {
  const field = evidenceString(ctx.finding, 'field') ?? '';
  const expected = evidenceString(ctx.finding, 'expected');
  if (!expected) return manual('the expected path is unknown');
  const inClass = /^scrape class "([^"]*)" tlsConfig\.(caFile|certFile|keyFile)$/.exec(field);
  if (inClass) {
    for (const prometheus of ctx.inv.get('prometheusResources') ?? []) {
      const classes = ((ctx.inv.asWritten(prometheus) as PrometheusResource).spec?.scrapeClasses ?? []) as { name?: string }[];
      const j = classes.findIndex((c) => c.name === inClass[1]);
      if (j >= 0)
        return { target: prometheus, patchType: 'json', patch: [{ op: 'test', path: `/spec/scrapeClasses/${j}/name`, value: inClass[1] }, { op: 'replace', path: `/spec/scrapeClasses/${j}/tlsConfig/${inClass[2]}`, value: expected }] };
    }
    return manual('the scrape class is not in the inventory');
  }
  const own = /\.tlsConfig\.(caFile|certFile|keyFile)$/.exec(field);
  if (!own) return manual('the field is not known');
  return onEndpoint((e) => [{ op: 'replace', path: `${e.pointer}/tlsConfig/${own[1]}`, value: expected }])(ctx);
}

export const MONITOR_FIXES = {
  MONITOR_NOT_SELECTED: selectLabels,
  MONITOR_PORT_NOT_FOUND: portNameFix,
  MONITOR_TLS_FILES_MISSING: (ctx) => {
    if (evidenceString(ctx.finding, 'kind') === 'PodMonitor')
      return manual("a PodMonitor's tlsConfig cannot name files: the files go into a scrape class of the Prometheus resource (see the hint)");
    return onEndpoint((e) => {
      const files = tlsFiles(certsDir(ctx, e.monitor));
      const missing = (Array.isArray(ctx.finding.evidence.missing) ? ctx.finding.evidence.missing : []) as (keyof typeof files)[];
      const values: Record<string, unknown> = Object.fromEntries(missing.filter((k) => k in files).map((k) => [k, files[k]]));
      if (e.endpoint.tlsConfig?.insecureSkipVerify !== true) values.insecureSkipVerify = true;
      return setTls(e, values);
    })(ctx);
  },
  MONITOR_TLS_PATH_UNMOUNTED: tlsPathFix,
  MONITOR_VERIFY_SPIFFE: onEndpoint((e) => setTls(e, { insecureSkipVerify: true })),
  SCRAPE_CLASS_TLS_OVERRIDE: onEndpoint((e) => setTls(e, { insecureSkipVerify: true })),
  MONITOR_SCHEME_HTTP_ON_STRICT: onEndpoint((e, ctx) => {
    const ops: JsonPatchOp[] = [{ op: 'add', path: `${e.pointer}/scheme`, value: 'https' }];
    if (classGivesFiles(ctx, e.monitor)) return ops;
    if (e.field === 'podMetricsEndpoints') return manual("a PodMonitor's tlsConfig cannot name files: give the Prometheus a scrape class with the Istio files, then set scheme: https");
    const own = e.endpoint.tlsConfig ?? {};
    const files = tlsFiles(certsDir(ctx, e.monitor));
    const values: Record<string, unknown> = Object.fromEntries(Object.entries(files).filter(([k]) => !(own as Record<string, unknown>)[k]));
    if (own.insecureSkipVerify !== true) values.insecureSkipVerify = true;
    return [...ops, ...setTls(e, values)];
  }),
  MONITOR_TLS_ON_PLAINTEXT: onEndpoint(toHttp),
  MONITOR_MERGED_METRICS_PORT: onEndpoint(toHttp),
  MONITOR_PORT_PROTOCOL: servicePortFix,
} satisfies Record<string, Recipe>;
