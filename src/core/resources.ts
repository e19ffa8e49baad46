/**
 * The resource store: lazy, memoised loading of Inventory entries from whichever source provides
 * them. A provider throws `Unavailable` to say why a resource cannot be had (no Services in the
 * manifests, a 403, an unreachable API); checks that need it are then skipped with that reason.
 * Sources also leave diagnostics here (MANIFEST_PARSE_ERROR, ACCESS_DENIED, …) for the inputs checks.
 */
import type { KubeObject } from '../model/k8s.js';
import { namespaceOf } from '../model/k8s.js';
import type { ResourceKey, ResourceMap } from '../model/inventory.js';
import type { Code, CodeArgs } from './codes.js';
import type { Evidence, Subject } from './types.js';
import { oneLine } from './errors.js';

export class Unavailable extends Error {
  override readonly name = 'Unavailable';
}

export type Provider<K extends ResourceKey> = (store: ResourceStore) => Promise<ResourceMap[K]> | ResourceMap[K];
export type Providers = { [K in ResourceKey]?: Provider<K> };

export type Loaded<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface SourceDiagnostic<C extends Code = Code> {
  code: C;
  args: CodeArgs<C>;
  subject: Subject;
  evidence?: Evidence;
}

export interface SourceLocation {
  file: string;
  line: number;
}

export class ResourceStore {
  private readonly cache = new Map<ResourceKey, Promise<Loaded<unknown>>>();
  private readonly diagnosticList: SourceDiagnostic[] = [];
  /** file:line of manifest objects, for the subjects of their findings */
  readonly locations = new WeakMap<object, SourceLocation>();
  /** manifest objects as written, before their fields were brought to the model's types */
  readonly asWritten = new WeakMap<object, KubeObject>();
  /** told as each target's probe finishes (the CLI's spinner counts them) */
  onTargetProbed?: (done: number, total: number) => void;

  constructor(private readonly providers: Providers = {}) {}

  /** Adds or replaces providers (a later source overrides an earlier one for the same key). */
  provide(providers: Providers): void {
    Object.assign(this.providers, providers);
  }

  has(key: ResourceKey): boolean {
    return this.providers[key] !== undefined;
  }

  load<K extends ResourceKey>(key: K): Promise<Loaded<ResourceMap[K]>> {
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.compute(key);
      this.cache.set(key, pending);
    }
    return pending as Promise<Loaded<ResourceMap[K]>>;
  }

  /** The value, or throws Unavailable with the reason. */
  async require<K extends ResourceKey>(key: K): Promise<ResourceMap[K]> {
    const loaded = await this.load(key);
    if (!loaded.ok) throw new Unavailable(loaded.reason);
    return loaded.value;
  }

  /** The value, or undefined when it cannot be had. */
  async optional<K extends ResourceKey>(key: K): Promise<ResourceMap[K] | undefined> {
    const loaded = await this.load(key);
    return loaded.ok ? loaded.value : undefined;
  }

  diagnose<C extends Code>(code: C, args: CodeArgs<C>, subject: Subject, evidence?: Evidence): void {
    this.diagnosticList.push({ code, args, subject, evidence } as SourceDiagnostic);
  }

  diagnostics(): readonly SourceDiagnostic[] {
    return this.diagnosticList;
  }

  /** The subject of a Kubernetes object: kind, namespace, name, and file:line when from a manifest. */
  subjectOf(obj: KubeObject, extra: Partial<Subject> = {}): Subject {
    const where = this.locations.get(obj);
    const subject: Subject = { kind: obj.kind ?? 'Object' };
    if (obj.metadata?.name) subject.name = obj.metadata.name;
    if (!isClusterScoped(obj.kind)) subject.namespace = namespaceOf(obj);
    if (where) Object.assign(subject, { file: where.file, line: where.line });
    return { ...subject, ...extra };
  }

  private async compute(key: ResourceKey): Promise<Loaded<unknown>> {
    const provider = this.providers[key] as Provider<ResourceKey> | undefined;
    if (!provider) return { ok: false, reason: UNPROVIDED_REASONS[key] ?? `no source provides ${key}` };
    try {
      return { ok: true, value: await provider(this) };
    } catch (error) {
      if (error instanceof Unavailable) return { ok: false, reason: error.message };
      return { ok: false, reason: `${key} could not be read: ${oneLine(error)}` };
    }
  }
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'Node', 'CustomResourceDefinition']);
function isClusterScoped(kind: string | undefined): boolean {
  return kind !== undefined && CLUSTER_SCOPED.has(kind);
}

/** Why a resource nobody provides is missing, in the user's terms. */
const OFFLINE_WITHOUT = (what: string) => `offline, and no -f manifests give ${what}`;
const UNPROVIDED_REASONS: Partial<Record<ResourceKey, string>> = {
  clusterServer: 'offline: no Kubernetes API is contacted (-f or --offline)',
  manifestFiles: 'no -f manifests',
  prometheusPods: OFFLINE_WITHOUT('a Prometheus'),
  prometheusResources: OFFLINE_WITHOUT('a Prometheus resource'),
  serviceMonitors: OFFLINE_WITHOUT('ServiceMonitors'),
  podMonitors: OFFLINE_WITHOUT('PodMonitors'),
  services: OFFLINE_WITHOUT('Services'),
  endpointSlices: 'endpoints are known only in a live cluster',
  workloads: OFFLINE_WITHOUT('workloads'),
  namespaces: OFFLINE_WITHOUT('Namespaces'),
  peerAuthentications: OFFLINE_WITHOUT('PeerAuthentications'),
  rbac: OFFLINE_WITHOUT('RBAC objects'),
  objects: 'no -f manifests',
  certFiles: 'no certificate files to read: give --certs-dir, or run against a cluster',
  meshRoot: 'no mesh root: give --mesh-root, or run against a cluster (istio-ca-root-cert ConfigMap)',
};
