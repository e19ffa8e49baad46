/**
 * The simulated cluster's objects: the scenario's objects plus what the controllers would make of
 * them (the prometheus-operator's StatefulSet and governing Service, Deployment → ReplicaSet → Pod,
 * StatefulSet → Pod, Istio's injection, ServiceAccount admission, istiod's root ConfigMap, and the
 * EndpointSlice / Endpoints controllers). Pods run on loopback addresses, so a pod's status.podIP
 * is where its simulated sidecar listens.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Container, KubeObject, Pod, PrometheusResource, Service } from '../model/k8s.js';
import { isPrometheusResource, podFromPrometheusResource, statefulSetNameOf } from '../model/prometheus.js';
import { alloyContainerOf, collectorSelectorLabels, collectorWorkloadKind, podFromCollector, podFromVMAgent, vmAgentSelectorLabels, vmAgentWorkloadKind, type ScraperKind } from '../model/scraper.js';
import { API_RESOURCES, resourceForKind, storageKey, type ApiResource } from './discovery.js';
import { injectionBlocker } from '../model/istio.js';
import { injectionDenied, injectSidecar } from './inject.js';
import { matchesLabels } from '../model/selectors.js';
import type { Scenario } from './scenario.js';

const NODE_NAME = 'sim-node-1';
export const MESH_ROOT_NAMESPACE = 'istio-system';

/** A running pod and where it came from. */
export interface SimPod {
  pod: Pod;
  ip: string;
  /** `<namespace>/<name>` of the outermost workload (Deployment, StatefulSet, Prometheus, or the Pod) */
  workload: string;
  injected: boolean;
  /** the Prometheus resource that owns it */
  prometheus?: PrometheusResource;
  /** the other scraper it runs: the VMAgent or OpenTelemetryCollector that owns it, or the Alloy workload */
  scraper?: { kind: Exclude<ScraperKind, 'Prometheus' | 'PrometheusAgent'>; object: KubeObject };
}

