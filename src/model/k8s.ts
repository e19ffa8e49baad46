/**
 * The Kubernetes, operator and Istio shapes the checks read. Deliberately loose: manifests are user
 * input and may hold anything, so every field is optional and checks test what they use.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  ownerReferences?: { kind?: string; name?: string; apiVersion?: string; controller?: boolean }[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface VolumeMount {
  name?: string;
  mountPath?: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface EnvVar {
  name?: string;
  value?: string;
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

export interface Container {
  name?: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  volumeMounts?: VolumeMount[];
  restartPolicy?: string;
  securityContext?: { runAsUser?: number; runAsGroup?: number };
  [key: string]: unknown;
}

export interface Volume {
  name?: string;
  emptyDir?: { medium?: string; sizeLimit?: string } | null;
  [key: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  serviceAccountName?: string;
  serviceAccount?: string;
  hostNetwork?: boolean;
  nodeName?: string;
  securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    containerStatuses?: { name?: string; image?: string; ready?: boolean }[];
    [key: string]: unknown;
  };
}

export interface ServicePort {
  name?: string;
  port?: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; [key: string]: unknown };
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: {
    addresses?: string[];
    conditions?: { ready?: boolean };
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

export interface SafeTLSConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
  serverName?: string;
  ca?: unknown;
  cert?: unknown;
  keySecret?: unknown;
  [key: string]: unknown;
}

export interface MonitorEndpoint {
  port?: string;
  portNumber?: number;
  targetPort?: number | string;
  path?: string;
  scheme?: string;
  params?: Record<string, string[]>;
  interval?: string;
  scrapeTimeout?: string;
  tlsConfig?: SafeTLSConfig;
  enableHttp2?: boolean;
  [key: string]: unknown;
}

export interface Monitor extends KubeObject {
  spec?: {
    selector?: LabelSelector;
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    endpoints?: MonitorEndpoint[];
    podMetricsEndpoints?: MonitorEndpoint[];
    scrapeClass?: string;
    jobLabel?: string;
    [key: string]: unknown;
  };
}

export interface ScrapeClass {
  name?: string;
  default?: boolean;
  tlsConfig?: SafeTLSConfig;
  [key: string]: unknown;
}

export interface PrometheusResource extends KubeObject {
  spec?: {
    podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    serviceAccountName?: string;
    serviceMonitorSelector?: LabelSelector | null;
    serviceMonitorNamespaceSelector?: LabelSelector | null;
    podMonitorSelector?: LabelSelector | null;
    podMonitorNamespaceSelector?: LabelSelector | null;
    scrapeConfigSelector?: LabelSelector | null;
    scrapeConfigNamespaceSelector?: LabelSelector | null;
    volumes?: Volume[];
    volumeMounts?: VolumeMount[];
    containers?: Container[];
    initContainers?: Container[];
    replicas?: number;
    version?: string;
    image?: string;
    securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
    arbitraryFSAccessThroughSMs?: { deny?: boolean };
    scrapeClasses?: ScrapeClass[];
    [key: string]: unknown;
  };
}

export interface PeerAuthentication extends KubeObject {
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    mtls?: { mode?: string };
    portLevelMtls?: Record<string, { mode?: string }>;
  };
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Role extends KubeObject {
  rules?: PolicyRule[];
}

export interface RoleBinding extends KubeObject {
  roleRef?: { kind?: string; name?: string; apiGroup?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

export const nameOf = (o: KubeObject): string => o.metadata?.name ?? '';
/** Manifests without a namespace land in `default`, as kubectl applies them (CONTRACT.md). */
export const namespaceOf = (o: KubeObject): string => o.metadata?.namespace ?? 'default';
export const labelsOf = (o: { metadata?: ObjectMeta }): Record<string, string> => o.metadata?.labels ?? {};
export const annotationsOf = (o: { metadata?: ObjectMeta }): Record<string, string> => o.metadata?.annotations ?? {};
