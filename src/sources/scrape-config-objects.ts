/**
 * The operator's ScrapeConfig objects (monitoring.coreos.com/v1alpha1) as raw scrape jobs: each one
 * becomes the job the operator generates from it (src/model/scrape-config-crd.ts) under the scrape
 * class of the Prometheus that selects it (`scrapeConfigSelector` / `scrapeConfigNamespaceSelector`),
 * loaded by that Prometheus. The subject of its findings is the object itself (kind `ScrapeConfig`).
 *
 * The objects come from the manifests offline and from the API live (`scrapeconfigs`, tolerated
 * when the CRD is not installed); see the `scrapeConfigObjects` providers.
 */
import type { ResourceStore } from '../core/resources.js';
import type { PrometheusResource } from '../model/k8s.js';
import { nameOf, namespaceOf } from '../model/k8s.js';
import { scrapeClassFor } from '../model/scrape-class.js';
import { validateMonitor } from '../model/monitor-schema.js';
import { loadScrapeConfigObject, type ScrapeConfigObject } from '../model/scrape-config-crd.js';
import { prometheusSelects } from '../model/selectors.js';
import type { ScrapeConfigSource } from './raw-scrape-configs.js';

declare module '../model/inventory.js' {
  interface ResourceMap {
    /** the operator's ScrapeConfig objects */
    scrapeConfigObjects: ScrapeConfigObject[];
  }
}

const sameObject = (a: PrometheusResource, b: PrometheusResource | undefined) =>
  !!b && (a === b || (namespaceOf(a) === namespaceOf(b) && nameOf(a) === nameOf(b)));

/**
 * One configuration per ScrapeConfig object. The Prometheus that loads it is the first that selects
 * it (or may, where namespace labels are unknown); none selecting it, it is still judged (without a
 * scrape class or a certificates mount), and monitors.selected says that nothing loads it.
 */
export async function scrapeConfigObjectSources(store: ResourceStore): Promise<ScrapeConfigSource[] | undefined> {
  const objects = await store.optional('scrapeConfigObjects');
  if (!objects?.length) return undefined;
  const [resources, pods, namespaces] = await Promise.all([store.optional('prometheusResources'), store.optional('prometheusPods'), store.optional('namespaces')]);
  return objects.map((object): ScrapeConfigSource => {
    const selections = (resources ?? []).map((prometheus) => ({ prometheus, selected: prometheusSelects(prometheus, object, namespaces).selected }));
    const prometheus = (selections.find((s) => s.selected === true) ?? selections.find((s) => s.selected === 'unknown'))?.prometheus;
    const { scrapeClass, notFound } = prometheus ? scrapeClassFor(prometheus, object) : {};
    const loaded = loadScrapeConfigObject(object, scrapeClass);
    // as for monitors: a class the Prometheus lacks (or a named class with no Prometheus to define it)
    // leaves nothing to judge (monitors.selected says why); nor does a job the operator refuses to generate
    const judged = !notFound && (prometheus !== undefined || !object.spec?.scrapeClass) && !loaded.errors.length;
    const scraper = prometheus ? pods?.find((p) => sameObject(prometheus, p.resource)) : undefined;
    const subject = store.subjectOf(object);
    const source = `ScrapeConfig ${namespaceOf(object)}/${nameOf(object)}`;
    // an object the API server refuses (MONITOR_INVALID) never reaches Prometheus: its load errors would say it twice
    const valid = validateMonitor('ScrapeConfig', store.asWritten.get(object) ?? object).length === 0;
    // its own tlsConfig cannot name files: any file comes from the scrape class
    const tlsOrigin = scrapeClass?.tlsConfig ? `scrape class "${scrapeClass.name ?? ''}" tlsConfig` : 'tlsConfig';
    return {
      source, subject, ...(scraper ? { scraper } : {}),
      // the generated text's lines mean nothing to the user: an error is the object's
      errors: valid ? loaded.errors.map((e) => ({ ...e, line: subject.line ?? 1 })) : [],
      jobs: !judged ? [] : loaded.jobs.map((job) => ({ job, source, subject, tlsOrigin, ...(scraper ? { scraper } : {}) })),
    };
  });
}