/** The scraper a workload's pods run (other than Prometheus): its operator's resource, or the workload itself for Alloy. */
function scraperOf(state: ClusterState, workload: KubeObject, template: { spec?: Pod['spec'] } | undefined): SimPod['scraper'] {
  for (const ref of workload.metadata?.ownerReferences ?? []) {
    if (ref.kind !== 'VMAgent' && ref.kind !== 'OpenTelemetryCollector') continue;
    const object = state.ofKind(ref.kind, workload.metadata?.namespace).find((o) => o.metadata?.name === ref.name);
    if (object) return { kind: ref.kind, object };
  }
  return alloyContainerOf(template?.spec) ? { kind: 'Alloy', object: workload } : undefined;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Deterministic name suffixes, shaped like the controllers' random ones. */
function suffix(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  return Array.from(digest.subarray(0, length), (b) => ALPHANUMS[b % ALPHANUMS.length]).join('');
}

/**
 * Pods get loopback addresses in a block of their own (127.<A>.<B>.1 onwards, 254 per /24), so that
 * several simulated meshes (parallel tests, a demo) never share an address: the block is chosen
 * at random (see `randomAddressBlock`) and the start retried elsewhere if taken.
 */
export function podAddress(block: number, index: number): string {
  const third = (block & 0xff) + Math.floor(index / 254);
  // past the /16 (more than 32,000 pods): on into the next second octet
  return `127.${(block >> 8) + (third >> 8)}.${third & 0xff}.${1 + (index % 254)}`;
}

/** A random pod address block: second octet 1–250, third octet 0–127 (room for 32 000 pods above it). */
function randomAddressBlock(): number {
  return ((1 + Math.floor(Math.random() * 250)) << 8) | Math.floor(Math.random() * 128);
}

export class ClusterState {
  private readonly store = new Map<string, KubeObject[]>();
  readonly pods: SimPod[] = [];
  /** pods the admission webhook refused, with the reason (shown as events of their controller) */
  readonly deniedPods: { namespace: string; owner: string; message: string }[] = [];
  private resourceVersion = 1000;

  readonly meshRootPem: string;
  /** the API server's CA, which kube-root-ca.crt holds */
  readonly apiCaPem: string;

  constructor(readonly scenario: Scenario, roots: { meshRootPem: string; apiCaPem: string }, readonly addressBlock = randomAddressBlock()) {
    this.meshRootPem = roots.meshRootPem;
    this.apiCaPem = roots.apiCaPem;
    build(this);
  }

  add(o: KubeObject): KubeObject {
    const resource = resourceForKind(o.apiVersion, o.kind);
    if (!resource) throw new Error(`simulator: no API resource serves ${o.apiVersion} ${o.kind} (${o.metadata?.name})`);
    const metadata = {
      ...o.metadata,
      ...(resource.namespaced ? { namespace: o.metadata?.namespace ?? 'default' } : {}),
      uid: o.metadata?.uid ?? randomUUID(),
      resourceVersion: String(++this.resourceVersion),
      creationTimestamp: o.metadata?.creationTimestamp ?? new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const stored = { ...o, metadata };
    const key = storageKey(resource);
    const list = this.store.get(key);
    // appended in place: a copy of the whole list per object made a mesh of 50,000 pods take minutes
    if (list) list.push(stored);
    else this.store.set(key, [stored]);
    return stored;
  }

  list(resource: Pick<ApiResource, 'group' | 'resource'>, namespace?: string): KubeObject[] {
    const all = this.store.get(storageKey(resource)) ?? [];
    return namespace ? all.filter((o) => o.metadata?.namespace === namespace) : all;
  }

  get(resource: Pick<ApiResource, 'group' | 'resource'>, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.list(resource, namespace).find((o) => o.metadata?.name === name);
  }

  ofKind(kind: string, namespace?: string): KubeObject[] {
    const resource = API_RESOURCES.find((r) => r.kind === kind);
    return resource ? this.list(resource, namespace) : [];
  }

  /** The list's resourceVersion: the newest object's. */
  get latestResourceVersion(): string {
    return String(this.resourceVersion);
  }

  /** Replaces a stored object (a PATCH of an object the controllers made). */
  replace(old: KubeObject, next: KubeObject): KubeObject {
    for (const list of this.store.values()) {
      const i = list.indexOf(old);
      if (i >= 0) {
        list[i] = { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.resourceVersion) } };
        return list[i]!;
      }
    }
    return old;
  }

  /**
   * Plays the controllers again from the scenario's objects (after a PATCH of one of them): the
   * operator's StatefulSet, the pods as injected now, EndpointSlices. Pods keep their addresses
   * when they are the same pods in the same order.
   */
  rebuild(): void {
    this.store.clear();
    this.pods.length = 0;
    this.deniedPods.length = 0;
    build(this);
  }

  podByName(namespace: string, name: string): SimPod | undefined {
    return this.pods.find((p) => p.pod.metadata?.namespace === namespace && p.pod.metadata?.name === name);
  }
}

const ownerRef = (owner: KubeObject) => ({
  apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata?.name, uid: owner.metadata?.uid, controller: true, blockOwnerDeletion: true,
});

