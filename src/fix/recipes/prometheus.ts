/**
 * Fixes of the prometheus.* findings: a change to the pod the Prometheus resource (or plain
 * workload) makes, patched on that owner (see pod-edit.ts), or new RBAC objects.
 */
import { parse as parseYaml } from 'yaml';
import type { PrometheusPod } from '../../model/inventory.js';
import type { KubeObject, PrometheusResource, Volume } from '../../model/k8s.js';
import { annotationsOf, labelsOf, nameOf, namespaceOf } from '../../model/k8s.js';
import { ANNOTATION, LABEL, certsVolumeOf, normaliseDir, outputCertsDir, parseUserVolumeMount, prometheusCertsMount } from '../../model/istio.js';
import { hasSidecar, prometheusContainerOf } from '../../model/prometheus.js';
import { scraperSelects } from '../../model/scraper.js';
import { prometheusSelects } from '../../model/selectors.js';
import { crOwnerOf, crRestart, currentAnnotations, editProxyConfig, ownerOf, podEditPatch, setProxyMetadata, type PodEdit } from '../pod-edit.js';
import {
  DEFAULT_CERTS_VOLUME, DEFAULT_OUTPUT_CERTS, DEFAULT_PROM_CERTS, evidenceString, manual, type Manual, type Proposal, type Recipe, type RecipeContext,
} from './common.js';

interface PodCtx {
  pp: PrometheusPod;
  owner: KubeObject;
  written: KubeObject;
}

function podContext(ctx: RecipeContext): PodCtx | Manual {
  const pp = ctx.inv.podsOf(ctx.finding.subject)[0];
  if (!pp) return manual('the Prometheus pod of this finding is not in the inventory');
  const owner = ownerOf(pp);
  if (owner.kind === 'Pod' && pp.admitted) return manual('a pod without a controller: change its manifest and create it again (a running pod is not re-injected)');
  return { pp, owner, written: ctx.inv.asWritten(owner) };
}

/** A recipe that changes the pod: the edit is computed from the pod and the owner as written. */
const onPod = (edit: (c: PodCtx, ctx: RecipeContext) => PodEdit | Manual): Recipe => (ctx) => {
  const c = podContext(ctx);
  if ('manual' in c) return c;
  const e = edit(c, ctx);
  if ('manual' in e) return e;
  const p = podEditPatch(c.pp, c.written, e);
  return { target: p.target, patchType: p.patchType, patch: p.patch, restart: p.restart };
};

const proxyConfigEdit = (change: (config: Record<string, unknown>, c: PodCtx) => void) => onPod((c) => {
  const text = editProxyConfig(currentAnnotations(c.pp, c.written), (config) => change(config, c));
  return text === undefined ? manual('proxy.istio.io/config does not parse (PROXY_CONFIG_INVALID): fix it first') : { annotations: { [ANNOTATION.proxyConfig]: text } };
});

/** The certificates volume of the recipe: the one the annotations name, else istio-certs, else a memory emptyDir the Prometheus container mounts. */
function certsVolumeName(pp: PrometheusPod): string {
  const named = certsVolumeOf(pp.pod)?.name;
  if (named) return named;
  const volumes = pp.pod.spec?.volumes ?? [];
  if (volumes.some((v) => v.name === DEFAULT_CERTS_VOLUME)) return DEFAULT_CERTS_VOLUME;
  const prom = pp.pod.spec?.containers?.find((c) => c.name === pp.prometheusContainer) ?? prometheusContainerOf(pp.pod.spec);
  const mounted = (prom?.volumeMounts ?? []).map((m) => volumes.find((v) => v.name === m.name && m.mountPath?.includes('cert'))).filter((v): v is Volume => v?.emptyDir?.medium === 'Memory');
  return mounted.length === 1 ? mounted[0]!.name! : DEFAULT_CERTS_VOLUME;
}

const memoryVolume = (name: string): Volume => ({ name, emptyDir: { medium: 'Memory' } });

/**
 * Where the scraper should mount the certificates: the one folder its jobs already name the files in
 * (raw jobs it loads, monitors it selects), else the recipe's /etc/prom-certs/. A folder another
 * volume is mounted at is not taken.
 */
