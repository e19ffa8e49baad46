/**
 * The cluster source: the same Inventory the manifest source builds, read live from the Kubernetes
 * API, so every check runs unchanged. Read-only (get, list, exec of read-only commands; never
 * Secrets); every list filtered on the server and paginated; every call under --timeout, the run's
 * --deadline and --concurrency. This is the only module that loads @kubernetes/client-node.
 */
import type { DoctorOptions } from '../../core/options.js';
import { Unavailable, type Providers, type ResourceStore } from '../../core/resources.js';
import type { CertFileSet, RbacObjects } from '../../model/inventory.js';
import type { KubeObject, Monitor, PeerAuthentication, Role, RoleBinding } from '../../model/k8s.js';
import { DEFAULT_MESH_ROOT_NAMESPACE } from '../../model/mtls.js';
import type { ScrapeConfigObject } from '../../model/scrape-config-crd.js';
import { ApiClient, RESOURCES } from './api.js';
import { PodFilesUnreadable, certLocation, readCertFileSet } from './cert-files.js';
import { makeKubeAccess } from './kube-access.js';
import { resolveKubeConfig } from './kubeconfig.js';
import { discoverPrometheus, type PrometheusDiscovery } from './prometheus.js';
import { ClusterReader } from './reader.js';
import { listEndpointSlices, listServices, listTargetPods } from './targets.js';
import { rawJobTargets } from './raw-job-targets.js';

const MESH_ROOT_CONFIGMAP = 'istio-ca-root-cert';

