/**
 * How Istio reads a pod: the annotations of the OUTPUT_CERTS recipe, and where the certificates
 * volume is mounted in the sidecar and in the Prometheus container. Shared by the prometheus.*
 * checks (are they right?), the monitors.* checks (do the TLS paths point into the mount?), the
 * cluster source (where to read the files) and the simulator.
 */
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Container, Pod, Volume, VolumeMount } from './k8s.js';
import { prometheusContainerOf, sidecarOf } from './prometheus.js';

export const ANNOTATION = {
  proxyConfig: 'proxy.istio.io/config',
  userVolumeMount: 'sidecar.istio.io/userVolumeMount',
  userVolume: 'sidecar.istio.io/userVolume',
  inject: 'sidecar.istio.io/inject',
  status: 'sidecar.istio.io/status',
  includeOutbound: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  includeInbound: 'traffic.sidecar.istio.io/includeInboundPorts',
  mergeMetrics: 'prometheus.istio.io/merge-metrics',
  nativeSidecar: 'sidecar.istio.io/nativeSidecar',
  proxyImage: 'sidecar.istio.io/proxyImage',
} as const;

export const LABEL = {
  /** pod label the object-selector webhooks match (an annotation of the same name does not) */
  inject: 'sidecar.istio.io/inject',
  /** namespace (or pod) label choosing a control-plane revision */
  revision: 'istio.io/rev',
  namespaceInjection: 'istio-injection',
  dataplaneMode: 'istio.io/dataplane-mode',
} as const;

/** The files the sidecar writes into OUTPUT_CERTS (security/pkg/nodeagent/util/util.go). */
export const OUTPUT_FILES = ['root-cert.pem', 'cert-chain.pem', 'key.pem'] as const;

const annotations = (pod: Pod) => pod.metadata?.annotations ?? {};

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** proxy.istio.io/config: YAML (or JSON) mapping of ProxyConfig. */
export function parseProxyConfig(text: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    // YAML 1.1, as the injector reads it (sigs.k8s.io/yaml YAMLToJSON, go-yaml v2): `yes`, `on`
    // and `y` are booleans there, so `holdApplicationUntilProxyStarts: yes` holds and an unquoted
    // `DISABLE_ENVOY: on` is no string.
    value = parseYaml(text, { version: '1.1', logLevel: 'error' }); // warnings are no output of ours
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split('\n')[0]! };
  }
  if (value === null || value === undefined) return { ok: true, value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: `it is a ${Array.isArray(value) ? 'list' : typeof value}, not a mapping` };
  const config = value as Record<string, unknown>;
  const pm = config.proxyMetadata;
  if (pm !== undefined && pm !== null && (typeof pm !== 'object' || Array.isArray(pm)))
    return { ok: false, reason: 'proxyMetadata is not a mapping of names to values' };
  // The injector converts the YAML to JSON and unmarshals it into the ProxyConfig proto: proxyMetadata
  // is map<string, string> (an unquoted `DISABLE_ENVOY: true` fails) and the hold flag a BoolValue.
  const notString = Object.entries((pm ?? {}) as Record<string, unknown>).find(([, v]) => typeof v !== 'string');
  if (notString) return { ok: false, reason: `proxyMetadata.${notString[0]} is ${JSON.stringify(notString[1])}, not a string: quote it` };
  const hold = config.holdApplicationUntilProxyStarts;
  if (hold !== undefined && hold !== null && typeof hold !== 'boolean')
    return { ok: false, reason: `holdApplicationUntilProxyStarts is ${JSON.stringify(hold)}, not true or false` };
  return { ok: true, value: config };
}

/**
 * The fields of ProxyConfig (istio/api mesh/v1alpha1/proxy.proto, `message ProxyConfig`, read at
 * istio/api b8f8791d9653b2edc77a071d48887e582cfe84bf, July 2026), in their JSON names; the proto names
 * (snake_case) are accepted too, as protojson does. `parentShutdownDuration` is reserved there now but
 * was a field until Istio 1.18, so older annotations naming it are not flagged.
 */