function promCertsDir(ctx: RecipeContext, pp: PrometheusPod): string {
  const files = (tls: { caFile?: string; certFile?: string; keyFile?: string } | undefined) => [tls?.caFile, tls?.certFile, tls?.keyFile].filter((f): f is string => typeof f === 'string' && f.startsWith('/'));
  const same = (other: PrometheusPod | undefined) => other !== undefined && other.subject === pp.subject;
  const paths = (ctx.inv.get('scrapeConfigs') ?? []).flatMap((source) => source.jobs.filter((j) => same(j.scraper)).flatMap((j) => files(j.job.tls)));
  const namespaces = ctx.inv.get('namespaces');
  for (const monitor of [...(ctx.inv.get('serviceMonitors') ?? []), ...(ctx.inv.get('podMonitors') ?? [])]) {
    const selected = pp.resource ? prometheusSelects(pp.resource, monitor, namespaces).selected : pp.selection ? scraperSelects(pp.selection, monitor, namespaces).selected : false;
    if (selected !== true) continue;
    for (const e of [...(monitor.spec?.endpoints ?? []), ...(monitor.spec?.podMetricsEndpoints ?? [])]) paths.push(...files(e.tlsConfig as never));
  }
  const dirs = new Set(paths.map((p) => normaliseDir(p.slice(0, p.lastIndexOf('/')) || '/')));
  const [dir] = [...dirs];
  const prom = pp.pod.spec?.containers?.find((c) => c.name === pp.prometheusContainer);
  const taken = (prom?.volumeMounts ?? []).some((m) => m.mountPath && normaliseDir(m.mountPath) === dir);
  return dirs.size === 1 && dir && dir !== '/' && !taken ? dir : DEFAULT_PROM_CERTS;
}

/** What the sidecar needs beside the annotation for the recipe to hold: the volume, and Prometheus's mount of it. */
function plumbing(ctx: RecipeContext, pp: PrometheusPod, volume: string): Pick<PodEdit, 'volumes' | 'mounts'> {
  const out: Pick<PodEdit, 'volumes' | 'mounts'> = {};
  if (!pp.pod.spec?.volumes?.some((v) => v.name === volume)) out.volumes = [memoryVolume(volume)];
  const prom = pp.pod.spec?.containers?.find((c) => c.name === pp.prometheusContainer);
  if (!prom?.volumeMounts?.some((m) => m.name === volume && !m.subPath)) out.mounts = [{ name: volume, mountPath: promCertsDir(ctx, pp) }];
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** userVolumeMount as it was meant: YAML or a single object made a JSON list; a mount without a path gets OUTPUT_CERTS. */
function repairUserVolumeMount(text: string, outputCerts: string | undefined): string | undefined {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    return undefined;
  }
  const entries: [string | undefined, unknown][] = Array.isArray(value) ? value.map((v) => [undefined, v])
    : isMap(value) && (typeof value.mountPath === 'string' || typeof value.name === 'string') ? [[undefined, value]]
    : isMap(value) ? Object.entries(value) : [];
  const mounts: Record<string, unknown>[] = [];
  for (const [key, raw] of entries) {
    if (!isMap(raw)) return undefined;
    const name = key ?? raw.name;
    const mountPath = typeof raw.mountPath === 'string' && raw.mountPath ? raw.mountPath : outputCerts;
    if (typeof name !== 'string' || !name || !mountPath) return undefined;
    mounts.push({ name, mountPath, ...(typeof raw.readOnly === 'boolean' ? { readOnly: raw.readOnly } : {}) });
  }
  if (!mounts.length) return undefined;
  const json = JSON.stringify(mounts);
  return parseUserVolumeMount(json).ok ? json : undefined;
}

const rbacNames = (sa: { namespace: string; name: string }, scope: string) => (scope === '*' ? `${sa.namespace}-${sa.name}-discovery` : `${sa.name}-discovery`);
const DISCOVERY_RULES = [
  { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
];

function rbacFix(ctx: RecipeContext): Proposal | Manual {
  const [saNs, saName] = (evidenceString(ctx.finding, 'serviceAccount') ?? '').split('/');
  const scope = evidenceString(ctx.finding, 'namespace');
  if (!saNs || !saName || !scope) return manual('the service account or namespace is unknown');
  const name = rbacNames({ namespace: saNs, name: saName }, scope);
  const subject = [{ kind: 'ServiceAccount', name: saName, namespace: saNs }];
  if (scope === '*') {
    return {
      create: [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: DISCOVERY_RULES },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: subject },
      ],
    };
  }
  return {
    create: [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: scope }, rules: DISCOVERY_RULES },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: scope }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: subject },
    ],
  };
}

