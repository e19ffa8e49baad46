/**
 * A change to the scraper's pod, said in the pod's terms (annotations, labels, volumes, the
 * scraper container's mounts), turned into a patch on the object the user owns: the operator's
 * custom resource (JSON merge patch: a Prometheus or PrometheusAgent's spec.podMetadata, a VMAgent's
 * spec.podMetadata, an OpenTelemetryCollector's spec.podAnnotations and labels; their spec.volumes
 * and spec.volumeMounts; never the operator's workload or the pod), or the pod template of a plain
 * workload (strategic merge).
 */
import { stringify } from 'yaml';
import type { PrometheusPod } from '../model/inventory.js';
import type { KubeObject, Volume, VolumeMount } from '../model/k8s.js';
import { annotationsOf, nameOf, namespaceOf } from '../model/k8s.js';
import { ANNOTATION, normaliseDir, parseProxyConfig } from '../model/istio.js';
import { statefulSetNameOf } from '../model/prometheus.js';
import { collectorWorkloadKind, vmAgentWorkloadKind } from '../model/scraper.js';
import type { PatchType } from './patch.js';

/**
 * The custom resources whose operator makes the pod, and where each keeps what reaches it: the pod
 * metadata (a path under the resource), the volumes and the scraper container's mounts (spec.volumes,
 * spec.volumeMounts for all of them), and the workload a rollout restart renews.
 */
interface CrOwner {
  /** where the pod's annotations are written */
  annotations: string[];
  /** where the pod's labels are written */
  labels: string[];
  /** other places the pod's annotations come from, lower precedence (an OpenTelemetryCollector's own metadata) */
  alsoAnnotations?: string[];
  workload: (cr: KubeObject) => string;
}

const CR_OWNERS: Record<string, CrOwner> = {
  Prometheus: { annotations: ['spec', 'podMetadata', 'annotations'], labels: ['spec', 'podMetadata', 'labels'], workload: (cr) => `statefulset/${statefulSetNameOf(cr)}` },
  PrometheusAgent: { annotations: ['spec', 'podMetadata', 'annotations'], labels: ['spec', 'podMetadata', 'labels'], workload: (cr) => `statefulset/${statefulSetNameOf(cr)}` },
  VMAgent: { annotations: ['spec', 'podMetadata', 'annotations'], labels: ['spec', 'podMetadata', 'labels'], workload: (cr) => `${vmAgentWorkloadKind(cr).toLowerCase()}/vmagent-${nameOf(cr)}` },
  OpenTelemetryCollector: {
    annotations: ['spec', 'podAnnotations'], labels: ['metadata', 'labels'], alsoAnnotations: ['metadata', 'annotations'],
    workload: (cr) => `${collectorWorkloadKind(cr).toLowerCase()}/${nameOf(cr)}-collector`,
  },
};

/** The operator's resource that makes the pod, when the owner is one. */
export const crOwnerOf = (o: KubeObject): CrOwner | undefined => CR_OWNERS[o.kind ?? ''];

/** The command that renews the pods of a custom resource. */
export const crRestart = (cr: KubeObject): string => `kubectl rollout restart ${crOwnerOf(cr)!.workload(cr)} -n ${namespaceOf(cr)}`;

export interface PodEdit {
  annotations?: Record<string, string | null>;
  labels?: Record<string, string | null>;
  /** volumes to add or replace whole, by name */
  volumes?: Volume[];
  /** mounts of the Prometheus container to add or replace, by mountPath */
  mounts?: VolumeMount[];
  /** mounts of a hand-written istio-proxy container to change, by mountPath (plain workloads only) */
  sidecarMounts?: VolumeMount[];
}

export interface OwnerPatch {
  target: KubeObject;
  patchType: PatchType;
  patch: unknown;
  /** live: the command that gives the running pods the change */
  restart: string;
}

/** The object whose spec makes the pod: the operator's resource, else the outermost workload. */
export function ownerOf(pp: PrometheusPod): KubeObject {
  if (pp.resource) return pp.resource;
  return pp.layers.find((l) => l.kind !== 'Pod' && l.kind !== 'ReplicaSet')?.object ?? pp.subject;
}

/** Where a kind keeps its pod template. */
function templatePath(kind: string | undefined): string[] {
  if (kind === 'Pod') return [];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template'];
  return ['spec', 'template'];
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Two patches as one (maps merged key by key). */
function mergeInto(a: Record<string, unknown>, b: unknown): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = isMap(out[k]) && isMap(v) ? mergeInto(out[k] as Record<string, unknown>, v) : v;
  return out;
}

function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

const dig = (o: unknown, path: readonly string[]): unknown => path.reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), o);

/** The pod metadata the owner gives its pods, as written. */
export function ownerPodMetadata(owner: KubeObject): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  const cr = crOwnerOf(owner);
  if (cr) {
    const map = (path: string[]) => (isMap(dig(owner, path)) ? (dig(owner, path) as Record<string, string>) : undefined);
    const annotations = map(cr.annotations) || (cr.alsoAnnotations && map(cr.alsoAnnotations))
      ? { ...(cr.alsoAnnotations ? map(cr.alsoAnnotations) : {}), ...map(cr.annotations) } : undefined;
    const labels = map(cr.labels);
    return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  }
  return (dig(owner, [...templatePath(owner.kind), 'metadata']) ?? {}) as never;
}

