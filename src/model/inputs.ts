/**
 * Partial inputs (CONTRACT.md, "What the doctor reads"): manifests are rarely the whole cluster, so a
 * check may say that something is missing in a namespace only when the inputs speak about that
 * namespace. Live, every namespace is known.
 */
import type { KubeObject } from './k8s.js';
import { nameOf } from './k8s.js';

/** Kinds that live in no namespace: their (absent) namespace says nothing about `default`. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'StorageClass', 'PriorityClass', 'IngressClass', 'RuntimeClass', 'APIService', 'CSIDriver', 'GatewayClass', 'ClusterIssuer',
]);

/** Kinds that only point elsewhere: a monitor in a namespace does not show what else lives there. */
const POINTERS = new Set(['ServiceMonitor', 'PodMonitor', 'Probe', 'ScrapeConfig', 'VMServiceScrape', 'VMPodScrape', 'PrometheusRule']);

/**
 * The namespaces the manifests speak about: those with a Namespace object, and those holding a
 * namespaced object other than a monitor. An object without metadata.namespace is in `default`, as
 * kubectl applies it.
 */
export function namespacesAmongInputs(objects: readonly KubeObject[]): Set<string> {
  const known = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Namespace') known.add(nameOf(o));
    else if (!CLUSTER_SCOPED.has(o.kind ?? '') && !POINTERS.has(o.kind ?? '')) known.add(o.metadata?.namespace ?? 'default');
  }
  return known;
}
