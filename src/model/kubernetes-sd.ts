/**
 * Prometheus's Kubernetes service discovery (`kubernetes_sd_configs`) over the inventory's pods,
 * workloads and Services: the targets and `__meta_kubernetes_*` labels Prometheus's SD would give
 * (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config;
 * prometheus/discovery/kubernetes/{pod,endpoints,endpointslice,service}.go).
 *
 * - role `pod`: one target per declared container port (`<podIP>:<port>`), one per container
 *   without ports (`<podIP>`); pod labels, annotations, phase, readiness, container and port labels.
 * - role `endpoints` / `endpointslice`: one target per ready address of a Service and port (the pods
 *   its selector picks), with the Service's and the pod's labels, and one per container port of those
 *   pods that no Service port covers.
 * - role `service`: one target per Service port, `<name>.<namespace>.svc:<port>`.
 *
 * Offline, a manifest's pod template has no IP: a stable placeholder IPv4 stands in (10.244.x.y),
 * and the pod is seen as the Istio injector will make it (metrics-merging rewrite of
 * `prometheus.io/*`, `security.istio.io/tlsMode`, the istio-proxy container's 15090 port).
 */
import type { TargetWorkload } from './inventory.js';
import type { Container, KubeObject, Pod, PodTemplate, Service, ServicePort } from './k8s.js';
import { annotationsOf, labelsOf, nameOf, namespaceOf } from './k8s.js';
import { sidecarVerdict } from './mtls.js';
import { hasSidecar } from './prometheus.js';
import type { Labels } from './relabel.js';

export const SD_ROLES = ['pod', 'endpoints', 'endpointslice', 'service', 'node', 'ingress'] as const;
export type SdRole = (typeof SD_ROLES)[number];

export interface KubernetesSdConfig {
  role: SdRole;
  namespaces?: { names?: string[]; ownNamespace?: boolean };
  selectors?: { role?: string; label?: string; field?: string }[];
  /** another cluster's API: its objects are not in the inventory */
  apiServer?: string;
}

/** A target as discovery hands it to relabelling, with what it stands for in the inventory. */
export interface DiscoveredTarget {
  labels: Labels;
  namespace: string;
  workload?: TargetWorkload;
  /** the pod IP (or placeholder) the address was built from, to tell a rewritten address */
  podIp?: string;
  service?: Service;
  servicePort?: ServicePort;
}

/** Prometheus's strutil.SanitizeLabelName. */
export const sanitizeLabelName = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** `<prefix>_label_<name>` and `<prefix>_labelpresent_<name>` (or annotation), names sanitised. */
function mapMeta(prefix: string, kind: 'label' | 'annotation', values: Record<string, string>): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(values)) {
    const name = sanitizeLabelName(k);
    out[`${prefix}_${kind}_${name}`] = v;
    out[`${prefix}_${kind}present_${name}`] = 'true';
  }
  return out;
}
const mapLabels = (prefix: string, values: Record<string, string>) => mapMeta(prefix, 'label', values);
const mapAnnotations = (prefix: string, values: Record<string, string>) => mapMeta(prefix, 'annotation', values);

/** The namespaces a kubernetes_sd_config discovers in; `all` when it names none. */
export function sdNamespaces(sd: KubernetesSdConfig, ownNamespace: string | undefined): string[] | 'all' {
  const names = [...(sd.namespaces?.names ?? [])];
  if (sd.namespaces?.ownNamespace && ownNamespace) names.push(ownNamespace);
  return names.length ? [...new Set(names)] : 'all';
}

