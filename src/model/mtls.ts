/**
 * What a scrape target's inbound side accepts: the mTLS mode Istio resolves for a workload port from
 * PeerAuthentications (pilot's ComposePeerAuthentication), and whether the workload has a sidecar
 * at all. Shared by the monitors.* checks, the simulator (which serves each pod in its mode) and the
 * probes (which explain what they see).
 */
import type { KubeObject, PeerAuthentication, PodTemplate } from './k8s.js';
import { nameOf, namespaceOf } from './k8s.js';
import { ANNOTATION } from './istio.js';
import { hasSidecar } from './prometheus.js';
import type { Tristate } from './selectors.js';
import { matchesLabels } from './selectors.js';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

export const DEFAULT_MESH_ROOT_NAMESPACE = 'istio-system';

export interface ResolvedMtls {
  mode: MtlsMode;
  /** the policy that decided, in the user's terms */
  source: string;
}

/** UNSET (or absent, or a value Istio's validation would have refused) inherits from the parent. */
function explicitMode(mtls: { mode?: string } | undefined): MtlsMode | undefined {
  const mode = mtls?.mode?.toUpperCase();
  return mode === 'STRICT' || mode === 'PERMISSIVE' || mode === 'DISABLE' ? mode : undefined;
}

function isSelectorLess(pa: PeerAuthentication): boolean {
  return Object.keys(pa.spec?.selector?.matchLabels ?? {}).length === 0;
}

/** Istio keeps the oldest policy of a scope; manifests without timestamps keep their order. */
function oldest(policies: PeerAuthentication[]): PeerAuthentication | undefined {
  const created = (pa: PeerAuthentication) => Date.parse(String(pa.metadata?.creationTimestamp ?? '')) || 0;
  return [...policies].sort((a, b) => created(a) - created(b))[0];
}

const describe = (pa: PeerAuthentication, scope: string) => `PeerAuthentication ${namespaceOf(pa)}/${nameOf(pa)} (${scope})`;

/**
 * The mTLS mode of a workload's port, composed as istiod does: mesh-wide (a selector-less policy
 * in the root namespace), then namespace-wide (selector-less in the workload's namespace), then
 * the oldest workload policy whose selector matches the pod labels, then its `portLevelMtls` for
 * the target (container) port. Each level's UNSET inherits the level above; with no policy at all
 * the mode is PERMISSIVE, Istio's default.
 */
export function resolveMtlsMode(
  peerAuthentications: readonly PeerAuthentication[],
  rootNamespace: string,
  namespace: string,
  podLabels: Record<string, string>,
  port?: number,
): ResolvedMtls {
  const inNamespace = (ns: string) => peerAuthentications.filter((pa) => namespaceOf(pa) === ns);
  const mesh = oldest(inNamespace(rootNamespace).filter(isSelectorLess));
  const namespaceWide = namespace === rootNamespace ? undefined : oldest(inNamespace(namespace).filter(isSelectorLess));
  // Workload policies in the root namespace are ignored by istiod.
  const workload = namespace === rootNamespace
    ? undefined
    : oldest(inNamespace(namespace).filter((pa) => !isSelectorLess(pa) && matchesLabels(pa.spec!.selector!, podLabels)));

  let resolved: ResolvedMtls = { mode: 'PERMISSIVE', source: "Istio's default (no PeerAuthentication sets a mode)" };
  const levels: [PeerAuthentication | undefined, string][] = [[mesh, 'mesh-wide'], [namespaceWide, 'namespace-wide'], [workload, 'workload']];
  for (const [pa, scope] of levels) {
    const mode = pa && explicitMode(pa.spec?.mtls);
    if (pa && mode) resolved = { mode, source: describe(pa, scope) };
  }
  const portLevel = port !== undefined ? workload?.spec?.portLevelMtls?.[String(port)] : undefined;
  if (workload && portLevel) {
    const mode = explicitMode(portLevel);
    resolved = mode
      ? { mode, source: describe(workload, `port ${port}`) }
      : { mode: resolved.mode, source: `${describe(workload, `port ${port} UNSET`)}, inheriting ${resolved.source}` };
  }
  return resolved;
}

