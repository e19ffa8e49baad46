/**
 * What the Istio injector adds to the metadata of every pod it injects, so that a pod template the
 * injector has not seen yet (offline) is judged as the pod it becomes: the labels of the injection
 * template (`security.istio.io/tlsMode`, `service.istio.io/canonical-name`,
 * `service.istio.io/canonical-revision`), the `istio.io/rev` of the revision, and the metrics-merging
 * rewrite of `prometheus.io/*` (pkg/kube/inject: applyPrometheusMerge; testdata/inject/*.injected).
 * Shared by the manifest source (templates as injected) and the simulator's injector.
 */
import type { KubeObject, ObjectMeta, PodTemplate } from './k8s.js';
import { labelsOf, nameOf } from './k8s.js';
import { ANNOTATION, LABEL } from './istio.js';
import { sidecarVerdict } from './mtls.js';
import { hasSidecar } from './prometheus.js';

export interface InjectorMetadataOptions {
  /** the workload's name (DeploymentMeta.Name): the canonical name when the pod has no app label */
  workloadName: string;
  /** the control-plane revision injecting the pod, when one is named (istio.io/rev on the namespace or pod) */
  revision?: string;
}

/** The pod's labels and annotations after injection (the template's `default` chains, kept values win). */
export function injectorMetadata(meta: ObjectMeta | undefined, options: InjectorMetadataOptions): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels = { ...(meta?.labels ?? {}) };
  const annotations = { ...(meta?.annotations ?? {}) };
  const mergeMetrics = annotations[ANNOTATION.mergeMetrics] !== 'false' && annotations['prometheus.io/scrape'] !== 'false';
  Object.assign(annotations, {
    'istio.io/rev': options.revision ?? 'default',
    ...(mergeMetrics ? { 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true' } : {}),
  });
  Object.assign(labels, {
    'security.istio.io/tlsMode': labels['security.istio.io/tlsMode'] ?? 'istio',
    // `| trunc 63 | trimAll "-_."` in the injection template (istio-discovery/files/injection-template.yaml)
    'service.istio.io/canonical-name': (labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels.app ?? options.workloadName).slice(0, 63).replace(/^[-_.]+|[-_.]+$/g, ''),
    'service.istio.io/canonical-revision': labels['service.istio.io/canonical-revision'] ?? labels['app.kubernetes.io/version'] ?? labels.version ?? 'latest',
    ...(options.revision !== undefined ? { [LABEL.revision]: labels[LABEL.revision] ?? options.revision } : {}),
  });
  return { labels, annotations };
}

/**
 * A manifest's pod template as the pods it makes will carry their metadata: unchanged unless the
 * injector will inject them (by its rules and the namespace's labels, when known), then with the
 * injector's labels and annotations. Templates that already have istio-proxy (hand-written, or
 * `istioctl kube-inject` output) are left as written.
 */
export function templateAsInjected(object: KubeObject, template: PodTemplate, namespaceObject: KubeObject | undefined): PodTemplate {
  if (hasSidecar(template.spec) || sidecarVerdict(object, template, namespaceObject).sidecar !== true) return template;
  const podLabels = template.metadata?.labels ?? {};
  const revision = podLabels[LABEL.revision] ?? (namespaceObject ? labelsOf(namespaceObject)[LABEL.revision] : undefined);
  const metadata = injectorMetadata(template.metadata, { workloadName: nameOf(object), ...(revision !== undefined ? { revision } : {}) });
  return { ...template, metadata: { ...template.metadata, ...metadata } };
}