function build(state: ClusterState): void {
  const { scenario } = state;
  const explicit = scenario.objects.map((o) => state.add(structuredClone(o)));
  const namespaces = new Set(['default', 'kube-system', 'kube-public', MESH_ROOT_NAMESPACE]);
  for (const o of explicit) if (o.kind !== 'Namespace' && o.metadata?.namespace) namespaces.add(o.metadata.namespace);
  const declared = new Set(state.ofKind('Namespace').map((n) => n.metadata?.name));
  for (const name of namespaces) if (!declared.has(name)) state.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  for (const ns of state.ofKind('Namespace')) {
    const name = ns.metadata!.name!;
    ns.metadata!.labels = { 'kubernetes.io/metadata.name': name, ...ns.metadata!.labels };
    ns.spec = { finalizers: ['kubernetes'] };
    ns.status = { phase: 'Active' };
    if (!state.get({ group: '', resource: 'serviceaccounts' }, name, 'default')) state.add({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
    // istiod's namespace controller writes the mesh root into every namespace
    state.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-ca-root-cert', namespace: name, labels: { 'istio.io/config': 'true' } }, data: { 'root-cert.pem': state.meshRootPem } });
    state.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: name, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': state.apiCaPem } });
  }
  state.add({
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux' } },
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] },
  });

  for (const prom of [...state.ofKind('Prometheus'), ...state.ofKind('PrometheusAgent')] as PrometheusResource[]) runOperator(state, prom);
  for (const agent of state.ofKind('VMAgent')) runScraperOperator(state, agent, `vmagent-${agent.metadata!.name}`, vmAgentWorkloadKind(agent), podFromVMAgent(agent), vmAgentSelectorLabels(agent.metadata!.name!));
  for (const collector of state.ofKind('OpenTelemetryCollector')) {
    const kind = collectorWorkloadKind(collector);
    if (kind !== 'Pod') runScraperOperator(state, collector, `${collector.metadata!.name}-collector`, kind, podFromCollector(collector), collectorSelectorLabels(collector));
  }
  for (const deploy of state.ofKind('Deployment')) runDeployment(state, deploy);
  for (const sts of state.ofKind('StatefulSet')) {
    if (!sts.metadata?.ownerReferences?.some((r) => isPrometheusResource({ kind: r.kind }))) runStatefulSet(state, sts, `${sts.metadata!.namespace}/${sts.metadata!.name}`);
  }
  for (const ds of state.ofKind('DaemonSet')) runStatefulSet(state, { ...ds, spec: { ...(ds.spec as object), replicas: 1 } }, `${ds.metadata!.namespace}/${ds.metadata!.name}`, undefined, ds);
  for (const pod of explicit.filter((o) => o.kind === 'Pod') as Pod[]) admitExisting(state, pod);
  for (const svc of state.ofKind('Service') as Service[]) runEndpointControllers(state, svc);
}

/**
 * The VictoriaMetrics and OpenTelemetry operators: the workload of a VMAgent (vmagent-<name>) or a
 * collector (<name>-collector) with the pod the operator builds; the Deployment/StatefulSet
 * controllers then make its pods. (A DaemonSet runs one pod, on the one simulated node.)
 */
function runScraperOperator(state: ClusterState, owner: KubeObject, name: string, kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', pod: Pod, selectorLabels: Record<string, string>): void {
  owner.status = { replicas: 1, availableReplicas: 1 };
  state.add({
    apiVersion: 'apps/v1', kind,
    metadata: { name, namespace: owner.metadata!.namespace, labels: { ...selectorLabels }, ownerReferences: [ownerRef(owner)] },
    spec: { replicas: 1, selector: { matchLabels: selectorLabels }, template: { metadata: { labels: pod.metadata!.labels, annotations: pod.metadata!.annotations }, spec: pod.spec } },
  });
}

