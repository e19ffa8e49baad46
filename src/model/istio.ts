/**
 * How Istio reads a pod: the annotations of the OUTPUT_CERTS recipe, and where the certificates
 * volume is mounted in the sidecar and in the Prometheus container. Shared by the prometheus.*
 * checks (are they right?), the monitors.* checks (do the TLS paths point into the mount?), the
 * cluster source (where to read the files) and the simulator.
 */
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
} as const;

/** The files the sidecar writes into OUTPUT_CERTS (security/pkg/nodeagent/util/util.go). */
export const OUTPUT_FILES = ['root-cert.pem', 'cert-chain.pem', 'key.pem'] as const;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** proxy.istio.io/config: YAML (or JSON) mapping of ProxyConfig. */
export function parseProxyConfig(text: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split('\n')[0]! };
  }
  if (value === null || value === undefined) return { ok: true, value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: `it is a ${Array.isArray(value) ? 'list' : typeof value}, not a mapping` };
  const pm = (value as Record<string, unknown>).proxyMetadata;
  if (pm !== undefined && pm !== null && (typeof pm !== 'object' || Array.isArray(pm)))
    return { ok: false, reason: 'proxyMetadata is not a mapping of names to values' };
  return { ok: true, value: value as Record<string, unknown> };
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
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
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

const annotations = (pod: Pod) => pod.metadata?.annotations ?? {};

/** OUTPUT_CERTS from the annotation's proxyMetadata, else from istio-proxy's env (an injected pod). */
export function outputCertsDir(pod: Pod): string | undefined {
  const text = annotations(pod)[ANNOTATION.proxyConfig];
  if (text !== undefined) {
    const parsed = parseProxyConfig(text);
    const value = parsed.ok ? (parsed.value.proxyMetadata as Record<string, unknown> | undefined)?.OUTPUT_CERTS : undefined;
    if (typeof value === 'string' && value) return value;
  }
  const env = sidecarOf(pod.spec)?.env?.find((e) => e.name === 'OUTPUT_CERTS')?.value;
  return env || undefined;
}

/** The volume mounts the sidecar gets from userVolumeMount (undefined when absent or invalid). */
export function userVolumeMounts(pod: Pod): VolumeMount[] | undefined {
  const text = annotations(pod)[ANNOTATION.userVolumeMount];
  if (text === undefined) return undefined;
  const parsed = parseUserVolumeMount(text);
  return parsed.ok ? parsed.value : undefined;
}

/** Normalises a directory path for comparison: no trailing slash, no doubled slashes. */
export function normaliseDir(path: string): string {
  return path.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
}

/**
 * The certificates volume: the one the sidecar mounts at OUTPUT_CERTS (or, when the paths differ,
 * the first userVolumeMount), with the pod's volume definition when it exists.
 */
export function certsVolumeOf(pod: Pod): { name: string; sidecarMountPath: string; volume?: Volume } | undefined {
  const mounts = userVolumeMounts(pod) ?? sidecarOf(pod.spec)?.volumeMounts?.filter((m) => m.name && m.name !== 'istio-envoy') ?? [];
  const out = outputCertsDir(pod);
  const atOutput = out ? mounts.find((m) => m.mountPath && normaliseDir(m.mountPath) === normaliseDir(out)) : undefined;
  const mount = atOutput ?? (userVolumeMounts(pod) ? mounts[0] : undefined);
  if (!mount?.name || !mount.mountPath) return undefined;
  return { name: mount.name, sidecarMountPath: mount.mountPath, volume: pod.spec?.volumes?.find((v) => v.name === mount.name) };
}

/** Where the Prometheus container mounts the certificates volume (where Prometheus reads the files). */
export function prometheusCertsMount(pod: Pod, containerName?: string): { container: Container; mountPath: string; volume: string } | undefined {
  const volume = certsVolumeOf(pod);
  if (!volume) return undefined;
  const container = (containerName ? pod.spec?.containers?.find((c) => c.name === containerName) : undefined) ?? prometheusContainerOf(pod.spec);
  const mount = container?.volumeMounts?.find((m) => m.name === volume.name && !m.subPath);
  return container && mount?.mountPath ? { container, mountPath: mount.mountPath, volume: volume.name } : undefined;
}
