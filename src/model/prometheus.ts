/**
 * Which objects run Prometheus, and the pod each would make: the operator's StatefulSet pod for a
 * Prometheus resource (podMetadata, volumes, volumeMounts, containers patches), or the template of
 * a plain StatefulSet/Deployment/Pod that runs Prometheus without the operator.
 */
import type { Container, KubeObject, Pod, PodSpec, PodTemplate, PrometheusResource, VolumeMount } from './k8s.js';
import { nameOf, namespaceOf } from './k8s.js';
import type { PodLayer, PrometheusPod } from './inventory.js';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;

/**
 * The operator's resources that run a Prometheus server: Prometheus, and PrometheusAgent
 * (monitoring.coreos.com/v1alpha1, agent mode), which selects monitors with the same fields.
 */
export const PROMETHEUS_RESOURCE_KINDS = ['Prometheus', 'PrometheusAgent'] as const;

export function isPrometheusResource(o: KubeObject): o is PrometheusResource {
  return (PROMETHEUS_RESOURCE_KINDS as readonly string[]).includes(o.kind ?? '');
}

/** The operator names a PrometheusAgent's StatefulSet `prom-agent-<name>`, a Prometheus's `prometheus-<name>`. */
export function statefulSetNameOf(cr: PrometheusResource): string {
  return `${cr.kind === 'PrometheusAgent' ? 'prom-agent' : 'prometheus'}-${nameOf(cr)}`;
}

/** The pod template of a workload object, or the pod itself. */
export function podTemplateOf(o: KubeObject): PodTemplate | undefined {
  if (o.kind === 'Pod') return { metadata: o.metadata, spec: (o as Pod).spec };
  const spec = o.spec as { template?: PodTemplate; jobTemplate?: { spec?: { template?: PodTemplate } } } | undefined;
  if (o.kind === 'CronJob') return spec?.jobTemplate?.spec?.template;
  return (WORKLOAD_KINDS as readonly string[]).includes(o.kind ?? '') ? spec?.template : undefined;
}

const PROMETHEUS_IMAGE = /(^|\/)prometheus(:|@|$)/;

/** The container that runs the Prometheus server, if any: named `prometheus`, or running its image. */
export function prometheusContainerOf(spec: PodSpec | undefined): Container | undefined {
  const containers = spec?.containers ?? [];
  return containers.find((c) => c.name === 'prometheus') ?? containers.find((c) => PROMETHEUS_IMAGE.test(c.image ?? ''));
}

/**
 * A plain workload (no operator) runs Prometheus when one of its containers does. The well-known
 * labels alone are not enough, as in the cluster source: charts put `app: prometheus` on every
 * component, the node-exporter DaemonSet and the Alertmanager too.
 */
function runsPrometheus(o: KubeObject): boolean {
  const template = podTemplateOf(o);
  if (!template) return false;
  if (o.metadata?.ownerReferences?.some((r) => (PROMETHEUS_RESOURCE_KINDS as readonly string[]).includes(r.kind ?? ''))) return false; // the resource speaks for it
  return prometheusContainerOf(template.spec) !== undefined;
}

/** Volumes and mounts the operator always adds to a Prometheus pod (prometheus-operator StatefulSet). */
function operatorDefaults(name: string, base: string): { mounts: VolumeMount[]; volumes: { name: string; [k: string]: unknown }[] } {
  return {
    mounts: [
      { name: 'config-out', mountPath: '/etc/prometheus/config_out', readOnly: true },
      { name: 'tls-assets', mountPath: '/etc/prometheus/certs', readOnly: true },
      { name: `${base}-db`, mountPath: '/prometheus' },
      { name: 'web-config', mountPath: '/etc/prometheus/web_config/web-config.yaml', subPath: 'web-config.yaml', readOnly: true },
    ],
    volumes: [
      { name: 'config', secret: { secretName: base } },
      { name: 'tls-assets', projected: {} },
      { name: 'config-out', emptyDir: { medium: 'Memory' } },
      { name: `${base}-db`, emptyDir: {} },
      { name: 'web-config', secret: { secretName: `${base}-web-config` } },
    ],
  };
}

