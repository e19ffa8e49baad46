/**
 * What a scrape target's inbound side accepts: the mTLS mode Istio resolves for a workload port from
 * PeerAuthentications (pilot's ComposePeerAuthentication), and whether the workload has a sidecar
 * at all. Shared by the monitors.* checks, the simulator (which serves each pod in its mode) and the
 * probes (which explain what they see).
 */
import type { KubeObject, PeerAuthentication, Pod, PodTemplate, ServicePort } from './k8s.js';
import { annotationsOf, labelsOf, nameOf, namespaceOf } from './k8s.js';
import { ANNOTATION, LABEL, injectionBlocker, trafficCapture, type InjectionBlocker } from './istio.js';
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
function isAdmittedPod(object: KubeObject): boolean {
  return object.kind === 'Pod' && (object.status !== undefined || object.metadata?.uid !== undefined || ANNOTATION.status in (object.metadata?.annotations ?? {}));
}

const BLOCKER_REASONS: Record<InjectionBlocker, (namespace: string) => string> = {
  'inject-false': () => 'its pods say sidecar.istio.io/inject: "false"',
  'host-network': () => 'it uses hostNetwork, where Istio injects no sidecar',
  'namespace-disabled': (ns) => `namespace ${ns} is labelled istio-injection=disabled`,
  'annotation-only': (ns) => `namespace ${ns} does not enable injection, and the sidecar.istio.io/inject annotation alone does not trigger it (it must be a label)`,
  'not-enabled': (ns) => `neither namespace ${ns} nor its pods are labelled for sidecar injection`,
};

/**
 * Whether a target workload's pods have an istio-proxy sidecar: an admitted pod has it or not; a
 * manifest's pods get it by the injector's rules (istio.ts `injectionBlocker`), which need the
 * namespace's labels unless the pods themselves ask for injection.
 */
export function sidecarVerdict(object: KubeObject, template: PodTemplate, namespaceObject: KubeObject | undefined): SidecarVerdict {
  if (hasSidecar(template.spec)) return { sidecar: true, reason: 'it has an istio-proxy container' };
  if (isAdmittedPod(object)) return { sidecar: false, reason: 'the pod runs without an istio-proxy container' };
  const pod: Pod = { metadata: template.metadata, spec: template.spec };
  const namespace = namespaceOf(object);
  const blocker = injectionBlocker(pod, namespaceObject ? labelsOf(namespaceObject) : undefined);
  if (blocker) return { sidecar: false, reason: BLOCKER_REASONS[blocker](namespace) };
  if (namespaceObject) return { sidecar: true, reason: `namespace ${namespace} injects its pods` };
  const podLabels = labelsOf(pod);
  if (podLabels[LABEL.inject] === 'true' || podLabels[LABEL.revision] !== undefined) return { sidecar: true, reason: 'its pods are labelled for injection' };
  return { sidecar: 'unknown', reason: `namespace ${namespace} is not among the inputs, so whether it injects sidecars is unknown` };
}

/**
 * Whether the sidecar intercepts inbound traffic to a port: never the proxy's own plain-text ports,
 * and not when the pod captures no inbound ports ("" in includeInboundPorts or INBOUND_CAPTURE_PORTS),
 * lists others, or excludes this one.
 */
export function inboundCaptured(template: PodTemplate, port: number): boolean {
  if (PROXY_OWN_INBOUND_PORTS.includes(port)) return false;
  const pod: Pod = { metadata: template.metadata, spec: template.spec };
  const list = (text: string | null | undefined) => (text ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (list(annotationsOf(pod)[EXCLUDE_INBOUND_PORTS]).includes(String(port))) return false;
  const include = trafficCapture(pod, 'inbound');
  if (include === null || include.trim() === '*') return true;
  return list(include).includes(String(port));
}

const EXCLUDE_INBOUND_PORTS = 'traffic.sidecar.istio.io/excludeInboundPorts';
/** istio-init always excludes these: merged metrics, health, Envoy's own stats. */
const PROXY_OWN_INBOUND_PORTS = [15020, 15021, 15090];

/** Port-name prefixes Istio's protocol.Parse knows (pkg/config/protocol); anything else is sniffed. */
const NAMED_PROTOCOLS: Record<string, string> = {
  http: 'HTTP', http2: 'HTTP2', http_proxy: 'HTTP_PROXY', grpc: 'GRPC', https: 'HTTPS', tls: 'TLS',
  tcp: 'TCP', udp: 'UDP', mongo: 'Mongo', redis: 'Redis', mysql: 'MySQL',
};
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-Web']);

/**
 * The protocol Istio gives a Service port (pilot's kube.ConvertProtocol): appProtocol wins over the
 * name (with Kubernetes' kubernetes.io/h2c, ws, wss), then the part before the first `-`,
 * case-insensitively; `grpc-web` is whole. An unknown prefix is 'auto' (protocol sniffing).
 */
export function istioPortProtocol(port: ServicePort): string {
  if (port.protocol?.toUpperCase() === 'UDP') return 'UDP';
  const name = port.appProtocol ?? port.name ?? '';
  const standard: Record<string, string> = { 'kubernetes.io/h2c': 'HTTP2', 'kubernetes.io/ws': 'HTTP', 'kubernetes.io/wss': 'HTTPS' };
  if (port.appProtocol && standard[port.appProtocol]) return standard[port.appProtocol]!;
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-Web';
  return NAMED_PROTOCOLS[name.split('-')[0]!.toLowerCase()] ?? 'auto';
}

/** Whether Istio terminates the port with its HTTP chain (an HTTP connection manager), not as TCP. */
export function isIstioHttpPort(port: ServicePort): boolean {
  return HTTP_PROTOCOLS.has(istioPortProtocol(port));
}