export const PROXY_CONFIG_FIELDS: ReadonlySet<string> = new Set([
  'configPath', 'binaryPath', 'serviceCluster', 'tracingServiceName', 'drainDuration', 'parentShutdownDuration',
  'discoveryAddress', 'discoveryRefreshDelay', 'zipkinAddress', 'statsdUdpAddress', 'envoyMetricsServiceAddress',
  'proxyAdminPort', 'availabilityZone', 'controlPlaneAuthPolicy', 'customConfigFile', 'statNameLength', 'concurrency',
  'proxyBootstrapTemplatePath', 'interceptionMode', 'tracing', 'sds', 'envoyAccessLogService', 'envoyMetricsService',
  'proxyMetadata', 'runtimeValues', 'statusPort', 'extraStatTags', 'gatewayTopology', 'terminationDrainDuration',
  'meshId', 'readinessProbe', 'proxyStatsMatcher', 'holdApplicationUntilProxyStarts', 'caCertificatesPem', 'image',
  'privateKeyProvider', 'proxyHeaders', 'fileFlushInterval', 'fileFlushMinSizeKb', 'statsCompression', 'connectionSettings',
]);

const camelCase = (key: string) => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** The top-level keys of a ProxyConfig mapping that ProxyConfig does not have (the injector drops them). */
export function unknownProxyConfigFields(config: Record<string, unknown>): string[] {
  return Object.keys(config).filter((key) => !PROXY_CONFIG_FIELDS.has(key) && !PROXY_CONFIG_FIELDS.has(camelCase(key)));
}

/**
 * The ProxyConfig an injected sidecar runs with: the injector copies the merged config, annotation
 * included, into istio-proxy's PROXY_CONFIG env as JSON (pkg/kube/inject testdata).
 */
function injectedProxyConfig(pod: Pod): Record<string, unknown> | undefined {
  const text = sidecarOf(pod.spec)?.env?.find((e) => e.name === 'PROXY_CONFIG')?.value;
  if (!text) return undefined;
  const parsed = parseProxyConfig(text);
  return parsed.ok ? parsed.value : undefined;
}

/** The ProxyConfig of the proxy.istio.io/config annotation, when present and valid. */
function annotatedProxyConfig(pod: Pod): Record<string, unknown> | undefined {
  const text = annotations(pod)[ANNOTATION.proxyConfig];
  if (text === undefined) return undefined;
  const parsed = parseProxyConfig(text);
  return parsed.ok ? parsed.value : undefined;
}

function proxyMetadataValue(config: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = (config?.proxyMetadata as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** A proxyMetadata entry as the pod states it: the annotation, else the injected PROXY_CONFIG env. */
function proxyMetadataOf(pod: Pod, name: string): string | undefined {
  return proxyMetadataValue(annotatedProxyConfig(pod), name) ?? proxyMetadataValue(injectedProxyConfig(pod), name) ??
    sidecarOf(pod.spec)?.env?.find((e) => e.name === name)?.value;
}

/**
 * OUTPUT_CERTS as the running sidecar has it: its own env var (the injector turns every proxyMetadata
 * key into one), else its PROXY_CONFIG env. A third-party injector template without the env loop
 * leaves both empty even though the annotation names a folder (failure mode 3).
 */
export function sidecarOutputCertsDir(pod: Pod): string | undefined {
  const sidecar = sidecarOf(pod.spec);
  return sidecar?.env?.find((e) => e.name === 'OUTPUT_CERTS')?.value || proxyMetadataValue(injectedProxyConfig(pod), 'OUTPUT_CERTS') || undefined;
}

/**
 * holdApplicationUntilProxyStarts as the pod itself states it: the annotation, else the injected
 * PROXY_CONFIG (which carries the annotation's fields only, not the mesh default). Undefined when unset.
 */
export function podHoldApplicationUntilProxyStarts(pod: Pod): boolean | undefined {
  const own = (config: Record<string, unknown> | undefined) => (typeof config?.holdApplicationUntilProxyStarts === 'boolean' ? config.holdApplicationUntilProxyStarts : undefined);
  return own(annotatedProxyConfig(pod)) ?? own(injectedProxyConfig(pod));
}

/**
 * A classic istio-proxy container that holds the app: the injector puts it first with a postStart
 * hook `pilot-agent wait` when hold is on, whether the pod or the mesh default asked for it.
 */
export function isHeldByPostStart(pod: Pod): boolean {
  const sidecar = pod.spec?.containers?.find((c) => c.name === 'istio-proxy');
  const command = (sidecar?.lifecycle as { postStart?: { exec?: { command?: unknown } } } | undefined)?.postStart?.exec?.command;
  return Array.isArray(command) && command.includes('pilot-agent') && command.includes('wait');
}

/** istio-proxy is a native sidecar (an init container with restartPolicy Always): Kubernetes starts it before the app. */
export function isNativeSidecar(pod: Pod): boolean {
  return pod.spec?.initContainers?.some((c) => c.name === 'istio-proxy' && c.restartPolicy === 'Always') ?? false;
}

/**
 * sidecar.istio.io/userVolumeMount: a JSON list of mounts, or a map name → mount (the injection
 * template iterates `range $index, $value := fromJSON(...)` and emits `name: $index`).
 */
export function parseUserVolumeMount(text: string): Parsed<VolumeMount[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8 quotes the input in its message, line breaks and all: the reason stays one line
    return { ok: false, reason: `not JSON: ${(error as Error).message.replace(/\r?\n/g, '\\n')}` };
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as Record<string, unknown>).mountPath === 'string')
    return { ok: false, reason: 'it is a single mount object: wrap it in a list, [{…}]' };
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((v) => [undefined, v])
    : value && typeof value === 'object'
      ? Object.entries(value)
      : [];
  if (!entries.length) return { ok: false, reason: Array.isArray(value) || (value && typeof value === 'object') ? 'it names no volume mount' : `it is a ${value === null ? 'null' : typeof value}` };
  const mounts: VolumeMount[] = [];
  for (const [key, raw] of entries) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: `${key ?? 'an entry'} is not a volume mount object` };
    const m = raw as Record<string, unknown>;
    const name = key ?? m.name;
    if (typeof name !== 'string' || !name) return { ok: false, reason: 'a mount has no name' };
    if (typeof m.mountPath !== 'string' || !m.mountPath) return { ok: false, reason: `mount "${name}" has no mountPath` };
    mounts.push({ name, mountPath: m.mountPath, ...(typeof m.readOnly === 'boolean' ? { readOnly: m.readOnly } : {}) });
  }
  return { ok: true, value: mounts };
}