/** ANNOTATIONS_NOT_ON_POD: the keys move from the object's own metadata to the metadata of its pods. */
function moveToPods(ctx: RecipeContext): Proposal | Manual {
  if (ctx.finding.evidence.lostAt) return manual('the resource asks for them and the running pod lacks them: restart the pod (or see why admission dropped them)');
  const object = ctx.inv.find(ctx.finding.subject);
  if (!object) return manual('the object is not in the inventory');
  const written = ctx.inv.asWritten(object);
  const keys = Array.isArray(ctx.finding.evidence.keys) ? (ctx.finding.evidence.keys as string[]) : [];
  const annotations = annotationsOf(written);
  const labels = labelsOf(written);
  const moved = { annotations: {} as Record<string, string>, labels: {} as Record<string, string> };
  const removed = { annotations: {} as Record<string, null>, labels: {} as Record<string, null> };
  for (const key of keys) {
    if (annotations[key] !== undefined) {
      moved.annotations[key] = annotations[key]!;
      removed.annotations[key] = null;
    }
    if (labels[key] !== undefined) {
      moved.labels[key] = labels[key]!;
      removed.labels[key] = null;
    }
  }
  const drop = <T>(o: Record<string, T>) => (Object.keys(o).length ? o : undefined);
  const metadata = { annotations: drop(removed.annotations), labels: drop(removed.labels) };
  const podMetadata = { annotations: drop(moved.annotations), labels: drop(moved.labels) };
  const ns = namespaceOf(object);
  // the operators' resources with a spec.podMetadata (an OpenTelemetryCollector's own metadata reaches its pods)
  if (['Prometheus', 'PrometheusAgent', 'VMAgent'].includes(object.kind ?? ''))
    return { target: object, patchType: 'merge', patch: JSON.parse(JSON.stringify({ metadata, spec: { podMetadata } })), restart: crRestart(object) };
  if (object.kind === 'CronJob' || object.kind === 'Pod') return manual(`a ${object.kind}'s pods take their metadata from its template: move the keys there`);
  return {
    target: object, patchType: 'strategic',
    patch: JSON.parse(JSON.stringify({ metadata, spec: { template: { metadata: podMetadata } } })),
    restart: `kubectl rollout restart ${(object.kind ?? '').toLowerCase()}/${nameOf(object)} -n ${ns}`,
  };
}

/** USER_VOLUME_MOUNT_READONLY: the sidecar's mount of the volume made writable, where it is declared. */
const writableMount = onPod((c, ctx) => {
  const volume = evidenceString(ctx.finding, 'volume');
  const mountPath = evidenceString(ctx.finding, 'mountPath');
  if (!volume || !mountPath) return manual('the volume or its mount is unknown');
  if (evidenceString(ctx.finding, 'declaredIn') === 'istio-proxy') {
    if (crOwnerOf(c.owner)) return manual(`the hand-written istio-proxy is in the ${c.owner.kind}'s spec.containers: drop readOnly from its mount there`);
    // a strategic merge of the mount (merge key mountPath, as written) sets only readOnly
    return { sidecarMounts: [{ name: volume, mountPath, readOnly: false }] };
  }
  const text = currentAnnotations(c.pp, c.written)[ANNOTATION.userVolumeMount];
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return manual('the annotation does not parse (USER_VOLUME_MOUNT_INVALID): fix it first');
  }
  const writable = (m: unknown) => (isMap(m) ? Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'readOnly')) : m);
  const fixed = Array.isArray(value) ? value.map((m) => (isMap(m) && m.name === volume ? writable(m) : m))
    : isMap(value) ? Object.fromEntries(Object.entries(value).map(([k, m]) => [k, k === volume ? writable(m) : m])) : undefined;
  if (fixed === undefined) return manual('the annotation is not a list or map of mounts');
  return { annotations: { [ANNOTATION.userVolumeMount]: JSON.stringify(fixed) } };
});