const ISTIO_PROXY_PORT = { name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' };
/** pilot-agent's merged metrics (the injector's rewrite of prometheus.io/*) */
const MERGED_METRICS = { port: '15020', path: '/stats/prometheus' };

/**
 * The pod as the injector will make it, for discovery: a template that will get a sidecar gains
 * the istio-proxy container port, `security.istio.io/tlsMode: istio` and, with metrics merging on
 * (the default; `prometheus.istio.io/merge-metrics: "false"` turns it off, as does
 * `prometheus.io/scrape: "false"`), prometheus.io/scrape, port and path pointing at 15020.
 */
export function asInjected(workload: TargetWorkload, namespaceObject: KubeObject | undefined): PodTemplate {
  const template = workload.template;
  if (hasSidecar(template.spec)) return template;
  if (sidecarVerdict(workload.object, template, namespaceObject).sidecar !== true) return template;
  const annotations = { ...annotationsOf(template) };
  if (annotations['prometheus.istio.io/merge-metrics'] !== 'false' && annotations['prometheus.io/scrape'] !== 'false') {
    Object.assign(annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': MERGED_METRICS.port, 'prometheus.io/path': MERGED_METRICS.path });
  }
  const labels = { 'security.istio.io/tlsMode': 'istio', ...labelsOf(template) };
  const proxy: Container = { name: 'istio-proxy', image: 'docker.io/istio/proxyv2', ports: [ISTIO_PROXY_PORT] };
  return {
    metadata: { ...template.metadata, labels, annotations },
    spec: { ...template.spec, containers: [...(template.spec?.containers ?? []), proxy] },
  };
}

export interface SdInventory {
  workloads: readonly TargetWorkload[];
  services: readonly Service[];
  namespaces?: readonly KubeObject[];
}

/** A pod's IP: the live one, else a stable placeholder from its position. */
function podIpOf(workload: TargetWorkload, index: number): string {
  const live = (workload.object as Pod).status?.podIP;
  if (workload.object.kind === 'Pod' && live) return live;
  return `10.244.${Math.floor(index / 250) % 250}.${(index % 250) + 1}`;
}

interface PodView {
  workload: TargetWorkload;
  template: PodTemplate;
  ip: string;
  name: string;
}

function podLabels(pod: PodView): Labels {
  const object = pod.workload.object as Pod;
  const owner = object.metadata?.ownerReferences?.find((r) => (r as { controller?: boolean }).controller) ?? (object.kind !== 'Pod' ? { kind: object.kind, name: nameOf(object) } : undefined);
  const labels: Labels = {
    __meta_kubernetes_namespace: pod.workload.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_ip: pod.ip,
    __meta_kubernetes_pod_ready: 'true',
    __meta_kubernetes_pod_phase: object.status?.phase ?? 'Running',
    __meta_kubernetes_pod_node_name: pod.template.spec?.nodeName ?? '',
    __meta_kubernetes_pod_host_ip: '',
    __meta_kubernetes_pod_uid: object.metadata?.uid ?? '',
    ...mapLabels('__meta_kubernetes_pod', labelsOf(pod.template)),
    ...mapAnnotations('__meta_kubernetes_pod', annotationsOf(pod.template)),
  };
  if (owner?.kind) {
    labels.__meta_kubernetes_pod_controller_kind = owner.kind;
    labels.__meta_kubernetes_pod_controller_name = owner.name ?? '';
  }
  return labels;
}

function containersOf(template: PodTemplate): { container: Container; init: boolean }[] {
  return [
    ...(template.spec?.containers ?? []).map((container) => ({ container, init: false })),
    ...(template.spec?.initContainers ?? []).map((container) => ({ container, init: true })),
  ];
}

function containerLabels(container: Container, init: boolean): Labels {
  return {
    __meta_kubernetes_pod_container_name: container.name ?? '',
    __meta_kubernetes_pod_container_image: container.image ?? '',
    __meta_kubernetes_pod_container_init: String(init),
  };
}

function portLabels(port: { name?: string; containerPort?: number; protocol?: string }): Labels {
  return {
    __meta_kubernetes_pod_container_port_name: port.name ?? '',
    __meta_kubernetes_pod_container_port_number: String(port.containerPort ?? ''),
    __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP',
  };
}

function serviceLabels(service: Service): Labels {
  const spec = service.spec ?? {};
  const labels: Labels = {
    __meta_kubernetes_namespace: namespaceOf(service),
    __meta_kubernetes_service_name: nameOf(service),
    ...mapLabels('__meta_kubernetes_service', labelsOf(service)),
    ...mapAnnotations('__meta_kubernetes_service', annotationsOf(service)),
  };
  if (typeof spec.clusterIP === 'string') labels.__meta_kubernetes_service_cluster_ip = spec.clusterIP;
  if (typeof spec.type === 'string') labels.__meta_kubernetes_service_type = spec.type;
  return labels;
}

const withPort = (ip: string, port: number | string) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** Kubernetes label selector text (`a=b,c!=d,e in (x,y),!f,g`) against labels. */
export function labelSelectorMatches(selector: string, labels: Record<string, string>): boolean {
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const term = raw.trim();
    if (!term) return true;
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim());
      const has = m[1]! in labels && values.includes(labels[m[1]!]!);
      return m[2] === 'in' ? has : !has;
    }
    m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
    if (m) return m[2] === '!=' ? labels[m[1]!] !== m[3] : labels[m[1]!] === m[3];
    if (term.startsWith('!')) return !(term.slice(1).trim() in labels);
    return term in labels;
  });
}