/** Strategic merge of spec.containers patches by name, as the operator applies them. */
function mergeContainers(base: Container[], patches: Container[] | undefined): Container[] {
  const out = base.map((c) => ({ ...c }));
  for (const patch of patches ?? []) {
    const i = out.findIndex((c) => c.name === patch.name);
    if (i < 0) {
      out.push({ ...patch });
      continue;
    }
    const merged: Container = { ...out[i], ...patch };
    if (out[i].volumeMounts || patch.volumeMounts) {
      const byPath = new Map<string, VolumeMount>();
      for (const m of [...(out[i].volumeMounts ?? []), ...(patch.volumeMounts ?? [])]) byPath.set(m.mountPath ?? m.name ?? '', m);
      merged.volumeMounts = [...byPath.values()];
    }
    if (out[i].env || patch.env) {
      const byName = new Map((out[i].env ?? []).map((e) => [e.name, e]));
      for (const e of patch.env ?? []) byName.set(e.name, e);
      merged.env = [...byName.values()];
    }
    out[i] = merged;
  }
  return out;
}

/** The pod a Prometheus resource's StatefulSet would create, before admission (no sidecar yet). */
export function podFromPrometheusResource(cr: PrometheusResource): Pod {
  const name = nameOf(cr);
  const spec = cr.spec ?? {};
  const base = statefulSetNameOf(cr);
  const defaults = operatorDefaults(name, base);
  const labels: Record<string, string> = {
    ...(spec.podMetadata?.labels ?? {}),
    'app.kubernetes.io/name': cr.kind === 'PrometheusAgent' ? 'prometheus-agent' : 'prometheus',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/managed-by': 'prometheus-operator',
    prometheus: name,
    'operator.prometheus.io/name': name,
    'operator.prometheus.io/shard': '0',
  };
  const prometheus: Container = {
    name: 'prometheus',
    image: spec.image ?? `quay.io/prometheus/prometheus:${spec.version ?? 'latest'}`,
    volumeMounts: [...defaults.mounts, ...(spec.volumeMounts ?? [])],
  };
  const reloader: Container = { name: 'config-reloader', volumeMounts: [{ name: 'config', mountPath: '/etc/prometheus/config' }] };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${base}-0`,
      namespace: namespaceOf(cr),
      labels,
      annotations: { 'kubectl.kubernetes.io/default-container': 'prometheus', ...(spec.podMetadata?.annotations ?? {}) },
    },
    spec: {
      serviceAccountName: spec.serviceAccountName ?? 'default',
      securityContext: spec.securityContext ?? { runAsUser: 1000, runAsGroup: 2000, fsGroup: 2000 },
      initContainers: mergeContainers([], spec.initContainers),
      containers: mergeContainers([prometheus, reloader], spec.containers),
      volumes: [...defaults.volumes, ...(spec.volumes ?? [])],
    },
  };
}

/** Offline: the Prometheus pods the manifests describe, one per resource or workload. */
export function prometheusPodsFromManifests(objects: readonly KubeObject[]): PrometheusPod[] {
  const pods: PrometheusPod[] = [];
  for (const o of objects) {
    if (isPrometheusResource(o)) {
      pods.push({
        subject: o,
        namespace: namespaceOf(o),
        pod: podFromPrometheusResource(o),
        admitted: false,
        prometheusContainer: 'prometheus',
        resource: o,
        layers: [{ kind: o.kind as PodLayer['kind'], object: o, podMetadata: o.spec?.podMetadata }],
      });
    } else if (runsPrometheus(o)) {
      const template = podTemplateOf(o)!;
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: namespaceOf(o), ...template.metadata }, spec: template.spec };
      pods.push({
        subject: o,
        namespace: namespaceOf(o),
        pod,
        admitted: o.kind === 'Pod' && hasSidecar(template.spec),
        prometheusContainer: prometheusContainerOf(template.spec)?.name ?? template.spec?.containers?.[0]?.name ?? 'prometheus',
        layers: [{ kind: o.kind as PodLayer['kind'], object: o, podMetadata: template.metadata }],
      });
    }
  }
  return pods;
}

/** istio-proxy as a container or as a native sidecar (an init container with restartPolicy Always). */
export function sidecarOf(spec: PodSpec | undefined): Container | undefined {
  return spec?.containers?.find((c) => c.name === 'istio-proxy') ?? spec?.initContainers?.find((c) => c.name === 'istio-proxy');
}

export function hasSidecar(spec: PodSpec | undefined): boolean {
  return sidecarOf(spec) !== undefined;
}
