/**
 * Which Prometheus servers to judge, live: every Prometheus custom resource in scope and every
 * running pod of each (through its StatefulSet), then the pods of Prometheus run without the
 * operator (labels app.kubernetes.io/name=prometheus / app=prometheus, or --prometheus NAME).
 *
 * Each pod keeps the chain it came from, outermost first (resource podMetadata → StatefulSet
 * template → the pod as admitted), so the prometheus.* checks can name the layer where an
 * annotation was lost. A resource with no running pod is judged as the pod its StatefulSet (or the
 * operator) would make, not admitted, as offline.
 */
import { Unavailable } from '../../core/resources.js';
import type { PodLayer, PrometheusPod } from '../../model/inventory.js';
import type { KubeObject, Pod, PodTemplate, PrometheusResource } from '../../model/k8s.js';
import { labelsOf, nameOf, namespaceOf } from '../../model/k8s.js';
import { podFromPrometheusResource, prometheusContainerOf, statefulSetNameOf } from '../../model/prometheus.js';
import { RESOURCES, type ApiResource } from './api.js';
import type { ClusterReader } from './reader.js';
import { discoverScrapers } from './scrapers.js';

/** The label the operator puts on a Prometheus resource's StatefulSets and pods. */
const OPERATOR_NAME_LABEL = 'operator.prometheus.io/name';
const RUNNING = 'status.phase=Running';
const SKIPPED = 'the Prometheus checks (prometheus.*, certs.*)';

export interface PrometheusDiscovery {
  /** the custom resources in scope, or why they are unknown */
  resources: PrometheusResource[] | Unavailable;
  pods: PrometheusPod[] | Unavailable;
  /** the other scrapers' resources and configuration ConfigMaps (VMAgent, OpenTelemetryCollector, Alloy) */
  scraperObjects: KubeObject[];
}

export interface Scope {
  namespace?: string;
  /** --prometheus: a resource name, or a pod name when no operator is used */
  name?: string;
  /** --scraper KIND/NAME: the kind (Prometheus for --prometheus) */
  kind?: string;
}

export async function discoverPrometheus(reader: ClusterReader, scope: Scope): Promise<PrometheusDiscovery> {
  let resources: PrometheusResource[] | Unavailable;
  const prometheusKind = !scope.kind || scope.kind === 'Prometheus';
  try {
    // Prometheus and PrometheusAgent (agent mode, served from operator 0.64): both run a Prometheus server.
    const list = (resource: typeof RESOURCES.prometheuses | typeof RESOURCES.prometheusAgents, kind: string) =>
      !scope.kind || scope.kind === kind ? reader.listIfServed<PrometheusResource>(resource, scope.namespace, nameQuery(scope.name), SKIPPED) : Promise.resolve([]);
    const [servers, agents] = await Promise.all([list(RESOURCES.prometheuses, 'Prometheus'), list(RESOURCES.prometheusAgents, 'PrometheusAgent')]);
    resources = [...(servers ?? []), ...(agents ?? [])];
  } catch (error) {
    if (!(error instanceof Unavailable)) throw error;
    resources = error;
  }

  const pods: PrometheusPod[] = [];
  const failures: Unavailable[] = resources instanceof Unavailable ? [resources] : [];
  const attempt = async (fn: () => Promise<PrometheusPod[]>) => {
    try {
      pods.push(...(await fn()));
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      failures.push(error);
    }
  };

  const owned = Array.isArray(resources) ? resources : [];
  for (const [namespace, crs] of groupByNamespace(owned)) await attempt(() => operatorPods(reader, namespace, crs));
  const known = new Set(owned.map((cr) => `${namespaceOf(cr)}/${nameOf(cr)}`));
  if (prometheusKind && (!scope.name || !owned.length)) await attempt(() => plainPods(reader, scope, known));
  // VMAgent, OpenTelemetryCollector, Alloy: judged by the same checks
  const scrapers = await discoverScrapers(reader, scope);
  pods.push(...scrapers.pods);

  const judged = emptyAsUnavailable(resources, scope);
  if (pods.length) return { resources: judged, pods, scraperObjects: scrapers.objects };
  // A failed read is reported as such (ACCESS_DENIED, CLUSTER_UNREACHABLE): the Prometheus may well exist.
  if (failures.length) return { resources: judged, pods: failures[failures.length - 1]!, scraperObjects: scrapers.objects };
  const where = `${scope.kind && !prometheusKind ? `of kind ${scope.kind} ` : ''}${scope.name ? `named ${scope.name} ` : ''}${scope.namespace ? `in namespace ${scope.namespace}` : 'in any namespace'}`;
  reader.notFound(where, scope.namespace);
  return { resources: judged, pods: new Unavailable(`no Prometheus found ${where}`), scraperObjects: scrapers.objects };
}

