/**
 * The sources of a run, in order: each one that applies to the options adds providers to the store
 * (a later source overrides an earlier one for the same resource, so --certs-dir beats the pod).
 * Heavy sources import their dependencies lazily, so an offline run never loads the Kubernetes client.
 */
import type { DoctorOptions } from '../core/options.js';
import { isOffline } from '../core/options.js';
import type { Providers, ResourceStore } from '../core/resources.js';
import { manifestProviders, parseManifestInputs, readManifestFiles } from './manifests.js';
import { certsDirSource, meshRootFileSource } from './cert-files.js';
import { prometheusApiProviders } from '../probes/prometheus-api.js';
import { rawScrapeProviders } from './raw-scrape-configs.js';

export interface SourceModule {
  name: string;
  applies(options: DoctorOptions): boolean;
  providers(options: DoctorOptions, store: ResourceStore): Promise<Providers> | Providers;
}

const manifestSource: SourceModule = {
  name: 'manifests',
  applies: (o) => o.filenames.length > 0,
  providers: (o, store) => manifestProviders(store, parseManifestInputs(readManifestFiles(o.filenames, o.stdin)), { namespace: o.namespace, name: o.prometheus, kind: o.scraperKind }),
};

const clusterSource: SourceModule = {
  name: 'cluster',
  applies: (o) => !isOffline(o),
  providers: async (o, store) => (await import('./cluster/index.js')).clusterProviders(o, store),
};

/**
 * Prometheus's HTTP API: --prometheus-url (offline too), else through the cluster's proxy. Always
 * applies, so that offline without a URL its checks are skipped with that reason.
 */
const prometheusApiSource: SourceModule = {
  name: 'prometheus-api',
  applies: () => true,
  providers: (o, store) => prometheusApiProviders(o, store),
};

/** The live probe's targets and results (--target, the monitors' endpoints); lazy, so a run without probe checks makes no connection. */
const probeSource: SourceModule = {
  name: 'probe',
  applies: () => true,
  providers: async (o, store) => (await import('../probes/targets.js')).probeProviders(o, store),
};

/** Raw scrape_configs: from the manifests, or Prometheus's loaded configuration. */
const rawScrapeSource: SourceModule = {
  name: 'raw-scrape-configs',
  applies: () => true,
  providers: (_o, store) => rawScrapeProviders(store),
};

export const SOURCES: readonly SourceModule[] = [manifestSource, clusterSource, certsDirSource, meshRootFileSource, prometheusApiSource, probeSource, rawScrapeSource];
