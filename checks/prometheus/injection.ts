/** Whether the Prometheus pod has, or will get, an istio-proxy sidecar: shared by the injection and ambient checks. */
import type { SidecarMissingCause } from '../../src/core/codes.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { injectionBlocker } from '../../src/model/istio.js';
import { hasSidecar } from '../../src/model/prometheus.js';
import { namespaceLabels } from '../../src/model/selectors.js';

/** The labels of namespace `name`, or undefined when the inputs do not hold that Namespace (unknown, not unlabelled). */
export function knownNamespaceLabels(namespaces: readonly KubeObject[] | undefined, name: string): Record<string, string> | undefined {
  const known = namespaceLabels(name, namespaces);
  return known.complete ? known.labels : undefined;
}

/**
 * Why the pod has no sidecar, when that is known. An admitted pod shows the outcome (the blocker, if
 * one is visible, names the cause); a manifest only shows whether injection is switched off or
 * cannot happen, and says nothing about a namespace the inputs do not hold.
 */
export function missingSidecarCause(pp: PrometheusPod, namespaces: readonly KubeObject[] | undefined): SidecarMissingCause | undefined {
  if (hasSidecar(pp.pod.spec)) return undefined; // admitted, or injected by hand (istioctl kube-inject)
  const blocker = injectionBlocker(pp.pod, knownNamespaceLabels(namespaces, pp.namespace));
  return pp.admitted ? (blocker ?? 'no-istio-proxy') : blocker;
}

/**
 * Whether the pod will run with a sidecar. Unlike missingSidecarCause this does not give an unknown
 * namespace the benefit of the doubt: it is taken as unlabelled, so only the pod's own labels inject.
 */
export function runsWithSidecar(pp: PrometheusPod, namespaces: readonly KubeObject[] | undefined): boolean {
  if (hasSidecar(pp.pod.spec)) return true;
  return !pp.admitted && injectionBlocker(pp.pod, knownNamespaceLabels(namespaces, pp.namespace) ?? {}) === undefined;
}