/** PROXY_CONFIG_FIELD_DROPPED: top-level keys written as proxyMetadata variables (UPPER_CASE) moved under proxyMetadata. */
const moveToProxyMetadata = (ctx: RecipeContext): Proposal | Manual => {
  const keys = Array.isArray(ctx.finding.evidence.keys) ? (ctx.finding.evidence.keys as string[]) : [];
  const guessed = keys.filter((k) => !/^[A-Z][A-Z0-9_]*$/.test(k));
  if (!keys.length || guessed.length) return manual(`which field ${guessed.join(', ') || 'was'} meant is a guess: a misspelling or a field of another Istio version`);
  let clash: string | undefined;
  const recipe = proxyConfigEdit((config) => {
    const pm = isMap(config.proxyMetadata) ? config.proxyMetadata : {};
    for (const key of keys) {
      if (key in pm && String(pm[key]) !== String(config[key])) clash = key;
      setProxyMetadata(config, key, String(config[key] ?? ''));
      delete config[key];
    }
  });
  const proposal = recipe(ctx);
  return clash ? manual(`proxyMetadata already sets ${clash} to another value: which one is meant is for the user to say`) : proposal;
};

/**
 * LEGACY_ISTIO_SECRET: the recipe of Istio ≥ 1.5 in place of the Secret Citadel wrote: the volume
 * becomes a memory emptyDir the sidecar writes OUTPUT_CERTS into (userVolumeMount, proxyMetadata,
 * merged with what is there), Prometheus keeps reading it where it mounts it, its own traffic leaves
 * the sidecar alone, and the pod gets the sidecar if it was kept from it by its own label or annotation.
 */
const recipeInsteadOfSecret = onPod((c, ctx) => {
  const volume = evidenceString(ctx.finding, 'volume');
  if (!volume) return manual('the volume name is unknown');
  const current = currentAnnotations(c.pp, c.written);
  const proxyConfig = editProxyConfig(current, (config) => setProxyMetadata(config, 'OUTPUT_CERTS', DEFAULT_OUTPUT_CERTS));
  if (proxyConfig === undefined) return manual('proxy.istio.io/config does not parse (PROXY_CONFIG_INVALID): fix it first');
  const edit: PodEdit = {
    annotations: {
      [ANNOTATION.proxyConfig]: proxyConfig,
      [ANNOTATION.userVolumeMount]: JSON.stringify([{ name: volume, mountPath: DEFAULT_OUTPUT_CERTS }]),
      [ANNOTATION.includeOutbound]: '',
      [ANNOTATION.includeInbound]: '',
    },
    volumes: [memoryVolume(volume)],
  };
  const prom = c.pp.pod.spec?.containers?.find((x) => x.name === c.pp.prometheusContainer);
  if (!prom?.volumeMounts?.some((m) => m.name === volume && !m.subPath)) edit.mounts = [{ name: volume, mountPath: promCertsDir(ctx, c.pp) }];
  if (!hasSidecar(c.pp.pod.spec)) {
    if (annotationsOf(c.pp.pod)[ANNOTATION.inject] === 'false') edit.annotations![ANNOTATION.inject] = null;
    if (labelsOf(c.pp.pod)[LABEL.inject] !== 'true') edit.labels = { [LABEL.inject]: 'true' };
  }
  return edit;
});

