/**
 * The Inventory: everything a check may read, as plain typed data, keyed by resource name. Sources
 * (manifests, cluster, certificate files, probes, Prometheus's API) provide these; checks declare the
 * keys they need and the runner skips a check whose needs are unavailable, with the source's reason.
 */
import type { Subject } from '../core/types.js';
import type {
  EndpointSlice, KubeObject, Monitor, PeerAuthentication, Pod, PodTemplate, PrometheusResource,
  Role, RoleBinding, Service,
} from './k8s.js';

/** One layer of the path from a Prometheus resource to its running pod, for tracing lost metadata. */
export interface PodLayer {
  kind: 'Prometheus' | 'PrometheusAgent' | 'StatefulSet' | 'Deployment' | 'DaemonSet' | 'ReplicaSet' | 'Pod';
  object: KubeObject;
  /** the metadata this layer gives its pods (Prometheus: spec.podMetadata; workloads: the template) */
  podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** A Prometheus server to judge: a running pod (cluster) or the pod its manifest would make (offline). */
export interface PrometheusPod {
  /** the object findings about this pod are reported on */
  subject: KubeObject;
  namespace: string;
  /** the pod as Kubernetes runs it, or as the operator/controller would create it */
  pod: Pod;
  /** true when the pod is as admission left it (a live pod, or an injected pod's manifest): the sidecar is already there or not */
  admitted: boolean;
  /** name of the container that runs Prometheus */
  prometheusContainer: string;
  /** the Prometheus custom resource it belongs to, if any */
  resource?: PrometheusResource;
  /** resource → StatefulSet → Pod, outermost first; only the layers that exist */
  layers: PodLayer[];
}

/** A workload that monitors may scrape: a live pod, or a manifest's pod template. */
export interface TargetWorkload {
  object: KubeObject;
  namespace: string;
  template: PodTemplate;
}

export type CertFileName = 'root-cert.pem' | 'cert-chain.pem' | 'key.pem';
export const CERT_FILE_NAMES: readonly CertFileName[] = ['root-cert.pem', 'cert-chain.pem', 'key.pem'];

export interface CertFile {
  name: CertFileName;
  /** where Prometheus reads it */
  path: string;
  state: 'ok' | 'absent' | 'empty' | 'unreadable';
  /** file text; for key.pem it stays in memory and never reaches any output */
  content?: string;
  mode?: string;
  owner?: string;
}

/** The three files as Prometheus sees them, from --certs-dir or from a pod through exec. */
export interface CertFileSet {
  subject: Subject;
  dir: string;
  files: Record<CertFileName, CertFile>;
  /** what the sidecar wrote into its OUTPUT_CERTS folder, when it could be read */
  outputCerts?: { dir: string; present: CertFileName[] };
  /** uid Prometheus reads as, when known */
  readerUid?: string;
  /** identity the leaf should carry, when the Prometheus pod is known */
  expectedIdentity?: { namespace: string; serviceAccount: string; trustDomain?: string };
}

export interface MeshRoot {
  /** where it came from: a file path or `ConfigMap <ns>/istio-ca-root-cert` */
  source: string;
  pem: string;
}

export interface RbacObjects {
  serviceAccounts: KubeObject[];
  roles: Role[];
  clusterRoles: Role[];
  roleBindings: RoleBinding[];
  clusterRoleBindings: RoleBinding[];
}

/** Every resource a check can ask for. Probe and Prometheus-API resources are added by their modules. */
export interface ResourceMap {
  prometheusPods: PrometheusPod[];
  prometheusResources: PrometheusResource[];
  serviceMonitors: Monitor[];
  podMonitors: Monitor[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  workloads: TargetWorkload[];
  namespaces: KubeObject[];
  peerAuthentications: PeerAuthentication[];
  /** Istio's root namespace, where a selector-less PeerAuthentication is mesh-wide */
  meshRootNamespace: string;
  rbac: RbacObjects;
  certFiles: CertFileSet[];
  meshRoot: MeshRoot;
  /** every object of the inputs (for schema checks of objects no other resource holds) */
  objects: KubeObject[];
  /** the -f inputs as given (manifest mode) */
  manifestFiles: string[];
  /** the API server's URL (cluster mode), known before any call is made */
  clusterServer: string;
}

/**
 * Modules that own further resources (probes, Prometheus's API) add them to ResourceMap by
 * declaration merging: `declare module '../model/inventory.js' { interface ResourceMap { … } }`.
 */
export type ResourceKey = keyof ResourceMap;
