/**
 * What raw scrape jobs (and ScrapeConfig objects) discover, live: the running pods and the Services
 * of the namespaces their `kubernetes_sd_configs` watch (every namespace for a config without
 * `namespaces`, as Prometheus's own discovery), so that their relabelling is evaluated over the pods
 * Prometheus sees. One list per namespace (or one cluster-wide list), whatever the number of jobs.
 */
import type { ResourceStore } from '../../core/resources.js';
import type { ResourceMap, TargetWorkload } from '../../model/inventory.js';
import type { Pod, Service } from '../../model/k8s.js';
import { namespaceOf } from '../../model/k8s.js';
import { sdNamespaces } from '../../model/kubernetes-sd.js';
import { RESOURCES, type ApiResource } from './api.js';
import type { ClusterReader } from './reader.js';

const SKIPPED = 'the targets of the raw scrape jobs (monitors.* on ScrapeJob and ScrapeConfig)';

/** The namespaces the raw jobs watch: undefined for none, `all` when one watches every namespace. */
async function watchedNamespaces(store: ResourceStore): Promise<string[] | 'all' | undefined> {
  const configs = await store.optional('scrapeConfigs');
  const scopes = (configs ?? []).flatMap((c) => c.jobs).flatMap((entry) => entry.job.kubernetesSd
    .filter((sd) => !sd.apiServer && sd.role !== 'node' && sd.role !== 'ingress')
    .map((sd) => sdNamespaces(sd, entry.scraper?.namespace)));
  if (!scopes.length) return undefined;
  if (scopes.includes('all')) return 'all';
  return [...new Set(scopes.flat() as string[])];
}

async function listWatched<T extends Pod | Service>(reader: ClusterReader, store: ResourceStore, resource: ApiResource, running: boolean): Promise<T[]> {
  const namespaces = await watchedNamespaces(store);
  if (!namespaces) return [];
  const query = running ? { fieldSelector: 'status.phase=Running' } : {};
  const lists = await Promise.all((namespaces === 'all' ? [undefined] : namespaces).map((ns) => reader.list<T>(resource, ns, query, SKIPPED)));
  return lists.flat();
}

declare module '../../model/inventory.js' {
  interface ResourceMap {
    /** live: the pods and Services the raw jobs' discovery watches, beyond those of the monitors */
    rawJobTargets: { services: Service[]; workloads: TargetWorkload[] };
  }
}

export async function rawJobTargets(reader: ClusterReader, store: ResourceStore): Promise<ResourceMap['rawJobTargets']> {
  const [pods, services] = await Promise.all([listWatched<Pod>(reader, store, RESOURCES.pods, true), listWatched<Service>(reader, store, RESOURCES.services, false)]);
  return { services, workloads: pods.map((pod) => ({ object: pod, namespace: namespaceOf(pod), template: { metadata: pod.metadata, spec: pod.spec } })) };
}