function emptyAsUnavailable(resources: PrometheusResource[] | Unavailable, scope: Scope): PrometheusResource[] | Unavailable {
  if (resources instanceof Unavailable || resources.length) return resources;
  return new Unavailable(`no Prometheus custom resource ${scope.namespace ? `in namespace ${scope.namespace}` : 'in the cluster'}${scope.name ? ` named ${scope.name}` : ''}`);
}

function nameQuery(name: string | undefined) {
  return name ? { fieldSelector: `metadata.name=${name}` } : {};
}

function groupByNamespace<T extends KubeObject>(objects: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const o of objects) groups.set(namespaceOf(o), [...(groups.get(namespaceOf(o)) ?? []), o]);
  return groups;
}

const controllerOf = (o: KubeObject, kind?: string) =>
  o.metadata?.ownerReferences?.find((r) => (kind ? r.kind === kind : r.controller !== false) && r.name);

/** The pods of the Prometheus resources of one namespace: two lists, whatever the replica count. */
async function operatorPods(reader: ClusterReader, namespace: string, crs: PrometheusResource[]): Promise<PrometheusPod[]> {
  const selector = { labelSelector: `${OPERATOR_NAME_LABEL} in (${crs.map(nameOf).join(',')})` };
  const [statefulSets, running] = await Promise.all([
    reader.list<KubeObject>(RESOURCES.statefulSets, namespace, selector, SKIPPED),
    reader.list<Pod>(RESOURCES.pods, namespace, { ...selector, fieldSelector: RUNNING }, SKIPPED),
  ]);
  // A Prometheus and a PrometheusAgent may share a name: the controller's kind (else the StatefulSet name) tells them apart.
  const crOf = (o: KubeObject) => {
    const owner = crs.find((cr) => controllerOf(o, cr.kind)?.name === nameOf(cr));
    if (owner) return owner;
    const named = crs.filter((cr) => labelsOf(o)[OPERATOR_NAME_LABEL] === nameOf(cr));
    if (named.length <= 1) return named[0];
    return named.find((cr) => [nameOf(o), controllerOf(o, 'StatefulSet')?.name].some((n) => n?.startsWith(statefulSetNameOf(cr))));
  };
  const out: PrometheusPod[] = [];
  for (const cr of crs) {
    const resourceLayer: PodLayer = { kind: cr.kind as PodLayer['kind'], object: cr, podMetadata: cr.spec?.podMetadata };
    const sets = statefulSets.filter((s) => crOf(s) === cr);
    const pods = running.filter((p) => crOf(p) === cr);
    for (const pod of pods) {
      const set = sets.find((s) => nameOf(s) === controllerOf(pod, 'StatefulSet')?.name);
      out.push({
        ...livePod(pod),
        resource: cr,
        layers: [resourceLayer, ...(set ? [workloadLayer(set)] : []), podLayer(pod)],
      });
    }
    if (pods.length) continue;
    // No running replica: judge the pod its StatefulSet (else the operator) would make, before admission.
    const set = sets[0];
    const template = set ? templateOf(set) : undefined;
    out.push({
      subject: cr,
      namespace,
      pod: template ? podFromTemplate(template, namespace) : podFromPrometheusResource(cr),
      admitted: false,
      prometheusContainer: 'prometheus',
      resource: cr,
      layers: [resourceLayer, ...(set ? [workloadLayer(set)] : [])],
    });
  }
  return out;
}