export async function clusterProviders(options: DoctorOptions, store: ResourceStore): Promise<Providers> {
  const k8s = await import('@kubernetes/client-node');
  const { kubeConfig, server } = resolveKubeConfig(k8s, options);
  const client = new ApiClient(kubeConfig, server, {
    timeoutMs: options.timeoutMs,
    deadlineAt: Date.now() + options.deadlineMs,
    concurrency: options.concurrency,
  });
  const reader = new ClusterReader(client, store);
  const kube = makeKubeAccess(k8s, client);
  const once = <T>(fn: () => Promise<T>) => {
    let pending: Promise<T> | undefined;
    return () => (pending ??= fn());
  };
  const unwrap = <T>(value: T | Unavailable): T => {
    if (value instanceof Unavailable) throw value;
    return value;
  };

  const prometheus = once((): Promise<PrometheusDiscovery> => discoverPrometheus(reader, { namespace: options.namespace, name: options.prometheus, kind: options.scraperKind }));
  const prometheusNamespaces = async () => [...new Set(unwrap((await prometheus()).pods).map((p) => p.namespace))];
  const listMonitors = async (resource: typeof RESOURCES.serviceMonitors | typeof RESOURCES.podMonitors | typeof RESOURCES.vmServiceScrapes | typeof RESOURCES.vmPodScrapes) =>
    (await reader.listIfServed<Monitor>(resource, undefined, {}, `the ${resource.kind} checks (monitors.*) and their targets`)) ?? [];
  // VictoriaMetrics' VMServiceScrape/VMPodScrape have the ServiceMonitor/PodMonitor shape; their CRDs may be absent (404: none)
  const monitorsOf = (resource: typeof RESOURCES.serviceMonitors | typeof RESOURCES.podMonitors, vm: typeof RESOURCES.vmServiceScrapes | typeof RESOURCES.vmPodScrapes) =>
    once(async () => [...(await listMonitors(resource)), ...(await listMonitors(vm).catch((error) => { if (error instanceof Unavailable) return []; throw error; }))]);
  const serviceMonitors = monitorsOf(RESOURCES.serviceMonitors, RESOURCES.vmServiceScrapes);
  const podMonitors = monitorsOf(RESOURCES.podMonitors, RESOURCES.vmPodScrapes);
  // the ScrapeConfig CRD is often not installed (404): then there are none
  const scrapeConfigObjects = once(async () => (await reader.listIfServed<ScrapeConfigObject>(RESOURCES.scrapeConfigs, undefined, {}, 'the checks of the ScrapeConfig objects (monitors.*)')) ?? []);
  const services = once(async () => listServices(reader, await serviceMonitors()));
  const namespaces = once(() => reader.list<KubeObject>(RESOURCES.namespaces, undefined, {}, 'the namespace labels (injection, monitor namespace selectors, ambient mode)'));

  const providers: Providers = {
    clusterServer: () => server,
    kube: async () => {
      await reader.ready();
      return kube;
    },
    prometheusPods: async () => unwrap((await prometheus()).pods),
    prometheusResources: async () => unwrap((await prometheus()).resources),
    serviceMonitors,
    podMonitors,
    scrapeConfigObjects,
    services,
    endpointSlices: async () => listEndpointSlices(reader, await services()),
    workloads: async () => listTargetPods(reader, await services(), await podMonitors()),
    // apart from services and workloads: it waits for the raw jobs, read from Prometheus's API
    rawJobTargets: () => rawJobTargets(reader, store),
    namespaces,
    peerAuthentications: async () => {
      const skipped = 'the mTLS mode of every target (monitors.*, targets.*)';
      // security.istio.io/v1 since Istio 1.22; older meshes serve only v1beta1; no Istio CRDs: no policy, PERMISSIVE
      return (
        (await reader.listIfServed<PeerAuthentication>(RESOURCES.peerAuthentications, undefined, {}, skipped)) ??
        (await reader.listIfServed<PeerAuthentication>(RESOURCES.peerAuthenticationsV1beta1, undefined, {}, skipped)) ??
        []
      );
    },
    meshRootNamespace: () => DEFAULT_MESH_ROOT_NAMESPACE,
    rbac: async (): Promise<RbacObjects> => {
      const skipped = "the check of Prometheus's own RBAC (PROMETHEUS_RBAC_MISSING)";
      const [serviceAccounts, roles, clusterRoles, roleBindings, clusterRoleBindings] = await Promise.all([
        Promise.all((await prometheusNamespaces()).map((ns) => reader.list<KubeObject>(RESOURCES.serviceAccounts, ns, {}, skipped))).then((l) => l.flat()),
        reader.list<Role>(RESOURCES.roles, undefined, {}, skipped),
        reader.list<Role>(RESOURCES.clusterRoles, undefined, {}, skipped),
        reader.list<RoleBinding>(RESOURCES.roleBindings, undefined, {}, skipped),
        reader.list<RoleBinding>(RESOURCES.clusterRoleBindings, undefined, {}, skipped),
      ]);
      return { serviceAccounts, roles, clusterRoles, roleBindings, clusterRoleBindings };
    },
    objects: async () => {
      // The objects a schema check may judge that no other resource holds: live, only what was read.
      const loaded = await Promise.all([prometheus().then((p) => [...(Array.isArray(p.resources) ? p.resources : []), ...p.scraperObjects]), serviceMonitors(), podMonitors(), scrapeConfigObjects()].map((p) => p.catch(() => [])));
      return loaded.flat() as KubeObject[];
    },
  };

  // --mesh-root and --certs-dir replace what the cluster would give: no need to read it.
  if (options.meshRoot === undefined) {
    providers.meshRoot = async () => {
      const [namespace] = await prometheusNamespaces();
      const configMap = await reader.get<KubeObject & { data?: Record<string, string> }>(
        RESOURCES.configMaps, namespace, MESH_ROOT_CONFIGMAP, 'the comparison with the mesh root (ROOT_MISMATCH); give --mesh-root',
      );
      const pem = configMap?.data?.['root-cert.pem'];
      if (!pem) throw new Unavailable(`no ${MESH_ROOT_CONFIGMAP} ConfigMap with root-cert.pem in namespace ${namespace} (istiod writes it into every namespace of the mesh); give --mesh-root`);
      return { source: `ConfigMap ${namespace}/${MESH_ROOT_CONFIGMAP}`, pem };
    };
  }
  if (options.certsDir === undefined) {
    providers.certFiles = async () => {
      const pods = unwrap((await prometheus()).pods).filter((p) => p.admitted && p.pod.status?.phase === 'Running');
      if (!pods.length) throw new Unavailable('no running Prometheus pod to read the certificate files from; give --certs-dir');
      const [monitors, knownNamespaces] = await Promise.all([
        Promise.all([serviceMonitors(), podMonitors()]).then((l) => l.flat()).catch(() => []),
        namespaces().catch(() => undefined),
      ]);
      const sets: CertFileSet[] = [];
      const problems: string[] = [];
      for (const pp of pods) {
        const where = certLocation(pp, monitors, knownNamespaces);
        if (!where) {
          problems.push(`${pp.namespace}/${pp.pod.metadata?.name}: no certificates volume is mounted and the sidecar has no OUTPUT_CERTS`);
          continue;
        }
        try {
          sets.push(await readCertFileSet(kube, pp, where, options.timeoutMs));
        } catch (error) {
          if (!(error instanceof PodFilesUnreadable)) {
            throw reader.translate(error, {
              verb: 'create', resource: 'pods/exec', namespace: pp.namespace,
              skipped: 'reading the certificate files from the Prometheus pods (certs.*); give --certs-dir',
            });
          }
          problems.push(error.message);
        }
      }
      if (!sets.length) throw new Unavailable(`the certificate files could not be read: ${problems.join('; ')}`);
      return sets;
    };
  }
  return providers;
}
