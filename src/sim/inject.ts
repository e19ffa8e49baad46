/**
 * Istio's sidecar injector, reduced to what shapes the pod the doctor reads (whether a pod is
 * injected at all is the model's `injectionBlocker`): the injected pod of the `sidecar` template with native sidecars
 * (testdata/inject/*.injected): istio-init and istio-proxy as init containers, proxyMetadata as
 * env vars, userVolumeMount mounts on istio-proxy, the status annotation and the tlsMode label.
 */
import type { Container, Pod } from '../model/k8s.js';
import { ANNOTATION, parseProxyConfig, userVolumeMounts } from '../model/istio.js';
import { injectorMetadata } from '../model/injected.js';

const PROXY_IMAGE = 'docker.io/istio/proxyv2:1.26.2';
const ISTIO_VOLUMES = ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert', 'istio-ca-crl'];

/** Why the webhook denies the pod (failurePolicy: Fail, so the pod is never created), if it does. */
export function injectionDenied(pod: Pod): string | undefined {
  const text = pod.metadata?.annotations?.[ANNOTATION.proxyConfig];
  if (text === undefined) return undefined;
  const parsed = parseProxyConfig(text);
  return parsed.ok ? undefined : `admission webhook "namespace.sidecar-injector.istio.io" denied the request: invalid value '${text}' for annotation '${ANNOTATION.proxyConfig}': failed to convert to apply proxy config: ${parsed.reason}`;
}

function iptablesArgs(annotations: Record<string, string>): string[] {
  const excludeInbound = annotations['traffic.sidecar.istio.io/excludeInboundPorts'];
  return [
    'istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT',
    '-i', annotations[ANNOTATION.includeOutbound] ?? '*',
    '-x', annotations['traffic.sidecar.istio.io/excludeOutboundIPRanges'] ?? '',
    '-b', annotations[ANNOTATION.includeInbound] ?? '*',
    '-d', ['15090', '15021', ...(excludeInbound ? [excludeInbound] : []), '15020'].join(','),
    '--log_output_level=default:info',
  ];
}

const fieldRef = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** The pod after injection, for a pod owned by `owner` (`kubernetes://apis/apps/v1/namespaces/…`). */
export function injectSidecar(pod: Pod, options: { trustDomain: string; workloadName: string; owner: string }): Pod {
  const { labels, annotations } = injectorMetadata(pod.metadata, { workloadName: options.workloadName });
  const proxyConfigText = annotations[ANNOTATION.proxyConfig];
  const proxyConfig = proxyConfigText !== undefined ? parseProxyConfig(proxyConfigText) : undefined;
  const proxyConfigValue = proxyConfig?.ok ? proxyConfig.value : {};
  const proxyMetadata = (proxyConfigValue.proxyMetadata ?? {}) as Record<string, unknown>;
  const appContainers = pod.spec?.containers ?? [];
  const ports = appContainers.flatMap((c) => c.ports ?? []);
  const name = pod.metadata?.name ?? options.workloadName;

  Object.assign(annotations, {
    'kubectl.kubernetes.io/default-container': annotations['kubectl.kubernetes.io/default-container'] ?? appContainers[0]?.name ?? '',
    'kubectl.kubernetes.io/default-logs-container': appContainers[0]?.name ?? '',
    [ANNOTATION.status]: JSON.stringify({ initContainers: ['istio-init', 'istio-proxy'], containers: null, volumes: ISTIO_VOLUMES, imagePullSecrets: null, revision: 'default' }),
  });

  const resources = { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } };
  const istioInit = {
    name: 'istio-init', image: PROXY_IMAGE, args: iptablesArgs(annotations), resources,
    securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: false, runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 },
  } as Container;
  const istioProxy = {
    name: 'istio-proxy', image: PROXY_IMAGE,
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
      fieldRef('POD_NAME', 'metadata.name'),
      fieldRef('POD_NAMESPACE', 'metadata.namespace'),
      fieldRef('INSTANCE_IP', 'status.podIP'),
      fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      fieldRef('HOST_IP', 'status.hostIP'),
      { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.cpu' } } },
      { name: 'PROXY_CONFIG', value: `${JSON.stringify(proxyConfigValue)}\n` },
      { name: 'ISTIO_META_POD_PORTS', value: `[\n${ports.map((p) => `    ${JSON.stringify(p)}`).join('\n    ,')}\n]` },
      { name: 'ISTIO_META_APP_CONTAINERS', value: appContainers.map((c) => c.name).join(',') },
      { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.memory' } } },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
      { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
      { name: 'ISTIO_META_WORKLOAD_NAME', value: options.workloadName },
      { name: 'ISTIO_META_OWNER', value: options.owner },
      { name: 'ISTIO_META_MESH_ID', value: options.trustDomain },
      { name: 'TRUST_DOMAIN', value: options.trustDomain },
      ...Object.entries(proxyMetadata).map(([key, value]) => ({ name: key, value: String(value) })),
    ],
    lifecycle: { preStop: { exec: { command: ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain'] } } },
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    readinessProbe: { failureThreshold: 4, httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 15, timeoutSeconds: 3 },
    resources,
    restartPolicy: 'Always',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 },
    startupProbe: { failureThreshold: 600, httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 1, timeoutSeconds: 3 },
    volumeMounts: [
      { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
      { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
      { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/run/secrets/istio/crl', name: 'istio-ca-crl' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
      ...(userVolumeMounts({ metadata: { annotations } }) ?? []),
    ],
  } as Container;
  const volumes = [
    { name: 'workload-socket' },
    { name: 'credential-socket' },
    { name: 'workload-certs' },
    { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
    { emptyDir: {}, name: 'istio-data' },
    { downwardAPI: { items: [{ fieldRef: { fieldPath: 'metadata.labels' }, path: 'labels' }, { fieldRef: { fieldPath: 'metadata.annotations' }, path: 'annotations' }] }, name: 'istio-podinfo' },
    { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
    { configMap: { name: 'istio-ca-root-cert' }, name: 'istiod-ca-cert' },
    { configMap: { name: 'istio-ca-crl', optional: true }, name: 'istio-ca-crl' },
  ];
  return {
    ...pod,
    metadata: { ...pod.metadata, name, annotations, labels },
    spec: {
      ...pod.spec,
      initContainers: [...(pod.spec?.initContainers ?? []), istioInit, istioProxy],
      volumes: [...(pod.spec?.volumes ?? []), ...volumes],
    },
  };
}