/** prometheus-operator: a StatefulSet `prometheus-<name>` (`prom-agent-<name>` for a PrometheusAgent) of the pod it builds, and the governing Service. */
function runOperator(state: ClusterState, prom: PrometheusResource): void {
  const name = prom.metadata!.name!;
  const namespace = prom.metadata!.namespace!;
  const podShape = podFromPrometheusResource(prom);
  prom.status = { availableReplicas: prom.spec?.replicas ?? 1, replicas: prom.spec?.replicas ?? 1, conditions: [{ type: 'Available', status: 'True' }, { type: 'Reconciled', status: 'True' }] };
  const appName = podShape.metadata!.labels!['app.kubernetes.io/name']!;
  const selectorLabels = { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'prometheus-operator', 'app.kubernetes.io/name': appName, 'operator.prometheus.io/name': name, 'operator.prometheus.io/shard': '0', prometheus: name };
  const container = podShape.spec!.containers!.find((c) => c.name === 'prometheus')!;
  container.ports = [{ containerPort: 9090, name: 'web', protocol: 'TCP' }];
  container.args = ['--web.console.templates=/etc/prometheus/consoles', '--config.file=/etc/prometheus/config_out/prometheus.env.yaml', '--web.enable-lifecycle', '--web.route-prefix=/'];
  const sts = state.add({
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: statefulSetNameOf(prom), namespace, labels: { ...selectorLabels }, annotations: { 'prometheus-operator-input-hash': suffix(name, 16) }, ownerReferences: [ownerRef(prom)] },
    spec: {
      replicas: prom.spec?.replicas ?? 1, serviceName: 'prometheus-operated', podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorLabels },
      template: { metadata: { labels: podShape.metadata!.labels, annotations: podShape.metadata!.annotations }, spec: podShape.spec },
    },
  });
  const governing = prom.kind === 'PrometheusAgent' ? 'prometheus-agent-operated' : 'prometheus-operated';
  if (!state.get({ group: '', resource: 'services' }, namespace, governing)) {
    state.add({
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: governing, namespace, labels: { 'operator.prometheus.io/name': name, 'managed-by': 'prometheus-operator' }, ownerReferences: [ownerRef(prom)] },
      spec: { clusterIP: 'None', ports: [{ name: 'web', port: 9090, protocol: 'TCP', targetPort: 'web' }], selector: { 'app.kubernetes.io/name': appName } },
    });
  }
  runStatefulSet(state, sts, `${namespace}/${name}`, prom);
}

function runStatefulSet(state: ClusterState, sts: KubeObject, workload: string, prometheus?: PrometheusResource, owner: KubeObject = sts): void {
  const spec = sts.spec as { replicas?: number; template?: { metadata?: Pod['metadata']; spec?: Pod['spec'] } };
  const replicas = spec.replicas ?? 1;
  const owners = { prometheus, scraper: prometheus ? undefined : scraperOf(state, owner, spec.template) };
  const ready = Array.from({ length: replicas }, (_, i) => createPod(state, sts, `${sts.metadata!.name}-${i}`, spec.template ?? {}, workload, owners,
    { 'apps.kubernetes.io/pod-index': String(i), 'controller-revision-hash': `${sts.metadata!.name}-${suffix(sts.metadata!.name!, 10)}`, 'statefulset.kubernetes.io/pod-name': `${sts.metadata!.name}-${i}` }));
  sts.status = { replicas, readyReplicas: ready.filter(Boolean).length, availableReplicas: ready.filter(Boolean).length, currentReplicas: replicas };
}

function runDeployment(state: ClusterState, deploy: KubeObject): void {
  const spec = deploy.spec as { replicas?: number; selector?: unknown; template?: { metadata?: Pod['metadata']; spec?: Pod['spec'] } };
  const hash = suffix(`${deploy.metadata!.namespace}/${deploy.metadata!.name}`, 10);
  const replicas = spec.replicas ?? 1;
  const template = { ...spec.template, metadata: { ...spec.template?.metadata, labels: { ...spec.template?.metadata?.labels, 'pod-template-hash': hash } } };
  const rs = state.add({
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: `${deploy.metadata!.name}-${hash}`, namespace: deploy.metadata!.namespace, labels: template.metadata.labels, ownerReferences: [ownerRef(deploy)] },
    spec: { replicas, selector: spec.selector, template },
  });
  let ready = 0;
  for (let i = 0; i < replicas; i++) {
    if (createPod(state, rs, `${rs.metadata!.name}-${suffix(`${rs.metadata!.name}/${i}`, 5)}`, template, `${deploy.metadata!.namespace}/${deploy.metadata!.name}`, { scraper: scraperOf(state, deploy, template) })) ready++;
  }
  rs.status = { replicas: ready, readyReplicas: ready, availableReplicas: ready };
  deploy.status = { replicas: ready, readyReplicas: ready, availableReplicas: ready, updatedReplicas: ready };
}

