/**
 * Live target pods as the checks read them, and nothing more: a pod listed from a real cluster
 * carries managedFields, last-applied-configuration, conditions, probes and statuses that no check
 * reads, often several times what it reads. Slimming each pod as its page arrives keeps the memory
 * of a run over tens of thousands of pods bounded. The fields kept are those of the Pod model
 * (src/model/k8s.ts) that checks and the probe read; test/slim-pods.test.ts proves that every check
 * finds the same on a slimmed pod as on the whole one.
 *
 * What is kept is then shared: the replicas of a workload carry the same containers, volumes,
 * labels and annotations, parsed anew for every pod. A run's slimmer keeps one copy of each equal
 * part (and of each repeated string) and gives it to every pod that has it, so a pod costs its
 * name, address and a few references, not the kilobytes of its injected sidecar. Shared parts are
 * read, never changed: no check or model function changes an object of the inventory.
 */
import { Interner } from '../../core/intern.js';
import type { Container, Pod } from '../../model/k8s.js';

const METADATA = ['name', 'namespace', 'uid', 'labels', 'annotations', 'ownerReferences', 'creationTimestamp'] as const;
const SPEC = ['serviceAccountName', 'serviceAccount', 'hostNetwork', 'nodeName', 'securityContext', 'volumes'] as const;
const CONTAINER = ['name', 'image', 'command', 'args', 'env', 'ports', 'volumeMounts', 'restartPolicy', 'securityContext', 'startupProbe', 'resources'] as const;
const STATUS = ['phase', 'podIP', 'podIPs'] as const;
const CONTAINER_STATUS = ['name', 'image', 'ready'] as const;
/** kubectl's copy of the whole object as applied: read by no check, and as large as the pod itself */
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
/**
 * The kubelet's service-account token volume (`kube-api-access-<random>`, a projected volume the
 * ServiceAccount admission plugin adds to every pod) and its mounts: no check reads a target's
 * token, and its name is the one part of a replica's containers and volumes that differs from its
 * siblings', so keeping it would keep every container once per pod.
 */
const TOKEN_VOLUME = /^kube-api-access-[a-z0-9]{5}$/;
const tokenVolumes = (volumes: readonly { name?: string; projected?: unknown }[] | undefined) =>
  new Set((volumes ?? []).filter((v) => v.projected !== undefined && TOKEN_VOLUME.test(v.name ?? '')).map((v) => v.name));

/** Fields of one pod alone (its identity and address): kept as they are, never looked up in the shared parts. */
const OWN = new Set(['name', 'uid', 'creationTimestamp', 'podIP', 'podIPs']);

function pick<T extends object, K extends readonly string[]>(from: T | undefined, keys: K): Partial<T> | undefined {
  if (!from) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) if ((from as Record<string, unknown>)[key] !== undefined) out[key] = (from as Record<string, unknown>)[key];
  return out as Partial<T>;
}

function slimContainer(container: Container, tokens: Set<string | undefined>): Container {
  const slimmed = pick(container, CONTAINER) as Container;
  if (tokens.size && slimmed.volumeMounts?.some((m) => tokens.has(m.name))) slimmed.volumeMounts = slimmed.volumeMounts.filter((m) => !tokens.has(m.name));
  return slimmed;
}

/** The pod with only the fields the checks read (a new object; the input is not changed). */
function slim(pod: Pod): Pod {
  const metadata = pick(pod.metadata, METADATA);
  const annotations = metadata?.annotations;
  if (annotations && Object.keys(annotations).some((k) => DROPPED_ANNOTATIONS.has(k)))
    metadata.annotations = Object.fromEntries(Object.entries(annotations).filter(([k]) => !DROPPED_ANNOTATIONS.has(k)));
  const tokens = tokenVolumes(pod.spec?.volumes);
  const spec = pod.spec && {
    ...pick(pod.spec, SPEC),
    ...(pod.spec.volumes && tokens.size ? { volumes: pod.spec.volumes.filter((v) => !tokens.has(v.name)) } : {}),
    ...(pod.spec.containers ? { containers: pod.spec.containers.map((c) => slimContainer(c, tokens)) } : {}),
    ...(pod.spec.initContainers ? { initContainers: pod.spec.initContainers.map((c) => slimContainer(c, tokens)) } : {}),
  };
  const status = pod.status && {
    ...pick(pod.status, STATUS),
    ...(pod.status.containerStatuses ? { containerStatuses: pod.status.containerStatuses.map((s) => pick(s, CONTAINER_STATUS)!) } : {}),
  };
  return {
    ...(pod.apiVersion !== undefined ? { apiVersion: pod.apiVersion } : {}),
    ...(pod.kind !== undefined ? { kind: pod.kind } : {}),
    ...(metadata ? { metadata } : {}),
    ...(spec ? { spec } : {}),
    ...(status ? { status } : {}),
  } as Pod;
}

/**
 * A slimmer for one run's pods: each pod slimmed, its parts shared with the pods listed before it
 * by the same slimmer. Its tables go when it does (at the end of the listing), the sharing stays.
 */
export function podSlimmer(): (pod: Pod) => Pod {
  const interner = new Interner();
  /** An object of the pod's own (metadata, spec, status) whose values are shared, but for the pod's identity and address. */
  const fields = <T extends object>(from: T): T => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(from)) if (v !== undefined) out[interner.string(k)] = OWN.has(k) ? v : interner.share(v);
    return out as T;
  };
  return (pod) => {
    const { apiVersion, kind, metadata, spec, status } = slim(pod);
    // built field by field: an object spread together from optional parts gets a hidden class of its own (some 250 bytes a pod)
    const out: Pod = {};
    if (apiVersion !== undefined) out.apiVersion = interner.string(apiVersion);
    if (kind !== undefined) out.kind = interner.string(kind);
    if (metadata) out.metadata = fields(metadata);
    if (spec) out.spec = fields(spec);
    if (status) out.status = fields(status);
    return out;
  };
}

/** One pod slimmed alone (no sharing with other pods): what a run's slimmer makes of it, equal in value. */
export function slimPod(pod: Pod): Pod {
  return slim(pod);
}