/** Field selectors Prometheus passes to the API; only metadata.name/namespace are judged here. */
function fieldSelectorMatches(selector: string, object: { name: string; namespace: string }): boolean {
  return selector.split(',').every((term) => {
    const m = /^\s*(metadata\.name|metadata\.namespace)\s*(==|!=|=)\s*(\S*)\s*$/.exec(term);
    if (!m) return true;
    const actual = m[1] === 'metadata.name' ? object.name : object.namespace;
    return m[2] === '!=' ? actual !== m[3] : actual === m[3];
  });
}

function selectedBy(sd: KubernetesSdConfig, role: string, labels: Record<string, string>, id: { name: string; namespace: string }): boolean {
  return (sd.selectors ?? []).filter((s) => s.role === role).every((s) => (!s.label || labelSelectorMatches(s.label, labels)) && (!s.field || fieldSelectorMatches(s.field, id)));
}

/** The targets one kubernetes_sd_config discovers in the inventory. */
export function discoverKubernetes(sd: KubernetesSdConfig, ownNamespace: string | undefined, inventory: SdInventory): DiscoveredTarget[] {
  const scope = sdNamespaces(sd, ownNamespace);
  const inScope = (ns: string) => scope === 'all' || scope.includes(ns);
  const namespaceObject = (ns: string) => inventory.namespaces?.find((n) => nameOf(n) === ns);
  const pods: PodView[] = inventory.workloads.map((workload, index) => ({
    workload,
    template: asInjected(workload, namespaceObject(workload.namespace)),
    ip: podIpOf(workload, index),
    name: workload.object.kind === 'Pod' ? nameOf(workload.object) : `${nameOf(workload.object)}-0`,
  }));
  const podSelected = (pod: PodView) => inScope(pod.workload.namespace) && selectedBy(sd, 'pod', labelsOf(pod.template), { name: pod.name, namespace: pod.workload.namespace });
  const services = inventory.services.filter((s) => inScope(namespaceOf(s)) && selectedBy(sd, sd.role === 'endpointslice' ? 'service' : 'service', labelsOf(s), { name: nameOf(s), namespace: namespaceOf(s) }));
  const out: DiscoveredTarget[] = [];

  const podTargets = (pod: PodView, base: Labels, covered: Set<string> = new Set()) => {
    for (const { container, init } of containersOf(pod.template)) {
      const ports = container.ports ?? [];
      if (!ports.length) {
        if (covered.size) continue; // endpoints: only the uncovered container ports are added
        out.push({ labels: { ...base, ...containerLabels(container, init), __address__: pod.ip }, namespace: pod.workload.namespace, workload: pod.workload, podIp: pod.ip });
        continue;
      }
      for (const port of ports) {
        if (port.containerPort === undefined || covered.has(`${port.containerPort}`)) continue;
        out.push({
          labels: { ...base, ...containerLabels(container, init), ...portLabels(port), __address__: withPort(pod.ip, port.containerPort) },
          namespace: pod.workload.namespace, workload: pod.workload, podIp: pod.ip,
        });
      }
    }
  };

  switch (sd.role) {
    case 'pod':
      for (const pod of pods.filter(podSelected)) podTargets(pod, podLabels(pod));
      break;
    case 'service':
      for (const service of services) {
        for (const port of service.spec?.ports ?? []) {
          out.push({
            labels: {
              ...serviceLabels(service),
              __address__: `${nameOf(service)}.${namespaceOf(service)}.svc:${port.port ?? ''}`,
              __meta_kubernetes_service_port_name: port.name ?? '',
              __meta_kubernetes_service_port_number: String(port.port ?? ''),
              __meta_kubernetes_service_port_protocol: port.protocol ?? 'TCP',
            },
            namespace: namespaceOf(service), service, servicePort: port,
          });
        }
      }
      break;
    case 'endpoints':
    case 'endpointslice': {
      const slice = sd.role === 'endpointslice';
      for (const service of services) {
        const selector = service.spec?.selector;
        if (!selector || !Object.keys(selector).length) continue;
        const backing = pods.filter((p) => p.workload.namespace === namespaceOf(service) && Object.entries(selector).every(([k, v]) => labelsOf(p.template)[k] === v));
        const sliceName = `${nameOf(service)}-${slice ? 'abcde' : ''}`.replace(/-$/, '');
        const objectLabels: Labels = slice
          ? { __meta_kubernetes_endpointslice_name: sliceName, __meta_kubernetes_endpointslice_address_type: 'IPv4', ...mapLabels('__meta_kubernetes_endpointslice', { ...labelsOf(service), 'kubernetes.io/service-name': nameOf(service), 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }) }
          : { __meta_kubernetes_endpoints_name: nameOf(service), ...mapLabels('__meta_kubernetes_endpoints', labelsOf(service)) };
        for (const pod of backing) {
          if (!selectedBy(sd, 'pod', labelsOf(pod.template), { name: pod.name, namespace: pod.workload.namespace })) continue;
          const base = { ...serviceLabels(service), ...podLabels(pod), ...objectLabels };
          const covered = new Set<string>();
          for (const port of service.spec?.ports ?? []) {
            const target = resolveTargetPort(pod.template, port);
            if (target === undefined) continue;
            covered.add(String(target));
            const container = containersOf(pod.template).find(({ container: c }) => (c.ports ?? []).some((p) => p.containerPort === target));
            const containerPort = container?.container.ports?.find((p) => p.containerPort === target);
            const endpoint: Labels = slice
              ? {
                  __meta_kubernetes_endpointslice_port: String(target), __meta_kubernetes_endpointslice_port_name: port.name ?? '',
                  __meta_kubernetes_endpointslice_port_protocol: port.protocol ?? 'TCP',
                  __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
                  __meta_kubernetes_endpointslice_address_target_kind: 'Pod', __meta_kubernetes_endpointslice_address_target_name: pod.name,
                  ...(port.appProtocol ? { __meta_kubernetes_endpointslice_port_app_protocol: port.appProtocol } : {}),
                }
              : {
                  __meta_kubernetes_endpoint_port_name: port.name ?? '', __meta_kubernetes_endpoint_port_protocol: port.protocol ?? 'TCP',
                  __meta_kubernetes_endpoint_ready: 'true',
                  __meta_kubernetes_endpoint_address_target_kind: 'Pod', __meta_kubernetes_endpoint_address_target_name: pod.name,
                };
            out.push({
              labels: {
                ...base, ...endpoint,
                ...(container && containerPort ? { ...containerLabels(container.container, container.init), ...portLabels(containerPort) } : {}),
                __address__: withPort(pod.ip, target),
              },
              namespace: pod.workload.namespace, workload: pod.workload, podIp: pod.ip, service, servicePort: port,
            });
          }
          podTargets(pod, base, covered.size ? covered : new Set(['-']));
        }
      }
      break;
    }
    default:
      break; // node and ingress: nothing the inventory holds
  }
  return out;
}

/** A Service port's targetPort as a container port number in this pod. */
export function resolveTargetPort(template: PodTemplate, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string' || !target) return undefined;
  if (/^\d+$/.test(target)) return Number(target);
  return containersOf(template).flatMap(({ container }) => container.ports ?? []).find((p) => p.name === target)?.containerPort;
}