/** ServiceAccount admission: the projected API token volume, mounted in every container. */
function withServiceAccountVolume(pod: Pod): Pod {
  const volumeName = `kube-api-access-${suffix(pod.metadata?.name ?? '', 5)}`;
  const mount = { name: volumeName, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true };
  const addMount = (c: Container): Container => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), mount] });
  return {
    ...pod,
    spec: {
      ...pod.spec,
      serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
      serviceAccount: pod.spec?.serviceAccountName ?? 'default',
      containers: (pod.spec?.containers ?? []).map(addMount),
      initContainers: (pod.spec?.initContainers ?? []).map((c) => (c.restartPolicy === 'Always' ? addMount(c) : c)),
      volumes: [...(pod.spec?.volumes ?? []), { name: volumeName, projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } }] } }],
    },
  };
}

/** Admission (injection, service account) and a running status; false when the webhook denies the pod. */
function admit(state: ClusterState, pod: Pod, workload: string, owner: string): { pod: Pod; injected: boolean } | undefined {
  const namespace = pod.metadata!.namespace!;
  const nsObject = state.get({ group: '', resource: 'namespaces' }, undefined, namespace);
  let admitted = pod;
  let injected = false;
  if (!injectionBlocker(pod, nsObject?.metadata?.labels ?? {})) {
    const denied = injectionDenied(pod);
    if (denied) {
      state.deniedPods.push({ namespace, owner, message: denied });
      return undefined;
    }
    admitted = injectSidecar(pod, { trustDomain: state.scenario.trustDomain, workloadName: workload.split('/')[1], owner });
    injected = true;
  }
  return { pod: withServiceAccountVolume(admitted), injected };
}

