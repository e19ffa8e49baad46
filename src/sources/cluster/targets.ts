/**
 * What the monitors point at, live: the Services their selectors match, the EndpointSlices of those
 * Services (Endpoints on a server without discovery.k8s.io), and the running pods behind them (as
 * `workloads`). Every list carries the monitor's or the Service's selector, so the number of
 * requests follows the number of monitors and namespaces, not the number of Services or pods
 * (beyond the pages of a long list).
 */
import type { TargetWorkload } from '../../model/inventory.js';
import type { EndpointSlice, KubeObject, LabelSelector, Monitor, Pod, Service } from '../../model/k8s.js';
import { labelsOf, nameOf, namespaceOf } from '../../model/k8s.js';
import { monitorNamespaces } from '../../model/selectors.js';
import { RESOURCES, type ApiResource, type ItemTransform, type ListQuery } from './api.js';
import { podSlimmer } from './slim.js';
import type { ClusterReader } from './reader.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * A LabelSelector as a `labelSelector=` query; undefined when it cannot be said (an unknown
 * operator: the API server would have rejected such a monitor, and it selects nothing).
 */
function labelSelectorQuery(selector: LabelSelector | undefined): string | undefined {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = `(${(e.values ?? []).join(',')})`;
    const part = { In: `${e.key} in ${values}`, NotIn: `${e.key} notin ${values}`, Exists: e.key, DoesNotExist: `!${e.key}` }[e.operator];
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return parts.join(',');
}

interface ScopedQuery {
  namespace: string | undefined;
  query: ListQuery;
}

/** Lists every distinct (namespace, query) once, in parallel, and merges the objects by identity. */
async function listEach<T extends KubeObject>(reader: ClusterReader, resource: ApiResource, queries: ScopedQuery[], skipped: string, transform?: ItemTransform<T>): Promise<T[]> {
  const distinct = new Map(queries.map((q) => [`${q.namespace ?? '*'}|${q.query.labelSelector ?? ''}|${q.query.fieldSelector ?? ''}`, q]));
  const lists = await Promise.all([...distinct.values()].map((q) => reader.list<T>(resource, q.namespace, q.query, skipped, transform)));
  const byIdentity = new Map<string, T>();
  for (const o of lists.flat()) byIdentity.set(`${namespaceOf(o)}/${nameOf(o)}`, o);
  return [...byIdentity.values()];
}

/** A monitor's selector in each namespace it looks at (every namespace: one cluster-wide list). */
function monitorQueries(monitors: readonly Monitor[], extra: ListQuery = {}): ScopedQuery[] {
  return monitors.flatMap((m) => {
    const labelSelector = labelSelectorQuery(m.spec?.selector);
    if (labelSelector === undefined) return [];
    const scope = monitorNamespaces(m);
    const namespaces = scope.any ? [undefined] : scope.names;
    return namespaces.map((namespace) => ({ namespace, query: { ...extra, ...(labelSelector ? { labelSelector } : {}) } }));
  });
}

export function listServices(reader: ClusterReader, serviceMonitors: readonly Monitor[]): Promise<Service[]> {
  return listEach<Service>(reader, RESOURCES.services, monitorQueries(serviceMonitors), 'the checks of the Services the ServiceMonitors select (monitors.*, targets.*)');
}

export async function listEndpointSlices(reader: ClusterReader, services: readonly Service[]): Promise<EndpointSlice[]> {
  const skipped = 'the endpoints of the monitored Services (targets.*)';
  const byNamespace = new Map<string, string[]>();
  for (const s of services) byNamespace.set(namespaceOf(s), [...(byNamespace.get(namespaceOf(s)) ?? []), nameOf(s)]);
  const slices = await Promise.all(
    [...byNamespace].map(([namespace, names]) =>
      reader.listIfServed<EndpointSlice>(RESOURCES.endpointSlices, namespace, { labelSelector: `${SERVICE_NAME_LABEL} in (${names.join(',')})` }, skipped),
    ),
  );
  if (slices.every((s) => s !== undefined)) return slices.flat();
  // A server without discovery.k8s.io/v1 (before Kubernetes 1.21): read the Endpoints of each Service.
  const endpoints = await Promise.all(services.map((s) => reader.get<Endpoints>(RESOURCES.endpoints, namespaceOf(s), nameOf(s), skipped)));
  return endpoints.flatMap((e) => (e ? endpointsToSlices(e) : []));
}