/**
 * sidecar.istio.io/userVolume: the volumes the injector adds to the pod for the sidecar, a JSON map
 * name → volume source (testdata/inject/user-volume.yaml) or a list of named volumes. Undefined when
 * absent or unreadable.
 */
export function userVolumes(pod: Pod): Volume[] | undefined {
  const text = annotations(pod)[ANNOTATION.userVolume];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(value)) return value.filter(isObject).filter((v) => typeof v.name === 'string') as Volume[];
  if (isObject(value)) return Object.entries(value).filter(([, v]) => isObject(v)).map(([name, v]) => ({ ...(v as object), name }) as Volume);
  return undefined;
}

/** OUTPUT_CERTS from the annotation's proxyMetadata, else from istio-proxy's env (an injected pod). */
export function outputCertsDir(pod: Pod): string | undefined {
  return proxyMetadataValue(annotatedProxyConfig(pod), 'OUTPUT_CERTS') || sidecarOutputCertsDir(pod);
}

/** The volume mounts the sidecar gets from userVolumeMount (undefined when absent or invalid). */
export function userVolumeMounts(pod: Pod): VolumeMount[] | undefined {
  const text = annotations(pod)[ANNOTATION.userVolumeMount];
  if (text === undefined) return undefined;
  const parsed = parseUserVolumeMount(text);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * Normalises a path for comparison as the kernel resolves it (Go's filepath.Clean: no doubled
 * slashes, `.` and `..` resolved) and without a trailing slash.
 */
export function normaliseDir(path: string): string {
  return posix.normalize(path).replace(/(.)\/$/, '$1');
}

/**
 * The certificates volume: the one the sidecar mounts at OUTPUT_CERTS (or, when the paths differ,
 * the first userVolumeMount), with the pod's volume definition when it exists.
 */
export function certsVolumeOf(pod: Pod): { name: string; sidecarMountPath: string; readOnly: boolean; volume?: Volume; onlyInUserVolume?: boolean } | undefined {
  const mounts = userVolumeMounts(pod) ?? sidecarOf(pod.spec)?.volumeMounts?.filter((m) => m.name && m.name !== 'istio-envoy') ?? [];
  const out = outputCertsDir(pod);
  const atOutput = out ? mounts.find((m) => m.mountPath && normaliseDir(m.mountPath) === normaliseDir(out)) : undefined;
  const mount = atOutput ?? (userVolumeMounts(pod) ? mounts[0] : undefined);
  if (!mount?.name || !mount.mountPath) return undefined;
  const declared = pod.spec?.volumes?.find((v) => v.name === mount.name);
  // A volume of the userVolume annotation exists once the injector has added it: for the sidecar only.
  const annotated = declared ? undefined : userVolumes(pod)?.find((v) => v.name === mount.name);
  return {
    name: mount.name, sidecarMountPath: mount.mountPath, readOnly: mount.readOnly === true,
    volume: declared ?? annotated, ...(annotated ? { onlyInUserVolume: true } : {}),
  };
}

/** Where the Prometheus container mounts the certificates volume (where Prometheus reads the files). */
export function prometheusCertsMount(pod: Pod, containerName?: string): { container: Container; mountPath: string; volume: string } | undefined {
  const volume = certsVolumeOf(pod);
  if (!volume) return undefined;
  const container = (containerName ? pod.spec?.containers?.find((c) => c.name === containerName) : undefined) ?? prometheusContainerOf(pod.spec);
  const mount = container?.volumeMounts?.find((m) => m.name === volume.name && !m.subPath);
  return container && mount?.mountPath ? { container, mountPath: mount.mountPath, volume: volume.name } : undefined;
}

/** Why the injector leaves a pod without a sidecar, as far as the pod and its namespace tell. */
export type InjectionBlocker = 'inject-false' | 'host-network' | 'namespace-disabled' | 'annotation-only' | 'not-enabled';

/**
 * Mirrors the injector's webhooks (mutatingwebhook.yaml) and `injectRequired` (inject.go): hostNetwork
 * pods and pods with inject "false" (label or annotation) are never injected; a namespace labelled
 * istio-injection=enabled or istio.io/rev injects; otherwise only the pod LABELS sidecar.istio.io/inject
 * "true" or istio.io/rev do, and istio-injection=disabled on the namespace blocks even those.
 * `namespaceLabels` undefined means the namespace is unknown: then nothing is claimed about it.
 */
export function injectionBlocker(pod: Pod, namespaceLabels: Record<string, string> | undefined): InjectionBlocker | undefined {
  const podLabels = pod.metadata?.labels ?? {};
  if (podLabels[LABEL.inject] === 'false' || annotations(pod)[ANNOTATION.inject] === 'false') return 'inject-false';
  if (pod.spec?.hostNetwork === true) return 'host-network';
  if (!namespaceLabels) return undefined;
  const injection = namespaceLabels[LABEL.namespaceInjection];
  if (injection === 'disabled') return 'namespace-disabled';
  if (injection === 'enabled' || namespaceLabels[LABEL.revision] !== undefined) return undefined;
  if (podLabels[LABEL.inject] === 'true' || podLabels[LABEL.revision] !== undefined) return undefined;
  return annotations(pod)[ANNOTATION.inject] === 'true' ? 'annotation-only' : 'not-enabled';
}

/**
 * The Istio version of the pod's proxy, from the istio-proxy image tag (`proxyv2:1.9.2`,
 * `proxyv2:1.20.3-distroless`, ASM's `1.22.5-asm.3`) or the proxyImage annotation; undefined when the
 * tag names no version (`latest`, a digest).
 */
export function proxyVersionOf(pod: Pod): { version: string; major: number; minor: number; patch: number } | undefined {
  const image = sidecarOf(pod.spec)?.image ?? annotations(pod)[ANNOTATION.proxyImage];
  const tag = image?.split('@')[0]?.match(/:([^:/]+)$/)?.[1];
  const m = tag?.match(/^v?(\d+)\.(\d+)\.(\d+)/);
  if (!m) return undefined;
  return { version: tag!, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * A traffic-capture setting as the pod states it: the annotation, or for inbound ports the
 * INBOUND_CAPTURE_PORTS proxyMetadata that Istio's own secure-metrics sample uses instead; either
 * one saying "" (capture nothing) is enough. null when neither is set.
 */
export function trafficCapture(pod: Pod, direction: 'inbound' | 'outbound'): string | null {
  const annotation = annotations(pod)[direction === 'inbound' ? ANNOTATION.includeInbound : ANNOTATION.includeOutbound];
  const metadata = direction === 'inbound' ? proxyMetadataOf(pod, 'INBOUND_CAPTURE_PORTS') : undefined;
  if (annotation === '' || metadata === '') return '';
  return annotation ?? metadata ?? null;
}
