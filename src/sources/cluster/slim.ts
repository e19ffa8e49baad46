/**
 * Live target pods as the checks read them, and nothing more: a pod listed from a real cluster
 * carries managedFields, last-applied-configuration, conditions, probes and statuses that no check
 * reads, often several times what it reads. Slimming each pod as its page arrives keeps the memory
 * of a run over tens of thousands of pods bounded. The fields kept are those of the Pod model
 * (src/model/k8s.ts) that checks and the probe read; test/slim-pods.test.ts proves that every check
 * finds the same on a slimmed pod as on the whole one.
 */
import type { Container, Pod } from '../../model/k8s.js';

const METADATA = ['name', 'namespace', 'uid', 'labels', 'annotations', 'ownerReferences', 'creationTimestamp'] as const;
const SPEC = ['serviceAccountName', 'serviceAccount', 'hostNetwork', 'nodeName', 'securityContext', 'volumes'] as const;
const CONTAINER = ['name', 'image', 'command', 'args', 'env', 'ports', 'volumeMounts', 'restartPolicy', 'securityContext', 'startupProbe', 'resources'] as const;
const STATUS = ['phase', 'podIP', 'podIPs'] as const;
const CONTAINER_STATUS = ['name', 'image', 'ready'] as const;
/** kubectl's copy of the whole object as applied: read by no check, and as large as the pod itself */
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

function pick<T extends object, K extends readonly string[]>(from: T | undefined, keys: K): Partial<T> | undefined {
  if (!from) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) if ((from as Record<string, unknown>)[key] !== undefined) out[key] = (from as Record<string, unknown>)[key];
  return out as Partial<T>;
}

function slimContainer(container: Container): Container {
  return pick(container, CONTAINER) as Container;
}

/** The pod with only the fields the checks read (a new object; the input is not changed). */
export function slimPod(pod: Pod): Pod {
  const metadata = pick(pod.metadata, METADATA);
  const annotations = metadata?.annotations;
  if (annotations && Object.keys(annotations).some((k) => DROPPED_ANNOTATIONS.has(k)))
    metadata.annotations = Object.fromEntries(Object.entries(annotations).filter(([k]) => !DROPPED_ANNOTATIONS.has(k)));
  const spec = pod.spec && {
    ...pick(pod.spec, SPEC),
    ...(pod.spec.containers ? { containers: pod.spec.containers.map(slimContainer) } : {}),
    ...(pod.spec.initContainers ? { initContainers: pod.spec.initContainers.map(slimContainer) } : {}),
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
