/**
 * The operator's scrape classes (Prometheus `spec.scrapeClasses`), shared by monitors and ScrapeConfig
 * objects: which class applies to an object, and how its tlsConfig merges with the object's own
 * (prometheus-operator `mergeSafeTLSConfigWithScrapeClass`, pkg/prometheus/promcfg.go).
 */
import type { KubeObject, PrometheusResource, SafeTLSConfig, ScrapeClass } from './k8s.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The scrape class a Prometheus applies to a monitor or ScrapeConfig: the one it names, else the default class. */
export function scrapeClassFor(prometheus: PrometheusResource, object: KubeObject & { spec?: { scrapeClass?: unknown } }): { scrapeClass?: ScrapeClass; notFound?: string } {
  const classes = prometheus.spec?.scrapeClasses ?? [];
  const named = object.spec?.scrapeClass;
  if (typeof named === 'string' && named) {
    const scrapeClass = classes.find((c) => c.name === named);
    return scrapeClass ? { scrapeClass } : { notFound: named };
  }
  return { scrapeClass: classes.find((c) => c.default === true) };
}

const isEmptyTls = (tls: SafeTLSConfig | undefined) => !isObject(tls) || Object.keys(tls).length === 0;
const hasRef = (ref: unknown) => isObject(ref) && Object.keys(ref).length > 0;

/**
 * The operator's merge: an object without a tlsConfig of its own takes the class's whole; one with
 * its own keeps it, and gets only caFile, certFile and keyFile from the class, each where it sets
 * neither the file nor a Secret/ConfigMap reference. insecureSkipVerify is never inherited then.
 */
export function mergeTlsWithScrapeClass(own: SafeTLSConfig | undefined, scrapeClass: ScrapeClass | undefined): SafeTLSConfig | undefined {
  const fromClass = scrapeClass?.tlsConfig;
  if (isEmptyTls(own)) return fromClass;
  if (!fromClass) return own;
  const merged: SafeTLSConfig = { ...own };
  if (!merged.caFile && !hasRef(merged.ca) && fromClass.caFile) merged.caFile = fromClass.caFile;
  if (!merged.certFile && !hasRef(merged.cert) && fromClass.certFile) merged.certFile = fromClass.certFile;
  if (!merged.keyFile && !hasRef(merged.keySecret) && fromClass.keyFile) merged.keyFile = fromClass.keyFile;
  return merged;
}