/** The mode alone: the function the simulator and probes import. */
export function mtlsModeFor(
  peerAuthentications: readonly PeerAuthentication[],
  rootNamespace: string,
  namespace: string,
  podLabels: Record<string, string>,
  port?: number,
): MtlsMode {
  return resolveMtlsMode(peerAuthentications, rootNamespace, namespace, podLabels, port).mode;
}

/**
 * The same, when the PeerAuthentications may be unknown (`undefined`: offline with none in the
 * manifests, or a forbidden list): the mode is then 'unknown', not Istio's default.
 */
export function mtlsModeOrUnknown(
  peerAuthentications: readonly PeerAuthentication[] | undefined,
  rootNamespace: string,
  namespace: string,
  podLabels: Record<string, string>,
  port?: number,
): MtlsMode | 'unknown' {
  return peerAuthentications ? mtlsModeFor(peerAuthentications, rootNamespace, namespace, podLabels, port) : 'unknown';
}

export interface SidecarVerdict {
  sidecar: Tristate;
  reason: string;
}

/** A pod as admission left it (live, or `kubectl get -o yaml` output): its containers are final. */
export function isAdmittedPod(object: KubeObject): boolean {
  return object.kind === 'Pod' && (object.status !== undefined || object.metadata?.uid !== undefined || ANNOTATION.status in (object.metadata?.annotations ?? {}));
}

/**
 * Whether a target workload's pods have an istio-proxy sidecar, by the default injection webhooks:
 * the namespace label `istio-injection=enabled` (or `istio.io/rev`), or the pod label
 * `sidecar.istio.io/inject: "true"` in a namespace without an injection label; a "false" label or
 * annotation, `istio-injection=disabled` and hostNetwork turn it off. The annotation alone does not
 * turn it on (the webhooks match labels).
 */
export function sidecarVerdict(object: KubeObject, template: PodTemplate, namespaceObject: KubeObject | undefined): SidecarVerdict {
  if (hasSidecar(template.spec)) return { sidecar: true, reason: 'it has an istio-proxy container' };
  if (isAdmittedPod(object)) return { sidecar: false, reason: 'the pod runs without an istio-proxy container' };
  if (template.spec?.hostNetwork) return { sidecar: false, reason: 'it uses hostNetwork, where Istio injects no sidecar' };
  const labels = template.metadata?.labels ?? {};
  const annotations = template.metadata?.annotations ?? {};
  if (labels[ANNOTATION.inject] === 'false') return { sidecar: false, reason: 'its pods are labelled sidecar.istio.io/inject: "false"' };
  if (annotations[ANNOTATION.inject] === 'false') return { sidecar: false, reason: 'its pods are annotated sidecar.istio.io/inject: "false"' };
  const namespace = namespaceOf(object);
  const namespaceLabels = namespaceObject?.metadata?.labels ?? {};
  if (namespaceLabels['istio-injection'] === 'disabled') return { sidecar: false, reason: `namespace ${namespace} is labelled istio-injection=disabled` };
  if (namespaceLabels['istio-injection'] === 'enabled' || namespaceLabels['istio.io/rev'])
    return { sidecar: true, reason: `namespace ${namespace} enables injection` };
  if (labels[ANNOTATION.inject] === 'true' || labels['istio.io/rev']) return { sidecar: true, reason: 'its pods are labelled for injection' };
  if (!namespaceObject) return { sidecar: 'unknown', reason: `namespace ${namespace} is not among the inputs, so whether it injects sidecars is unknown` };
  const annotationOnly = annotations[ANNOTATION.inject] === 'true' ? ' (the sidecar.istio.io/inject annotation alone does not trigger injection)' : '';
  return { sidecar: false, reason: `neither namespace ${namespace} nor its pods are labelled for sidecar injection${annotationOnly}` };
}

/**
 * Whether the sidecar intercepts inbound traffic to a port, by the pod's
 * traffic.sidecar.istio.io/includeInboundPorts ("" none, "*" all) and excludeInboundPorts.
 */
export function inboundCaptured(template: PodTemplate, port: number): boolean {
  const annotations = template.metadata?.annotations ?? {};
  const list = (text: string | undefined) => (text ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (list(annotations['traffic.sidecar.istio.io/excludeInboundPorts']).includes(String(port))) return false;
  const include = annotations[ANNOTATION.includeInbound];
  if (include === undefined || include.trim() === '*') return true;
  return list(include).includes(String(port));
}
