/**
 * The doctor's inventory as the fixes see it: the objects the user owns, found by a finding's subject,
 * and a copy of the whole inventory with patched (or new) objects in place of the originals, from
 * which the Prometheus pods are derived again as their owners would now make them. Nothing here
 * talks to a cluster: the copy is served from what the run already read.
 */
import { ResourceStore, Unavailable, type Providers } from '../core/resources.js';
import type { Subject } from '../core/types.js';
import type { PrometheusPod, RbacObjects, ResourceKey, ResourceMap, TargetWorkload } from '../model/inventory.js';
import type { KubeObject } from '../model/k8s.js';
import { nameOf, namespaceOf } from '../model/k8s.js';
import { podTemplateOf, prometheusPodsFromManifests } from '../model/prometheus.js';
import { sanitizeObject } from '../model/sanitize.js';
import { scraperPodsFromManifests } from '../model/scraper.js';
import type { ScrapeConfigSource } from '../sources/raw-scrape-configs.js';

/** The keys the prometheus.* and monitors.* checks read: what a re-run needs. */
const KEYS = [
  'prometheusPods', 'prometheusResources', 'serviceMonitors', 'podMonitors', 'services', 'endpointSlices', 'workloads',
  'namespaces', 'peerAuthentications', 'meshRootNamespace', 'rbac', 'objects', 'manifestFiles', 'scrapeConfigs',
] as const satisfies readonly ResourceKey[];
type Key = (typeof KEYS)[number];
type Loaded = { [K in Key]?: { ok: true; value: ResourceMap[K] } | { ok: false; reason: string } };

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

export class FixInventory {
  private constructor(
    private readonly loaded: Loaded,
    /** file:line and the as-written form of each object */
    readonly locations: WeakMap<object, { file: string; line: number }>,
    private readonly written: WeakMap<object, KubeObject>,
  ) {}

  static async from(store: ResourceStore): Promise<FixInventory> {
    const loaded: Loaded = {};
    for (const key of KEYS) (loaded as Record<string, unknown>)[key] = await store.load(key);
    return new FixInventory(loaded, store.locations, store.asWritten);
  }

  get<K extends Key>(key: K): ResourceMap[K] | undefined {
    const l = this.loaded[key];
    return l?.ok ? (l.value as ResourceMap[K]) : undefined;
  }

  /** The object as the user wrote it (the model's objects are type-sanitised copies). */
  asWritten(o: KubeObject): KubeObject {
    return this.written.get(o) ?? o;
  }

  /** Every object the inventory holds that a user applies (not the pods a controller made). */
  userObjects(): KubeObject[] {
    const rbac = this.get('rbac');
    const all = [
      ...(this.get('objects') ?? []),
      ...(this.get('prometheusResources') ?? []),
      ...(this.get('prometheusPods') ?? []).flatMap((pp) => [pp.subject, ...pp.layers.map((l) => l.object)]),
      ...(this.get('serviceMonitors') ?? []), ...(this.get('podMonitors') ?? []), ...(this.get('services') ?? []),
      ...(this.get('workloads') ?? []).map((w) => w.object), ...(this.get('namespaces') ?? []),
      ...(rbac ? [...rbac.roles, ...rbac.clusterRoles, ...rbac.roleBindings, ...rbac.clusterRoleBindings, ...rbac.serviceAccounts] : []),
    ];
    return [...new Set(all)];
  }

  /** The object a subject names (kind, namespace, name). */
  find(subject: Pick<Subject, 'kind' | 'namespace' | 'name'>): KubeObject | undefined {
    return this.userObjects().find((o) => sameObject(o, subject));
  }

  /** The Prometheus pods a subject names: the pod itself (live), or the resource/workload that makes it. */
  podsOf(subject: Pick<Subject, 'kind' | 'namespace' | 'name'>): PrometheusPod[] {
    return (this.get('prometheusPods') ?? []).filter((pp) => sameObject(pp.subject, subject));
  }

