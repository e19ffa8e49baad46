/** Whether the Prometheus pod has, or will get, an istio-proxy sidecar: shared by the injection and ambient checks. */
import type { SidecarMissingCause } from '../../src/core/codes.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, injectionBlocker } from '../../src/model/istio.js';
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

/** Whether the pod runs with a sidecar, giving an unknown namespace the benefit of the doubt (as SIDECAR_NOT_INJECTED does). */
export function getsSidecar(pp: PrometheusPod, namespaces: readonly KubeObject[] | undefined): boolean {
  return missingSidecarCause(pp, namespaces) === undefined;
}

/**
 * Whether the pod's traffic is redirected to its sidecar: only a pod the injector makes gets that
 * (istio-init's iptables, or Istio CNI's, which leaves istio-validation or just the status
 * annotation). A hand-written istio-proxy without istio-init (Istio 1.5's bundled Prometheus)
 * captures nothing, nor does interceptionMode NONE.
 */
export function getsTrafficCapture(pp: PrometheusPod, namespaces: readonly KubeObject[] | undefined): boolean {
  const pod = pp.pod;
  if (annotationsOf(pod)[INTERCEPTION_MODE] === 'NONE') return false;
  if (hasSidecar(pod.spec)) {
    const inits = pod.spec?.initContainers ?? [];
    return inits.some((c) => c.name === 'istio-init' || c.name === 'istio-validation') || ANNOTATION.status in annotationsOf(pod);
  }
  return getsSidecar(pp, namespaces);
}

const INTERCEPTION_MODE = 'sidecar.istio.io/interceptionMode';

/** Annotations that show the pod means to use the OUTPUT_CERTS recipe. */
const RECIPE_ANNOTATIONS = [ANNOTATION.proxyConfig, ANNOTATION.userVolumeMount, ANNOTATION.userVolume];

/**
 * A pod that will run without any sidecar (injection switched off, and no istio-proxy written by
 * hand) and shows no sign of the recipe (Istio's addon Prometheus as shipped): the missing recipe
 * parts follow from SIDECAR_NOT_INJECTED and are not reported again.
 */
export function withoutSidecarOrRecipe(pp: PrometheusPod, namespaces: readonly KubeObject[] | undefined): boolean {
  if (hasSidecar(pp.pod.spec) || getsSidecar(pp, namespaces)) return false;
  // The recipe written anywhere on the way to the pod (on the resource's own metadata, say) shows it is meant.
  const written = [annotationsOf(pp.pod), ...pp.layers.flatMap((l) => [annotationsOf(l.object), l.podMetadata?.annotations ?? {}])];
  return !written.some((annotations) => RECIPE_ANNOTATIONS.some((key) => annotations[key] !== undefined));
}