/** Upsert by key: entries of `add` replace those with the same key, the rest are kept in order. */
function upsert<T extends object>(list: readonly T[], add: readonly T[], key: keyof T, same: (a: unknown, b: unknown) => boolean = (a, b) => a === b): T[] {
  const out = list.filter((e) => !add.some((a) => same(a[key], e[key])));
  return [...out, ...add];
}
const samePath = (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && normaliseDir(a) === normaliseDir(b);

export function podEditPatch(pp: PrometheusPod, written: KubeObject, edit: PodEdit): OwnerPatch {
  const owner = ownerOf(pp);
  const ns = namespaceOf(owner);
  const cr = crOwnerOf(owner);
  if (cr && edit.sidecarMounts) throw new Error(`a hand-written istio-proxy of a ${owner.kind} is in its spec.containers: change its mount there`);
  if (cr) {
    const spec = (written.spec ?? {}) as Record<string, unknown>;
    let patch: Record<string, unknown> = {};
    if (edit.annotations) {
      patch = mergeInto(patch, nest(cr.annotations, edit.annotations));
      // a key to remove may sit where the pod's annotations also come from
      const also = cr.alsoAnnotations ? dig(written, cr.alsoAnnotations) : undefined;
      const removed = Object.fromEntries(Object.entries(edit.annotations).filter(([k, v]) => v === null && isMap(also) && k in also));
      if (cr.alsoAnnotations && Object.keys(removed).length) patch = mergeInto(patch, nest(cr.alsoAnnotations, removed));
    }
    if (edit.labels) patch = mergeInto(patch, nest(cr.labels, edit.labels));
    // A merge patch replaces a list whole: the list as it will be.
    const lists: Record<string, unknown> = {};
    if (edit.volumes) lists.volumes = upsert((Array.isArray(spec.volumes) ? spec.volumes : []) as Volume[], edit.volumes, 'name');
    if (edit.mounts) lists.volumeMounts = upsert((Array.isArray(spec.volumeMounts) ? spec.volumeMounts : []) as VolumeMount[], edit.mounts, 'mountPath', samePath);
    if (Object.keys(lists).length) patch = mergeInto(patch, { spec: lists });
    return { target: owner, patchType: 'merge', patch, restart: crRestart(owner) };
  }
  const template: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {};
  if (edit.annotations) metadata.annotations = edit.annotations;
  if (edit.labels) metadata.labels = edit.labels;
  if (Object.keys(metadata).length) template.metadata = metadata;
  const tplPath = templatePath(owner.kind);
  const writtenSpec = (dig(written, [...tplPath, 'spec']) ?? {}) as { volumes?: Volume[]; containers?: { name?: string; volumeMounts?: VolumeMount[] }[] };
  const spec: Record<string, unknown> = {};
  if (edit.volumes) {
    // A strategic merge keeps the other fields of a volume of the same name: null the old source.
    spec.volumes = edit.volumes.map((v) => {
      const old = writtenSpec.volumes?.find((o) => o.name === v.name);
      const cleared = Object.fromEntries(Object.keys(old ?? {}).filter((k) => !(k in v)).map((k) => [k, null]));
      return { ...cleared, ...v };
    });
  }
  if (edit.mounts) {
    const container = pp.prometheusContainer;
    const existing = writtenSpec.containers?.find((c) => c.name === container)?.volumeMounts ?? [];
    // mountPath is the merge key, as written (a trailing slash makes another key)
    const mounts = edit.mounts.map((m) => ({ ...m, mountPath: existing.find((e) => samePath(e.mountPath, m.mountPath))?.mountPath ?? m.mountPath }));
    spec.containers = [{ name: container, volumeMounts: mounts }];
  }
  if (edit.sidecarMounts) spec.containers = [...((spec.containers as unknown[] | undefined) ?? []), { name: 'istio-proxy', volumeMounts: edit.sidecarMounts }];
  if (Object.keys(spec).length) template.spec = spec;
  const patch = tplPath.length ? nest(tplPath, template) : template;
  const kind = (owner.kind ?? '').toLowerCase();
  return { target: owner, patchType: 'strategic', patch, restart: owner.kind === 'Pod' ? `kubectl delete pod ${nameOf(owner)} -n ${ns}` : `kubectl rollout restart ${kind}/${nameOf(owner)} -n ${ns}` };
}

/** The annotations of the pod the owner makes, as written on the owner (what a patch must merge with). */
export function currentAnnotations(pp: PrometheusPod, written: KubeObject): Record<string, string> {
  const fromOwner = ownerPodMetadata(written).annotations;
  return fromOwner ?? annotationsOf(pp.pod);
}

/**
 * proxy.istio.io/config with `change` applied to its mapping: merged with what is there, never
 * replaced. Undefined when the annotation does not parse (PROXY_CONFIG_INVALID: the user decides).
 */
export function editProxyConfig(annotations: Record<string, string>, change: (config: Record<string, unknown>) => void): string | undefined {
  const text = annotations[ANNOTATION.proxyConfig];
  const parsed = text === undefined ? { ok: true as const, value: {} } : parseProxyConfig(text);
  if (!parsed.ok) return undefined;
  const config = structuredClone(parsed.value);
  change(config);
  // YAML 1.1 as the injector reads it: a string such as "yes" stays quoted.
  return stringify(config, { version: '1.1' });
}

export function setProxyMetadata(config: Record<string, unknown>, name: string, value: string): void {
  const pm = (config.proxyMetadata && typeof config.proxyMetadata === 'object' ? config.proxyMetadata : {}) as Record<string, unknown>;
  config.proxyMetadata = { ...pm, [name]: value };
}
