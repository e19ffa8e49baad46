/**
 * What the monitors.* checks share: loading both kinds of monitors, their endpoints as the operator
 * reads them, and each endpoint's effective TLS settings under the scrape class of every Prometheus
 * that selects the monitor (prometheus-operator `mergeSafeTLSConfigWithScrapeClass`).
 */
import type { CheckContext } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { KubeObject, Monitor, MonitorEndpoint, PrometheusResource, SafeTLSConfig, ScrapeClass } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { prometheusSelects } from '../../src/model/selectors.js';

/** Both kinds of monitors; unavailable only when neither list could be read. */
export async function loadMonitors(ctx: CheckContext): Promise<Monitor[]> {
  const [serviceMonitors, podMonitors] = await Promise.all([ctx.tryGet('serviceMonitors'), ctx.tryGet('podMonitors')]);
  if (!serviceMonitors && !podMonitors) throw new Unavailable('neither ServiceMonitors nor PodMonitors could be read');
  return [...(serviceMonitors ?? []), ...(podMonitors ?? [])];
}

export interface EndpointRef {
  index: number;
  /** `endpoints[0]` or `podMetricsEndpoints[0]`, as findings name it */
  path: string;
  endpoint: MonitorEndpoint;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The endpoints of a monitor; entries that are not objects (MONITOR_INVALID says so) are left out. */
export function endpointsOf(monitor: Monitor): EndpointRef[] {
  const field = monitor.kind === 'PodMonitor' || monitor.kind === 'VMPodScrape' ? 'podMetricsEndpoints' : 'endpoints';
  const list = monitor.spec?.[field];
  if (!Array.isArray(list)) return [];
  return list.flatMap((endpoint, index) => (isObject(endpoint) ? [{ index, path: `${field}[${index}]`, endpoint: endpoint as MonitorEndpoint }] : []));
}

/** The scheme Prometheus uses: http unless the endpoint says https (the CRD allows upper case). */
export function schemeOf(endpoint: MonitorEndpoint): 'http' | 'https' {
  return String(endpoint.scheme ?? 'http').toLowerCase() === 'https' ? 'https' : 'http';
}

export const label = (o: KubeObject) => `${o.kind ?? 'Object'} ${namespaceOf(o)}/${nameOf(o)}`;

/** The scrape class a Prometheus applies to a monitor: the one it names, else the default class. */
export function scrapeClassFor(prometheus: PrometheusResource, monitor: Monitor): { scrapeClass?: ScrapeClass; notFound?: string } {
  const classes = prometheus.spec?.scrapeClasses ?? [];
  const named = monitor.spec?.scrapeClass;
  if (typeof named === 'string' && named) {
    const scrapeClass = classes.find((c) => c.name === named);
    return scrapeClass ? { scrapeClass } : { notFound: named };
  }
  return { scrapeClass: classes.find((c) => c.default === true) };
}

const isEmptyTls = (tls: SafeTLSConfig | undefined) => !isObject(tls) || Object.keys(tls).length === 0;
const hasRef = (ref: unknown) => isObject(ref) && Object.keys(ref).length > 0;

/**
 * The operator's merge: a monitor without a tlsConfig of its own takes the class's whole; one with
 * its own keeps it, and gets only caFile, certFile and keyFile from the class, each where it sets
 * neither the file nor a Secret/ConfigMap reference. insecureSkipVerify is never inherited then.
 */
function mergeTlsWithScrapeClass(own: SafeTLSConfig | undefined, scrapeClass: ScrapeClass | undefined): SafeTLSConfig | undefined {
  const fromClass = scrapeClass?.tlsConfig;
  if (isEmptyTls(own)) return fromClass;
  if (!fromClass) return own;
  const merged: SafeTLSConfig = { ...own };
  if (!merged.caFile && !hasRef(merged.ca) && fromClass.caFile) merged.caFile = fromClass.caFile;
  if (!merged.certFile && !hasRef(merged.cert) && fromClass.certFile) merged.certFile = fromClass.certFile;
  if (!merged.keyFile && !hasRef(merged.keySecret) && fromClass.keyFile) merged.keyFile = fromClass.keyFile;
  return merged;
}

/** One way a monitor is turned into scrape jobs: by a Prometheus that selects it (or by none known). */
export interface MonitorView {
  prometheus?: PrometheusResource;
  scrapeClass?: ScrapeClass;
}

/**
 * The Prometheus resources that (may) select the monitor, with their scrape class. When none is
 * known to, the monitor is judged on its own, unless it names a scrape class nobody defines here.
 */
export function viewsOf(monitor: Monitor, prometheuses: readonly PrometheusResource[] | undefined, namespaces: readonly KubeObject[] | undefined): MonitorView[] {
  const views = (prometheuses ?? [])
    .filter((p) => prometheusSelects(p, monitor, namespaces).selected !== false)
    .flatMap((prometheus): MonitorView[] => {
      const { scrapeClass, notFound } = scrapeClassFor(prometheus, monitor);
      return notFound ? [] : [{ prometheus, scrapeClass }];
    });
  if (views.length) return views;
  return monitor.spec?.scrapeClass ? [] : [{}];
}

export interface EffectiveEndpoint extends EndpointRef {
  scheme: 'http' | 'https';
  /** the TLS settings Prometheus gets, after the scrape-class merge */
  tls: SafeTLSConfig | undefined;
  view: MonitorView;
}

/** Each endpoint under each view: what the generated scrape job would hold. */
export function effectiveEndpoints(monitor: Monitor, views: readonly MonitorView[]): EffectiveEndpoint[] {
  return views.flatMap((view) =>
    endpointsOf(monitor).map((ref) => ({
      ...ref,
      scheme: schemeOf(ref.endpoint),
      tls: mergeTlsWithScrapeClass(isObject(ref.endpoint.tlsConfig) ? ref.endpoint.tlsConfig : undefined, view.scrapeClass),
      view,
    })),
  );
}

/** Reports each distinct finding once, however many Prometheus views or targets lead to it. */
export function onceEach(): (key: string) => boolean {
  const seen = new Set<string>();
  return (key) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}