export async function listTargetPods(reader: ClusterReader, services: readonly Service[], podMonitors: readonly Monitor[]): Promise<TargetWorkload[]> {
  const skipped = 'the checks of the monitored pods (sidecar and mTLS mode of each target)';
  const running = { fieldSelector: 'status.phase=Running' };
  // one slimmer for every list of this run: replicas listed by different queries share their parts too
  const slimPod = podSlimmer();
  const [behindServices, monitored] = await Promise.all([
    Promise.all(unionQueries(services).map(async ({ namespace, labelSelector, keys, selectors }) => {
      const pods = await reader.list<Pod>(RESOURCES.pods, namespace, { ...running, labelSelector }, skipped, slimPod);
      // the selectors of a group have the same keys: a pod matches one of them exactly when its values
      // for those keys are one selector's (a lookup, not every selector tried on every pod)
      const wanted = new Set(selectors.map((selector) => valuesKey(keys, selector)));
      return pods.filter((p) => {
        const labels = labelsOf(p);
        return keys.every((k) => labels[k] !== undefined) && wanted.has(valuesKey(keys, labels));
      });
    })),
    listEach<Pod>(reader, RESOURCES.pods, monitorQueries(podMonitors, running), skipped, slimPod),
  ]);
  const byIdentity = new Map<string, Pod>();
  for (const pod of [...behindServices.flat(), ...monitored]) byIdentity.set(`${namespaceOf(pod)}/${nameOf(pod)}`, pod);
  return [...byIdentity.values()].map((pod) => ({ object: pod, namespace: namespaceOf(pod), template: { metadata: pod.metadata, spec: pod.spec } }));
}

/**
 * One list per namespace and selector shape for the pods behind many Services: selectors on the
 * same keys become `key in (v1,v2,…)` (a superset, filtered here exactly), so a fleet of a hundred
 * Services costs one request, not a hundred.
 */
/** The values of `keys` in `labels`, as one string (JSON: no two value lists give the same one). */
const valuesKey = (keys: readonly string[], labels: Record<string, string>) => JSON.stringify(keys.map((k) => labels[k]));

function unionQueries(services: readonly Service[]): { namespace: string; labelSelector: string; keys: string[]; selectors: Record<string, string>[] }[] {
  const groups = new Map<string, { namespace: string; keys: string[]; selectors: Record<string, string>[] }>();
  for (const s of services) {
    const selector = s.spec?.selector;
    if (!selector || !Object.keys(selector).length) continue; // no selector: endpoints managed by hand
    const keys = Object.keys(selector).sort();
    const id = `${namespaceOf(s)}|${keys.join(',')}`;
    const group = groups.get(id) ?? { namespace: namespaceOf(s), keys, selectors: [] };
    group.selectors.push(selector);
    groups.set(id, group);
  }
  return [...groups.values()].map(({ namespace, keys, selectors }) => ({
    namespace,
    keys,
    selectors,
    labelSelector: keys.map((k) => `${k} in (${[...new Set(selectors.map((sel) => sel[k]))].join(',')})`).join(','),
  }));
}

interface Endpoints extends KubeObject {
  subsets?: {
    addresses?: { ip: string; targetRef?: { kind?: string; name?: string; namespace?: string } }[];
    notReadyAddresses?: { ip: string; targetRef?: { kind?: string; name?: string; namespace?: string } }[];
    ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
  }[];
}

/** The v1 Endpoints of a Service in EndpointSlice shape (one slice per subset), as the EndpointSlice mirroring controller would. */
function endpointsToSlices(endpoints: Endpoints): EndpointSlice[] {
  return (endpoints.subsets ?? []).map((subset, i) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${nameOf(endpoints)}-${i}`, namespace: namespaceOf(endpoints), labels: { [SERVICE_NAME_LABEL]: nameOf(endpoints) } },
    addressType: 'IPv4',
    endpoints: [
      ...(subset.addresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: true }, targetRef: a.targetRef })),
      ...(subset.notReadyAddresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: false }, targetRef: a.targetRef })),
    ],
    ports: subset.ports ?? [],
  }));
}