export const PROMETHEUS_FIXES = {
  LEGACY_ISTIO_SECRET: recipeInsteadOfSecret,
  USER_VOLUME_MOUNT_READONLY: writableMount,
  PROXY_CONFIG_FIELD_DROPPED: moveToProxyMetadata,
  ANNOTATIONS_NOT_ON_POD: moveToPods,
  SIDECAR_NOT_INJECTED: onPod((c, ctx) => {
    const cause = ctx.finding.evidence.cause;
    if (cause === 'host-network') return manual('Istio never injects a hostNetwork pod: Prometheus must leave the host network, which changes how it is reached');
    if (cause === 'namespace-disabled') return manual('the namespace label istio-injection=disabled wins over any pod label, and changing it injects every pod of the namespace');
    const edit: PodEdit = { labels: { [LABEL.inject]: 'true' } };
    if (annotationsOf(c.pp.pod)[ANNOTATION.inject] === 'false') edit.annotations = { [ANNOTATION.inject]: null };
    return edit;
  }),
  OUTPUT_CERTS_MISSING: (ctx) => {
    if (ctx.finding.evidence.annotationOutputCerts) return manual('the annotation names OUTPUT_CERTS, but the injector template does not pass it to the sidecar: fix the injection template');
    return proxyConfigEdit((config, c) => setProxyMetadata(config, 'OUTPUT_CERTS', certsVolumeOf(c.pp.pod)?.sidecarMountPath ?? DEFAULT_OUTPUT_CERTS))(ctx);
  },
  STARTUP_RACE: proxyConfigEdit((config) => {
    config.holdApplicationUntilProxyStarts = true;
  }),
  CERTS_PATH_MISMATCH: (ctx) => {
    const mountPath = evidenceString(ctx.finding, 'mountPath');
    if (!mountPath) return manual('the sidecar mount path is unknown');
    return proxyConfigEdit((config) => setProxyMetadata(config, 'OUTPUT_CERTS', mountPath))(ctx);
  },
  USER_VOLUME_MOUNT_MISSING: onPod((c, ctx) => {
    const volume = certsVolumeName(c.pp);
    const mountPath = outputCertsDir(c.pp.pod) ?? DEFAULT_OUTPUT_CERTS;
    return { annotations: { [ANNOTATION.userVolumeMount]: JSON.stringify([{ name: volume, mountPath }]) }, ...plumbing(ctx, c.pp, volume) };
  }),
  USER_VOLUME_MOUNT_INVALID: onPod((c) => {
    const text = currentAnnotations(c.pp, c.written)[ANNOTATION.userVolumeMount] ?? '';
    const repaired = repairUserVolumeMount(text, outputCertsDir(c.pp.pod));
    return repaired ? { annotations: { [ANNOTATION.userVolumeMount]: repaired } } : manual('what the annotation meant cannot be read from it');
  }),
  CERTS_VOLUME_MISSING: onPod((_c, ctx) => {
    const volume = evidenceString(ctx.finding, 'volume');
    return volume ? { volumes: [memoryVolume(volume)] } : manual('the volume name is unknown');
  }),
  CERTS_VOLUME_NOT_MEMORY: onPod((_c, ctx) => {
    const volume = evidenceString(ctx.finding, 'volume');
    return volume ? { volumes: [memoryVolume(volume)] } : manual('the volume name is unknown');
  }),
  CERTS_NOT_MOUNTED: onPod((c, ctx) => {
    const volume = evidenceString(ctx.finding, 'volume');
    if (!volume) return manual('the volume name is unknown');
    const existing = prometheusCertsMount(c.pp.pod, c.pp.prometheusContainer);
    return { mounts: [{ name: volume, mountPath: existing?.mountPath ?? promCertsDir(ctx, c.pp) }] };
  }),
  OUTBOUND_CAPTURED: onPod(() => ({ annotations: { [ANNOTATION.includeOutbound]: '' } })),
  INBOUND_CAPTURED: onPod(() => ({ annotations: { [ANNOTATION.includeInbound]: '' } })),
  PROMETHEUS_RBAC_MISSING: rbacFix,
  FS_ACCESS_DENIED: (ctx) => {
    // Prometheus, PrometheusAgent and VMAgent say it in spec.arbitraryFSAccessThroughSMs; Alloy in its configuration text
    if (evidenceString(ctx.finding, 'scraper') === 'Alloy')
      return manual(`the rule is in Alloy's configuration (${evidenceString(ctx.finding, 'where') ?? 'its prometheus.operator components'}), text in a ConfigMap, not an object field a patch can set`);
    const prometheus = ctx.inv.find(ctx.finding.subject) as PrometheusResource | undefined;
    if (!prometheus || !['Prometheus', 'PrometheusAgent', 'VMAgent'].includes(prometheus.kind ?? '')) return manual('the resource that sets arbitraryFSAccessThroughSMs is not in the inventory');
    return { target: prometheus, patchType: 'merge', patch: { spec: { arbitraryFSAccessThroughSMs: { deny: false } } } };
  },
} satisfies Record<string, Recipe>;