function runningStatus(pod: Pod, ip: string): Pod['status'] {
  const started = new Date(Date.now() - 3_000_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const running = (c: Container) => ({ name: c.name, image: c.image, imageID: '', containerID: `containerd://${suffix(`${pod.metadata?.name}/${c.name}`, 32)}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt: started } } });
  return {
    phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }], startTime: started, qosClass: 'Burstable',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: started })),
    containerStatuses: (pod.spec?.containers ?? []).map(running),
    initContainerStatuses: (pod.spec?.initContainers ?? []).map((c) => (c.restartPolicy === 'Always'
      ? running(c)
      : { name: c.name, image: c.image, ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } } })),
  };
}

type Owners = Pick<SimPod, 'prometheus' | 'scraper'>;

function schedule(state: ClusterState, admitted: { pod: Pod; injected: boolean }, workload: string, owners: Owners = {}): SimPod {
  const ip = podAddress(state.addressBlock, state.pods.length);
  const pod = { ...admitted.pod, spec: { ...admitted.pod.spec, nodeName: NODE_NAME }, status: runningStatus(admitted.pod, ip) };
  const sim: SimPod = { pod, ip, workload, injected: admitted.injected, ...(owners.prometheus ? { prometheus: owners.prometheus } : {}), ...(owners.scraper ? { scraper: owners.scraper } : {}) };
  state.pods.push(sim);
  return sim;
}

function createPod(state: ClusterState, owner: KubeObject, name: string, template: { metadata?: Pod['metadata']; spec?: Pod['spec'] }, workload: string, owners: Owners = {}, extraLabels: Record<string, string> = {}): boolean {
  const namespace = owner.metadata!.namespace!;
  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { ...structuredClone(template.metadata ?? {}), name, namespace, labels: { ...template.metadata?.labels, ...extraLabels }, ownerReferences: [ownerRef(owner)] },
    spec: structuredClone(template.spec ?? {}),
  };
  const ownerUrl = `kubernetes://apis/${owner.apiVersion}/namespaces/${namespace}/${owner.kind!.toLowerCase()}s/${owner.metadata!.name}`;
  const admitted = admit(state, pod, workload, ownerUrl);
  if (!admitted) return false;
  const sim = schedule(state, admitted, workload, owners);
  state.add(sim.pod);
  return true;
}

/** A Pod given as is: admitted unless it already went through admission (it carries the status annotation). */
function admitExisting(state: ClusterState, stored: Pod): void {
  const namespace = stored.metadata!.namespace!;
  const workload = `${namespace}/${stored.metadata!.name}`;
  const alreadyInjected = stored.metadata?.annotations?.['sidecar.istio.io/status'] !== undefined;
  const admitted = alreadyInjected ? { pod: stored, injected: true } : admit(state, stored, workload, `kubernetes://apis/v1/namespaces/${namespace}/pods/${stored.metadata!.name}`);
  if (!admitted) return;
  const sim = schedule(state, admitted, workload, { scraper: scraperOf(state, stored, stored) });
  Object.assign(stored, { metadata: { ...stored.metadata, ...sim.pod.metadata }, spec: sim.pod.spec, status: sim.pod.status });
  sim.pod = stored;
}

/** The port a Service port targets in a pod: a number, or a container port name. */
export function resolveTargetPort(pod: Pod, targetPort: number | string | undefined, port: number | undefined): number | undefined {
  if (typeof targetPort === 'number') return targetPort;
  if (targetPort === undefined || targetPort === '') return port;
  if (/^\d+$/.test(targetPort)) return Number(targetPort);
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.flatMap((c) => c.ports ?? []).find((p) => p.name === targetPort)?.containerPort;
}

function runEndpointControllers(state: ClusterState, svc: Service): void {
  const namespace = svc.metadata!.namespace!;
  const name = svc.metadata!.name!;
  if (svc.spec?.clusterIP === undefined) {
    const index = state.ofKind('Service').indexOf(svc);
    svc.spec = { ...svc.spec, clusterIP: `10.96.${Math.floor(index / 250)}.${(index % 250) + 1}` };
  }
  svc.spec = { type: 'ClusterIP', sessionAffinity: 'None', ...svc.spec, ports: (svc.spec?.ports ?? []).map((p) => ({ protocol: 'TCP', ...p, targetPort: p.targetPort ?? p.port })) };
  if (!svc.spec.selector) return;
  const selector = { matchLabels: svc.spec.selector };
  const pods = state.pods.filter((p) => p.pod.metadata?.namespace === namespace && matchesLabels(selector, p.pod.metadata?.labels ?? {}));
  const ports = svc.spec.ports ?? [];
  // one slice per distinct port mapping, as the EndpointSlice controller groups endpoints
  const groups = new Map<string, { ports: { name?: string; port?: number; protocol?: string; appProtocol?: string }[]; pods: typeof pods }>();
  for (const sim of pods) {
    const resolved = ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: resolveTargetPort(sim.pod, p.targetPort, p.port), protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const key = JSON.stringify(resolved);
    const group = groups.get(key) ?? { ports: resolved, pods: [] };
    group.pods.push(sim);
    groups.set(key, group);
  }
  const endpoint = (sim: SimPod) => ({
    addresses: [sim.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: NODE_NAME,
    targetRef: { kind: 'Pod', name: sim.pod.metadata!.name, namespace, uid: sim.pod.metadata!.uid },
  });
  for (const group of groups.values()) {
    state.add({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: {
        name: `${name}-${suffix(`${namespace}/${name}/${JSON.stringify(group.ports)}`, 5)}`, namespace,
        labels: { ...svc.metadata?.labels, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': name },
        ownerReferences: [ownerRef(svc)],
      },
      addressType: 'IPv4', endpoints: group.pods.map(endpoint), ports: group.ports.filter((p) => p.port !== undefined),
    });
  }
  state.add({
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name, namespace, labels: { ...svc.metadata?.labels } },
    subsets: [...groups.values()].map((g) => ({
      addresses: g.pods.map((sim) => ({ ip: sim.ip, nodeName: NODE_NAME, targetRef: { kind: 'Pod', name: sim.pod.metadata!.name, namespace, uid: sim.pod.metadata!.uid } })),
      ports: g.ports.filter((p) => p.port !== undefined),
    })),
  });
}