/** Prometheus without the operator: pods by name (--prometheus) or by the well-known labels. */
async function plainPods(reader: ClusterReader, scope: Scope, operatorManaged: Set<string>): Promise<PrometheusPod[]> {
  const queries = scope.name
    ? [{ fieldSelector: `metadata.name=${scope.name},${RUNNING}` }]
    : [{ labelSelector: 'app.kubernetes.io/name=prometheus', fieldSelector: RUNNING }, { labelSelector: 'app=prometheus', fieldSelector: RUNNING }];
  const found = new Map<string, Pod>();
  for (const query of queries) {
    for (const pod of await reader.list<Pod>(RESOURCES.pods, scope.namespace, query, SKIPPED)) {
      const operatorName = labelsOf(pod)[OPERATOR_NAME_LABEL];
      if (operatorName && operatorManaged.has(`${namespaceOf(pod)}/${operatorName}`)) continue;
      if (!scope.name && !prometheusContainerOf(pod.spec)) continue; // e.g. an exporter that shares the label
      found.set(`${namespaceOf(pod)}/${nameOf(pod)}`, pod);
    }
  }
  const owners = new OwnerChains(reader);
  return Promise.all(
    [...found.values()].map(async (pod) => ({ ...livePod(pod), layers: [...(await owners.chainOf(pod)), podLayer(pod)] })),
  );
}

/** Controllers above a pod, outermost first; each distinct owner is read once, whatever the replicas. */
class OwnerChains {
  private readonly cache = new Map<string, Promise<KubeObject | undefined>>();
  constructor(private readonly reader: ClusterReader) {}

  async chainOf(object: KubeObject): Promise<PodLayer[]> {
    const ref = controllerOf(object);
    const resource = ref?.kind ? OWNER_RESOURCES[ref.kind] : undefined;
    if (!ref?.name || !resource) return [];
    const key = `${ref.kind}/${namespaceOf(object)}/${ref.name}`;
    let owner = this.cache.get(key);
    if (!owner) {
      owner = this.reader.get<KubeObject>(resource, namespaceOf(object), ref.name, SKIPPED).catch(() => undefined);
      this.cache.set(key, owner);
    }
    const found = await owner;
    return found ? [...(await this.chainOf(found)), workloadLayer(found)] : [];
  }
}

const OWNER_RESOURCES: Record<string, ApiResource> = {
  StatefulSet: RESOURCES.statefulSets,
  ReplicaSet: RESOURCES.replicaSets,
  Deployment: RESOURCES.deployments,
  DaemonSet: RESOURCES.daemonSets,
};

function livePod(pod: Pod): Pick<PrometheusPod, 'subject' | 'namespace' | 'pod' | 'admitted' | 'prometheusContainer'> {
  return {
    subject: pod,
    namespace: namespaceOf(pod),
    pod,
    admitted: true,
    prometheusContainer: prometheusContainerOf(pod.spec)?.name ?? pod.spec?.containers?.[0]?.name ?? 'prometheus',
  };
}

function templateOf(workload: KubeObject): PodTemplate | undefined {
  return (workload.spec as { template?: PodTemplate } | undefined)?.template;
}

function workloadLayer(workload: KubeObject): PodLayer {
  return { kind: workload.kind as PodLayer['kind'], object: workload, podMetadata: templateOf(workload)?.metadata };
}

function podLayer(pod: Pod): PodLayer {
  return { kind: 'Pod', object: pod, podMetadata: { labels: pod.metadata?.labels, annotations: pod.metadata?.annotations } };
}

function podFromTemplate(template: PodTemplate, namespace: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, ...template.metadata }, spec: template.spec };
}