  /**
   * A copy with `replacements` (original → patched, as written) and `added` objects. Prometheus pods
   * whose owner was patched are derived again from it, before admission, as the manifests source does.
   */
  patched(replacements: ReadonlyMap<KubeObject, KubeObject>, added: readonly KubeObject[] = []): FixInventory {
    const locations = new WeakMap<object, { file: string; line: number }>();
    const written = new WeakMap<object, KubeObject>();
    const swap = new Map<KubeObject, KubeObject>();
    for (const [original, patchedWritten] of replacements) {
      const model = sanitizeObject(patchedWritten);
      swap.set(original, model);
      written.set(model, patchedWritten);
      const where = this.locations.get(original);
      if (where) locations.set(model, where);
    }
    const fresh = added.map((o) => {
      const model = sanitizeObject(o);
      written.set(model, o);
      return model;
    });
    // everything else keeps its location and written form
    const copyMeta = (o: KubeObject) => {
      const where = this.locations.get(o);
      if (where && !locations.has(o)) locations.set(o, where);
      const w = this.written.get(o);
      if (w && !written.has(o)) written.set(o, w);
    };
    for (const o of this.userObjects()) copyMeta(o);
    for (const pp of this.get('prometheusPods') ?? []) copyMeta(pp.subject);

    const map = <T extends KubeObject>(list: T[]): T[] => list.map((o) => (swap.get(o) as T | undefined) ?? o);
    const ofKind = (kinds: string[]) => fresh.filter((o) => kinds.includes(o.kind ?? ''));
    const next: Loaded = { ...this.loaded };
    const set = <K extends Key>(key: K, f: (v: ResourceMap[K]) => ResourceMap[K], createWith?: () => ResourceMap[K]) => {
      const l = this.loaded[key];
      if (l?.ok) (next as Record<string, unknown>)[key] = { ok: true, value: f(l.value as ResourceMap[K]) };
      else if (createWith) (next as Record<string, unknown>)[key] = { ok: true, value: createWith() };
    };
    set('objects', (v) => [...map(v), ...fresh]);
    set('prometheusResources', (v) => map(v));
    set('serviceMonitors', (v) => [...map(v), ...ofKind(['ServiceMonitor'])]);
    set('podMonitors', (v) => [...map(v), ...ofKind(['PodMonitor'])]);
    set('services', (v) => [...map(v), ...ofKind(['Service'])]);
    set('namespaces', (v) => [...map(v), ...ofKind(['Namespace'])]);
    set('workloads', (v) => v.map((w): TargetWorkload => {
      const o = swap.get(w.object);
      return o ? { ...w, object: o, template: podTemplateOf(o) ?? w.template } : w;
    }));
    const rbacAdded = (r: RbacObjects): RbacObjects => ({
      serviceAccounts: [...map(r.serviceAccounts), ...ofKind(['ServiceAccount'])],
      roles: [...map(r.roles), ...ofKind(['Role'])],
      clusterRoles: [...map(r.clusterRoles), ...ofKind(['ClusterRole'])],
      roleBindings: [...map(r.roleBindings), ...ofKind(['RoleBinding'])],
      clusterRoleBindings: [...map(r.clusterRoleBindings), ...ofKind(['ClusterRoleBinding'])],
    });
    const newRbac = ofKind(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']).length > 0;
    set('rbac', rbacAdded, newRbac ? () => rbacAdded({ serviceAccounts: [], roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] }) : undefined);
    const pods = new Map<PrometheusPod, PrometheusPod>();
    set('prometheusPods', (v) => v.map((pp) => {
      const made = rederive(pp, swap);
      pods.set(pp, made);
      return made;
    }));
    // raw jobs are judged against the pod that loads them: the one its patched owner now makes
    const renewed = <T extends { scraper?: PrometheusPod }>(x: T): T => (x.scraper && pods.has(x.scraper) ? { ...x, scraper: pods.get(x.scraper) } : x);
    set('scrapeConfigs', (v) => v.map((source): ScrapeConfigSource => ({ ...renewed(source), jobs: source.jobs.map(renewed) })));
    return new FixInventory(next, locations, written);
  }

  /** A resource store serving this inventory, for a re-run of the checks. */
  store(): ResourceStore {
    const store = new ResourceStore();
    const providers: Providers = {};
    for (const key of KEYS) {
      const l = this.loaded[key];
      if (!l) continue;
      (providers as Record<string, unknown>)[key] = () => {
        if (!l.ok) throw new Unavailable(l.reason);
        return l.value;
      };
    }
    store.provide(providers);
    for (const o of [...this.userObjects(), ...(this.get('prometheusPods') ?? []).map((pp) => pp.subject)]) {
      const where = this.locations.get(o);
      if (where) store.locations.set(o, where);
      const w = this.written.get(o);
      if (w) store.asWritten.set(o, w);
    }
    return store;
  }
}

/** A Prometheus pod whose owner was patched, as the owner would now make it (not admitted yet). */
function rederive(pp: PrometheusPod, swap: ReadonlyMap<KubeObject, KubeObject>): PrometheusPod {
  const owners = [pp.resource, ...pp.layers.map((l) => l.object), pp.subject].filter((o): o is KubeObject => o !== undefined && o.kind !== 'Pod');
  const patchedOwner = owners.map((o) => swap.get(o)).find((o) => o !== undefined) ?? (pp.subject.kind === 'Pod' ? swap.get(pp.subject) : undefined);
  if (!patchedOwner) return pp;
  const made = [...prometheusPodsFromManifests([patchedOwner]), ...scraperPodsFromManifests([patchedOwner])][0];
  if (!made) return pp;
  // Alloy's selection comes from its configuration, which no pod fix changes
  const derived = made.selection || !pp.selection ? made : { ...made, selection: pp.selection };
  // The subject stays what findings named (a live pod keeps its name); the pod is the new one.
  const subject = pp.subject.kind === 'Pod' && patchedOwner.kind !== 'Pod' ? pp.subject : (swap.get(pp.subject) ?? derived.subject);
  return { ...derived, subject, admitted: patchedOwner.kind === 'Pod' ? derived.admitted : false };
}

export function sameObject(o: KubeObject, s: Pick<Subject, 'kind' | 'namespace' | 'name'>): boolean {
  if (o.kind !== s.kind || nameOf(o) !== s.name) return false;
  return CLUSTER_SCOPED.has(s.kind) || s.namespace === undefined || namespaceOf(o) === s.namespace;
}
