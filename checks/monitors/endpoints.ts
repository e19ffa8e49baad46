/**
 * What the monitors.* checks share: loading both kinds of monitors, their endpoints as the operator
 * reads them, and each endpoint's effective TLS settings under the scrape class of every Prometheus
 * that selects the monitor (prometheus-operator `mergeSafeTLSConfigWithScrapeClass`).
 */
import type { CheckContext } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { KubeObject, Monitor, MonitorEndpoint, PrometheusResource, SafeTLSConfig, ScrapeClass } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { mergeTlsWithScrapeClass, scrapeClassFor } from '../../src/model/scrape-class.js';
import { prometheusSelects } from '../../src/model/selectors.js';

export { scrapeClassFor };

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
