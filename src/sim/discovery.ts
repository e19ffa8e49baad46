/**
 * The API resources the simulated API server serves, and the discovery documents built from them
 * (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`), shaped as kube-apiserver answers them.
 */

export interface ApiResource {
  group: string;
  version: string;
  /** plural, as in the URL */
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** true for the kinds only answered by POST (access reviews) */
  createOnly?: boolean;
}

/** what the simulator serves: reads, and PATCH (the --fix proof applies kubectl patch) */
const READ_VERBS = ['get', 'list', 'patch', 'watch'];

export const API_RESOURCES: readonly ApiResource[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'] },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'] },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'] },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'] },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'] },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], categories: ['all'] },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'] },
  // batch: only for `kubectl apply --dry-run` of the doctor's own Job (deploy/in-cluster/job.yaml)
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true, categories: ['all'] },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, createOnly: true },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, createOnly: true },
  { group: 'monitoring.coreos.com', version: 'v1', resource: 'prometheuses', kind: 'Prometheus', namespaced: true, shortNames: ['prom'], categories: ['prometheus-operator'] },
  { group: 'monitoring.coreos.com', version: 'v1alpha1', resource: 'prometheusagents', kind: 'PrometheusAgent', namespaced: true, shortNames: ['promagent'], categories: ['prometheus-operator'] },
  { group: 'monitoring.coreos.com', version: 'v1', resource: 'servicemonitors', kind: 'ServiceMonitor', namespaced: true, shortNames: ['smon'], categories: ['prometheus-operator'] },
  { group: 'monitoring.coreos.com', version: 'v1', resource: 'podmonitors', kind: 'PodMonitor', namespaced: true, shortNames: ['pmon'], categories: ['prometheus-operator'] },
  { group: 'monitoring.coreos.com', version: 'v1', resource: 'prometheusrules', kind: 'PrometheusRule', namespaced: true, shortNames: ['promrule'], categories: ['prometheus-operator'] },
  { group: 'operator.victoriametrics.com', version: 'v1beta1', resource: 'vmagents', kind: 'VMAgent', namespaced: true, categories: ['all', 'victoriametrics'] },
  { group: 'operator.victoriametrics.com', version: 'v1beta1', resource: 'vmservicescrapes', kind: 'VMServiceScrape', namespaced: true, shortNames: ['vmss'], categories: ['victoriametrics'] },
  { group: 'operator.victoriametrics.com', version: 'v1beta1', resource: 'vmpodscrapes', kind: 'VMPodScrape', namespaced: true, shortNames: ['vmps'], categories: ['victoriametrics'] },
  ...['v1beta1', 'v1alpha1'].map((version) => ({ group: 'opentelemetry.io', version, resource: 'opentelemetrycollectors', kind: 'OpenTelemetryCollector', namespaced: true, shortNames: ['otelcol', 'otelcols'], categories: ['opentelemetry'] })),
  { group: 'monitoring.coreos.com', version: 'v1alpha1', resource: 'scrapeconfigs', kind: 'ScrapeConfig', namespaced: true, shortNames: ['scfg'], categories: ['prometheus-operator'] },
  ...['v1', 'v1beta1'].flatMap((version) => [
    { group: 'security.istio.io', version, resource: 'peerauthentications', kind: 'PeerAuthentication', namespaced: true, shortNames: ['pa'], categories: ['istio-io', 'security-istio-io'] },
    { group: 'security.istio.io', version, resource: 'authorizationpolicies', kind: 'AuthorizationPolicy', namespaced: true, shortNames: ['ap'], categories: ['istio-io', 'security-istio-io'] },
  ]),
];

/** Subresources served besides the resources themselves (listed in discovery like kube-apiserver does). */
const SUBRESOURCES = [
  { parent: 'pods', name: 'pods/exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
  { parent: 'pods', name: 'pods/proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  { parent: 'services', name: 'services/proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
];

export const groupVersionOf = (r: { group: string; version: string }): string => (r.group ? `${r.group}/${r.version}` : r.version);

/** The storage key of a resource: versions of one group share their objects (security.istio.io v1 and v1beta1). */
export const storageKey = (r: { group: string; resource: string }): string => `${r.group}/${r.resource}`;

export function findResource(group: string, version: string, resource: string): ApiResource | undefined {
  return API_RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** The resource an object of this apiVersion/kind is stored under. */
export function resourceForKind(apiVersion: string | undefined, kind: string | undefined): ApiResource | undefined {
  const [group, version] = (apiVersion ?? '').includes('/') ? (apiVersion ?? '').split('/') : ['', apiVersion];
  return API_RESOURCES.find((r) => r.group === group && r.kind === kind && (r.version === version || r.group === 'security.istio.io' || r.group === 'opentelemetry.io'));
}

function groupVersions(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of API_RESOURCES) {
    if (!r.group) continue;
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  return groups;
}

export function apiVersionsDoc(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupListDoc(): object {
  const groups = [...groupVersions()].map(([name, versions]) => ({
    name,
    versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
    preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
  }));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroupDoc(group: string): object | undefined {
  const versions = groupVersions().get(group);
  if (!versions) return undefined;
  return {
    kind: 'APIGroup', apiVersion: 'v1', name: group,
    versions: versions.map((version) => ({ groupVersion: `${group}/${version}`, version })),
    preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
  };
}

export function apiResourceListDoc(group: string, version: string): object | undefined {
  const resources = API_RESOURCES.filter((r) => r.group === group && r.version === version);
  if (!resources.length) return undefined;
  const entries = resources.flatMap((r) => [
    {
      name: r.resource, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind,
      verbs: r.createOnly ? ['create'] : READ_VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    },
    ...SUBRESOURCES.filter((s) => s.parent === r.resource && !group)
      .map((s) => ({ name: s.name, singularName: '', namespaced: true, kind: s.kind, verbs: s.verbs })),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionOf({ group, version }), resources: entries };
}
