/**
 * The catalogue of every finding code (CONTRACT.md, "Finding codes"): severity, category, the message
 * built from typed arguments, the hint and the docs anchor. Checks never write prose; they call
 * `ctx.report(CODE, args)` and the compiler checks the arguments against the template here.
 * A code is never reused for another meaning; add new ones, never rename.
 */
import type { InjectionBlocker } from '../model/istio.js';
import type { Category, Severity } from './types.js';

interface CodeInfo<A> {
  severity: Severity;
  category: Category;
  message: (args: A) => string;
  hint: string | ((args: A) => string);
}

/** Identity helper that fixes the argument type of one entry. */
function code<A = Record<string, never>>(info: CodeInfo<A>): CodeInfo<A> {
  return info;
}

type Files = { file: string };

/** Why the Prometheus pod has no sidecar (SIDECAR_NOT_INJECTED), worded by namespace. */
export type SidecarMissingCause = InjectionBlocker | 'no-istio-proxy';
const SIDECAR_MISSING_CAUSES: Record<SidecarMissingCause, (namespace: string) => string> = {
  'no-istio-proxy': () => 'the pod has no istio-proxy, neither in containers nor as a native sidecar in initContainers',
  'inject-false': () => 'sidecar.istio.io/inject is "false" on the pod',
  'host-network': () => 'the pod uses hostNetwork, which Istio never injects',
  'namespace-disabled': (ns: string) => `namespace ${ns} is labelled istio-injection=disabled`,
  'annotation-only': (ns: string) => `sidecar.istio.io/inject: "true" is only an annotation, and the injector matches pod labels; namespace ${ns} has neither istio-injection=enabled nor istio.io/rev`,
  'not-enabled': (ns: string) => `namespace ${ns} has neither istio-injection=enabled nor istio.io/rev, and the pod has no label sidecar.istio.io/inject: "true"`,
};

/** What an old istio-proxy cannot do for OUTPUT_CERTS (PROXY_VERSION_UNSUPPORTED). */
const PROXY_VERSION_PROBLEMS = {
  'before-output-certs': 'predates OUTPUT_CERTS (Istio 1.5.0): the sidecar writes no certificate files',
  'before-annotation': 'predates the proxy.istio.io/config annotation (it works from 1.6.1): OUTPUT_CERTS never reaches the sidecar',
  'files-mode-0600': 'writes the certificate files with mode 0600 as uid 1337 (1.9.0–1.9.3): Prometheus cannot read them',
} as const;

export const CODES = {
  // ── Inputs ────────────────────────────────────────────────────────────────────────────────────
  MANIFEST_PARSE_ERROR: code<{ file: string; line?: number; reason: string; tooDeep?: boolean }>({
    severity: 'error', category: 'inputs',
    message: (a) => `${a.file}${a.line ? `:${a.line}` : ''} ${a.tooDeep ? 'cannot be read' : 'is not valid YAML/JSON'}: ${a.reason}`,
    hint: 'Fix the document; `kubectl apply --dry-run=client -f FILE` shows the same error. The other documents were still diagnosed.',
  }),
  CLUSTER_UNREACHABLE: code<{ server: string; reason: string }>({
    severity: 'error', category: 'inputs',
    message: (a) => `the Kubernetes API at ${a.server} cannot be reached: ${a.reason}`,
    hint: 'Check the kubeconfig context (`kubectl cluster-info`), the network path and the credentials; or run offline with -f.',
  }),
  ACCESS_DENIED: code<{ verb: string; resource: string; namespace?: string; skipped: string }>({
    severity: 'warning', category: 'inputs',
    message: (a) => `forbidden: ${a.verb} ${a.resource}${a.namespace ? ` in namespace ${a.namespace}` : ' cluster-wide'}; skipped: ${a.skipped}`,
    hint: 'Grant the read-only ClusterRole of docs/in-cluster.md to the identity you run as (`kubectl auth can-i --list`).',
  }),
  PROMETHEUS_NOT_FOUND: code<{ scope: string }>({
    severity: 'error', category: 'inputs',
    message: (a) => `no Prometheus custom resource or pod found ${a.scope}`,
    hint: 'Name it with --prometheus NAME and -n NAMESPACE, or check that Prometheus runs (`kubectl get prometheus,pods -A -l app.kubernetes.io/name=prometheus`).',
  }),
  CHECK_CRASHED: code<{ checkId: string; error: string }>({
    severity: 'error', category: 'inputs',
    message: (a) => `check ${a.checkId} crashed: ${a.error}`,
    hint: 'This is a bug in asm-prom: please report it with the command line and this message. The other checks still ran.',
  }),

  // ── The Prometheus pod ────────────────────────────────────────────────────────────────────────
  ANNOTATIONS_NOT_ON_POD: code<{ keys: string[]; layer: string; lostAt?: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) =>
      a.lostAt
        ? `${a.keys.join(', ')} asked for by the ${a.layer}'s pod metadata, lost at the ${a.lostAt}: the running pod lacks them`
        : `${a.keys.join(', ')} set on the ${a.layer}'s own metadata, not on its pods`,
    hint: 'Move them under spec.podMetadata (Prometheus resource) or spec.template.metadata (StatefulSet/Deployment): the injector reads only the pod.',
  }),
  SIDECAR_NOT_INJECTED: code<{ cause: SidecarMissingCause; namespace: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `the Prometheus pod gets no istio-proxy sidecar: ${SIDECAR_MISSING_CAUSES[a.cause](a.namespace)}`,
    hint: 'Label the pod (podMetadata.labels) with sidecar.istio.io/inject: "true" or the namespace with istio-injection=enabled, and remove any inject "false".',
  }),
  PROXY_CONFIG_INVALID: code<{ reason: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `proxy.istio.io/config is not a ProxyConfig mapping: ${a.reason}`,
    hint: 'Write it as YAML: "proxyMetadata:\\n  OUTPUT_CERTS: /etc/istio-output-certs". The injector rejects the pod otherwise (FailedCreate).',
  }),
  OUTPUT_CERTS_MISSING: code<{ annotated?: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => a.annotated
      ? `no proxyMetadata.OUTPUT_CERTS reached the running istio-proxy (the annotation names ${a.annotated}, but neither its env nor its PROXY_CONFIG holds it): the sidecar writes no certificate files`
      : 'no proxyMetadata.OUTPUT_CERTS: the sidecar writes no certificate files',
    hint: (a) => a.annotated ? "The injector template dropped the annotation's proxyMetadata: use a template that turns proxyMetadata into istio-proxy env (Istio's own does), or set OUTPUT_CERTS in istio-proxy's env." : 'Add proxyMetadata.OUTPUT_CERTS: /etc/istio-output-certs to the proxy.istio.io/config annotation (Istio ≥ 1.6.1).',
  }),
  USER_VOLUME_MOUNT_MISSING: code({
    severity: 'error', category: 'prometheus',
    message: () => 'no sidecar.istio.io/userVolumeMount: the sidecar cannot write into the shared volume',
    hint: `Add sidecar.istio.io/userVolumeMount: '[{"name": "istio-certs", "mountPath": "/etc/istio-output-certs"}]'.`,
  }),
  USER_VOLUME_MOUNT_READONLY: code<{ volume: string; mountPath: string; declaredIn: 'annotation' | 'istio-proxy' }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `the sidecar mounts the certificates volume "${a.volume}" at ${a.mountPath} with readOnly: true (${a.declaredIn === 'annotation' ? 'sidecar.istio.io/userVolumeMount' : "istio-proxy's volumeMounts"}): it cannot write the files there`,
    hint: (a) => (a.declaredIn === 'annotation'
      ? 'Drop "readOnly": true from that entry of sidecar.istio.io/userVolumeMount (Prometheus\'s own mount may stay read-only).'
      : "Drop readOnly: true from istio-proxy's mount of that volume (Prometheus's own mount may stay read-only)."),
  }),
  USER_VOLUME_MOUNT_INVALID: code<{ reason: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `sidecar.istio.io/userVolumeMount is not a list or name-keyed map of volume mounts: ${a.reason}`,
    hint: `Use JSON: '[{"name": "istio-certs", "mountPath": "/etc/istio-output-certs"}]'.`,
  }),
  CERTS_VOLUME_MISSING: code<{ volume: string; onlyInUserVolume?: boolean }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `the volume "${a.volume}" named by userVolumeMount is not among the pod's volumes${a.onlyInUserVolume ? ': only sidecar.istio.io/userVolume declares it, and the API server refuses the Prometheus container\'s mount of it before the injector adds it' : ''}`,
    hint: 'Add an emptyDir volume with that name (medium: Memory) to the pod (Prometheus resource: spec.volumes).',
  }),
  LEGACY_ISTIO_SECRET: code<{ volume: string; secret: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `volume "${a.volume}" mounts the Secret ${a.secret}, the certificates of Istio before 1.5: istiod never creates it, so the pod cannot start (or mounts a stale copy), and a Secret volume is read-only, so the sidecar cannot write OUTPUT_CERTS into it`,
    hint: 'Use the OUTPUT_CERTS recipe: an emptyDir (medium: Memory) shared through sidecar.istio.io/userVolumeMount, with proxyMetadata.OUTPUT_CERTS naming its mount path.',
  }),
  CERTS_PATH_MISMATCH: code<{ outputCerts: string; mountPath: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `OUTPUT_CERTS ${a.outputCerts} differs from the sidecar's mount ${a.mountPath}: the files land on the sidecar's read-only root`,
    hint: 'Make OUTPUT_CERTS and the userVolumeMount mountPath the same directory.',
  }),
  CERTS_VOLUME_NOT_MEMORY: code<{ volume: string; actual: string }>({
    severity: 'warning', category: 'prometheus',
    message: (a) => `volume "${a.volume}" is ${a.actual === 'emptyDir' ? 'an emptyDir on disk' : a.actual === 'none' ? 'a volume without a source' : `a ${a.actual} volume`}, not an emptyDir with medium: Memory: private keys land on the node's disk`,
    hint: 'Use emptyDir: {medium: Memory} for the certificates volume.',
  }),
  CERTS_NOT_MOUNTED: code<{ volume: string; container: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `container "${a.container}" does not mount the certificates volume "${a.volume}"`,
    hint: 'Mount it into the Prometheus container (Prometheus resource: spec.volumeMounts, mountPath: /etc/prom-certs/).',
  }),
  OUTBOUND_CAPTURED: code<{ value: string | null; ports?: number[] }>({
    severity: 'error', category: 'prometheus',
    message: (a) =>
      a.ports?.length
        ? `traffic.sidecar.istio.io/includeOutboundPorts lists ${a.ports.join(', ')}, where scrape targets listen: those scrapes pass through Prometheus's own sidecar`
        : `traffic.sidecar.istio.io/includeOutboundIPRanges is ${a.value === null ? 'not set' : JSON.stringify(a.value)}: scrapes pass through Prometheus's own sidecar`,
    hint: (a) =>
      a.ports?.length
        ? 'Remove the scrape ports from traffic.sidecar.istio.io/includeOutboundPorts (or list them in excludeOutboundPorts).'
        : 'Set traffic.sidecar.istio.io/includeOutboundIPRanges: "" in the pod annotations.',
  }),
  INBOUND_CAPTURED: code<{ value: string | null }>({
    severity: 'info', category: 'prometheus',
    message: (a) => `traffic.sidecar.istio.io/includeInboundPorts is ${a.value === null ? 'not set' : JSON.stringify(a.value)}: the sidecar intercepts traffic to Prometheus`,
    hint: 'Set traffic.sidecar.istio.io/includeInboundPorts: "" so that Grafana and others reach Prometheus directly.',
  }),
  PROXY_VERSION_UNSUPPORTED: code<{ version: string; problem: keyof typeof PROXY_VERSION_PROBLEMS }>({
    severity: 'warning', category: 'prometheus',
    message: (a) => `istio-proxy ${a.version} ${PROXY_VERSION_PROBLEMS[a.problem]}`,
    hint: 'Upgrade Istio/ASM to 1.9.4 or later.',
  }),
  STARTUP_RACE: code({
    severity: 'warning', category: 'prometheus',
    message: () => 'holdApplicationUntilProxyStarts is not true: Prometheus may build its scrape pools before the certificate files exist, and then silently has no such job',
    hint: 'Add holdApplicationUntilProxyStarts: true to proxy.istio.io/config (or to the mesh default, meshConfig.defaultConfig); a native sidecar (Istio ≥ 1.27 on Kubernetes ≥ 1.33) needs neither.',
  }),
  PROXY_CONFIG_FIELD_DROPPED: code<{ keys: string[] }>({
    severity: 'warning', category: 'prometheus',
    message: (a) => `proxy.istio.io/config has ${a.keys.map((k) => JSON.stringify(k)).join(', ')}, which ProxyConfig does not know: the injector drops ${a.keys.length > 1 ? 'them' : 'it'} without a word`,
    hint: (a) => (a.keys.some((k) => /^[A-Z0-9_]+$/.test(k))
      ? 'Environment settings such as OUTPUT_CERTS and INBOUND_CAPTURE_PORTS go under proxyMetadata:, indented below it.'
      : 'Check the spelling against ProxyConfig (istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#ProxyConfig); settings for the agent go under proxyMetadata.'),
  }),
  AMBIENT_NAMESPACE: code<{ namespace: string; labelledOn: 'Namespace' | 'Pod' }>({
    severity: 'warning', category: 'prometheus',
    message: (a) => `${a.labelledOn === 'Namespace' ? `namespace ${a.namespace} is` : 'the pod is'} in ambient mode (istio.io/dataplane-mode=ambient): no sidecar writes certificate files`,
    hint: 'In ambient, enroll Prometheus in the mesh and scrape over plain http; ztunnel supplies mTLS.',
  }),
  PROMETHEUS_RBAC_MISSING: code<{ serviceAccount: string; missing: string[]; namespace: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `service account ${a.serviceAccount} may not ${a.missing.join(', ')} in ${a.namespace === '*' ? 'all namespaces' : `namespace ${a.namespace}`}`,
    hint: 'Bind a (Cluster)Role allowing get, list, watch on services, endpoints, endpointslices and pods where the monitors look.',
  }),
  FS_ACCESS_DENIED: code<{ prometheus: string; monitors: string[]; scraper?: 'VMAgent' | 'Alloy' | 'OpenTelemetryCollector'; where?: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => {
      const which = a.monitors.length ? ` (${a.monitors.join(', ')})` : '';
      if (a.scraper === 'VMAgent') return `VMAgent ${a.prometheus} sets spec.arbitraryFSAccessThroughSMs.deny: true: the VictoriaMetrics operator drops the endpoints of every scrape object that reads TLS files${which}`;
      if (a.scraper === 'Alloy') return `${a.where ?? `Alloy ${a.prometheus}`} does not set allow_arbitrary_file_access = true: Alloy ≥ 1.19 rejects every ServiceMonitor endpoint that reads TLS files${which}`;
      if (a.scraper === 'OpenTelemetryCollector') return `${a.where ?? `OpenTelemetryCollector ${a.prometheus}`} is true: the target allocator drops every job whose TLS settings name files${which}`;
      return `Prometheus ${a.prometheus} sets arbitraryFSAccessThroughSMs.deny: true: the operator rejects every monitor that reads TLS files${which}`;
    },
    hint: (a) =>
      a.scraper === 'VMAgent' ? 'Set spec.arbitraryFSAccessThroughSMs.deny: false on the VMAgent.'
      : a.scraper === 'Alloy' ? 'Add allow_arbitrary_file_access = true to the prometheus.operator.servicemonitors (or podmonitors) component.'
      : a.scraper === 'OpenTelemetryCollector' ? 'Set spec.targetAllocator.prometheusCR.denyFSAccessThroughSMs: false on the OpenTelemetryCollector.'
      : 'Set spec.arbitraryFSAccessThroughSMs.deny: false, or move the TLS settings to a scrape class.',
  }),

  // ── Monitors ──────────────────────────────────────────────────────────────────────────────────
  MONITOR_INVALID: code<{ errors: string[] }>({
    severity: 'error', category: 'monitors',
    message: (a) => `fails the operator's CRD schema: ${a.errors.join('; ')}`,
    hint: 'Fix the fields named; `kubectl apply --dry-run=server` rejects the object the same way.',
  }),
  MONITOR_NOT_SELECTED: code<{ prometheuses: string[]; reasons: string[] }>({
    severity: 'error', category: 'monitors',
    message: (a) => `no Prometheus selects it${a.reasons.length ? `: ${a.reasons.join('; ')}` : ''}`,
    hint: 'Give it the labels of the Prometheus serviceMonitorSelector/podMonitorSelector (scrapeConfigSelector for a ScrapeConfig), in a namespace its namespace selector admits (a missing selector matches nothing; a missing namespace selector means its own namespace).',
  }),
  MONITOR_NO_MATCHING_SERVICE: code<{ selector: string; namespaces: string[]; target: 'Service' | 'Pod' }>({
    severity: 'error', category: 'monitors',
    message: (a) => `selector ${a.selector} matches no ${a.target} in ${a.namespaces.join(', ') || 'any namespace'}`,
    hint: 'Match the labels of the Service (ServiceMonitor) or Pod (PodMonitor), and check spec.namespaceSelector.',
  }),
  SCRAPE_JOB_NO_TARGETS: code<{ job: string; namespaces: string[]; discovered: number }>({
    severity: 'warning', category: 'monitors',
    message: (a) => `scrape job "${a.job}" keeps no target in ${a.namespaces.join(', ') || 'any namespace'}: ${a.discovered ? `its relabelling drops all ${a.discovered} discovered` : 'its Kubernetes discovery finds nothing'}`,
    hint: 'Check the job\'s kubernetes_sd_configs (role, namespaces, selectors) and the keep/drop rules of its relabel_configs against the labels and annotations of the pods and Services it should scrape.',
  }),
  MONITOR_PORT_NOT_FOUND: code<{ endpoint: string; port: string; available: string[]; target: 'Service' | 'Pod' }>({
    severity: 'error', category: 'monitors',
    message: (a) => `${a.endpoint}.port "${a.port}" names no port of the matched ${a.target}s (their port names: ${a.available.join(', ') || 'none'})`,
    hint: (a) => /^\d+$/.test(a.port)
      ? `\`port\` must be the port's name, not its number: name the ${a.target} port and use that name${a.target === 'Pod' ? ', or use portNumber' : ''}.`
      : `Use the name of a ${a.target} port (${a.target === 'Service' ? 'spec.ports[].name of the Service' : 'containers[].ports[].name'}).`,
  }),
  MONITOR_TLS_FILES_MISSING: code<{ endpoint: string; missing: string[]; kind: string; skipsVerify?: boolean }>({
    severity: 'error', category: 'monitors',
    message: (a) => `${a.endpoint} uses https but its TLS settings have no ${a.missing.join(', ')}${a.missing.some((f) => !/^ca(File|_file)$/.test(f)) ? ': Prometheus sends no client certificate, which a STRICT target refuses' : a.skipsVerify ? ' (unused while insecureSkipVerify is true, but the Istio recipe names all three files: the tlsConfig looks half-copied)' : ': Prometheus cannot verify the server'}`,
    hint: (a) => a.kind === 'ScrapeJob'
      ? "Set the job's tls_config ca_file, cert_file and key_file to root-cert.pem, cert-chain.pem and key.pem under the Prometheus container's mount of the certificates volume, with insecure_skip_verify: true."
      : a.kind === 'PodMonitor' || a.kind === 'ScrapeConfig'
      ? `A ${a.kind}'s tlsConfig cannot name files: put caFile, certFile and keyFile (root-cert.pem, cert-chain.pem, key.pem under the certificates mount) with insecureSkipVerify: true in a scrape class of the Prometheus resource, and set spec.scrapeClass (or make that class the default).`
      : 'Set tlsConfig caFile, certFile and keyFile to root-cert.pem, cert-chain.pem and key.pem under /etc/prom-certs/ (or use a scrape class that sets them).',
  }),
  MONITOR_TLS_PATH_UNMOUNTED: code<{ field: string; path: string; mountPath: string; problem: 'outside-mount' | 'not-written' | 'wrong-file' | 'not-mounted'; expected: string; scraper?: string }>({
    severity: 'error', category: 'monitors',
    message: (a) =>
      a.problem === 'not-mounted' ? `${a.field} ${a.path} is in no volume that the pod of ${a.scraper ?? 'the scraper'} mounts, yet its target allocator hands this job (with the path) to that pod`
      : a.problem === 'outside-mount' ? `${a.field} ${a.path} is not inside ${a.mountPath}, the Prometheus container's mount of the certificates volume`
      : a.problem === 'not-written' ? `${a.field} ${a.path} names a file the sidecar never writes (only root-cert.pem, cert-chain.pem and key.pem)`
      : `${a.field} is ${a.path}, but it must be ${a.expected}`,
    hint: (a) => a.problem === 'not-mounted'
      ? `Mount the certificates volume into the collector (OpenTelemetryCollector spec.volumes and spec.volumeMounts) at the folder of ${a.path}: the target allocator passes file paths on, never the files (open-telemetry/opentelemetry-operator#1844).`
      : `Use ${a.expected}: the sidecar writes root-cert.pem, cert-chain.pem and key.pem into the certificates volume, which Prometheus sees at ${a.mountPath}.`,
  }),
  MONITOR_VERIFY_SPIFFE: code<{ endpoint: string }>({
    severity: 'error', category: 'monitors',
    message: (a) => `${a.endpoint} verifies the server's certificate: Istio certificates carry only a SPIFFE URI, so the host-name check fails`,
    hint: 'Set tlsConfig.insecureSkipVerify: true, as the Istio docs do (mTLS still authenticates Prometheus to the target).',
  }),
  MONITOR_SCHEME_HTTP_ON_STRICT: code<{ endpoint: string; workload: string; mode: 'STRICT'; source: string }>({
    severity: 'error', category: 'monitors',
    message: (a) => `${a.endpoint} scrapes ${a.workload} over plain http, but its mTLS mode is ${a.mode} (${a.source})`,
    hint: 'Use scheme: https with the tlsConfig of the Istio certificates (caFile, certFile, keyFile, insecureSkipVerify: true).',
  }),
  MONITOR_TLS_ON_PLAINTEXT: code<{ endpoint: string; workload: string; reason: string }>({
    severity: 'error', category: 'monitors',
    message: (a) => `${a.endpoint} scrapes ${a.workload} over https, but ${a.reason}`,
    hint: 'Scrape plain http where there is no sidecar or mTLS is PERMISSIVE/DISABLE, or make the namespace STRICT; keep separate monitors for the two.',
  }),
  MONITOR_PORT_PROTOCOL: code<{ endpoint: string; port: string; service: string }>({
    severity: 'warning', category: 'monitors',
    message: (a) => `${a.endpoint} scrapes port ${a.port} of ${a.service}, which Istio does not treat as HTTP: over TLS with HTTP/2 Prometheus gets "unexpected EOF"`,
    hint: 'Name the Service port http-<suffix> (or http, http2, grpc) or set appProtocol: http; or set enableHttp2: false on the endpoint.',
  }),
  MONITOR_MERGED_METRICS_PORT: code<{ endpoint: string; port: string }>({
    severity: 'warning', category: 'monitors',
    message: (a) => `${a.endpoint} uses https toward ${a.port}, Istio's merged-metrics port 15020, which is plain text`,
    hint: 'Scrape 15020 over plain http, or disable merging (prometheus.istio.io/merge-metrics: "false") and scrape the app port with TLS.',
  }),
  SCRAPE_CLASS_TLS_OVERRIDE: code<{ endpoint: string; scrapeClass: string }>({
    severity: 'warning', category: 'monitors',
    message: (a) => `${a.endpoint} has its own tlsConfig, so scrape class "${a.scrapeClass}" fills in only caFile, certFile and keyFile: its insecureSkipVerify is dropped`,
    hint: 'Set insecureSkipVerify: true in the monitor\'s tlsConfig too, or drop the monitor\'s tlsConfig.',
  }),

  SCRAPE_CONFIG_INVALID: code<{ source: string; line: number; reason: string }>({
    severity: 'error', category: 'prometheus',
    message: (a) => `the Prometheus configuration in ${a.source} does not load (line ${a.line}): ${a.reason}`,
    hint: 'Fix the configuration; `promtool check config FILE` shows the same error. Prometheus refuses to start (or keeps the previous configuration on reload) until it loads.',
  }),

  // ── Certificates ──────────────────────────────────────────────────────────────────────────────
  CERT_FILE_MISSING: code<Files & { state: 'absent' | 'empty'; outputCertsHas?: boolean }>({
    severity: 'error', category: 'certs',
    message: (a) => `${a.file} is ${a.state}${a.outputCertsHas === true ? ' (the sidecar wrote it into OUTPUT_CERTS: the volume is not shared)' : a.outputCertsHas === false ? ' (the sidecar never wrote it)' : ''}`,
    hint: 'Check OUTPUT_CERTS, userVolumeMount and the shared volume (prometheus.* findings); `kubectl exec POD -c prometheus -- ls -l /etc/prom-certs/`.',
  }),
  CERT_FILE_UNREADABLE: code<Files & { mode?: string; owner?: string; readerUid?: string }>({
    severity: 'error', category: 'certs',
    message: (a) => `${a.file} exists but cannot be read by ${a.readerUid ? `uid ${a.readerUid}` : "Prometheus's user"}${a.mode ? ` (mode ${a.mode}${a.owner ? `, owner ${a.owner}` : ''})` : ''}`,
    hint: 'Istio 1.9.0–1.9.3 write the files 0600 as uid 1337: upgrade to ≥ 1.9.4, or run Prometheus as 1337.',
  }),
  CERT_PARSE_ERROR: code<Files & { reason: string }>({
    severity: 'error', category: 'certs',
    message: (a) => `${a.file} cannot be parsed: ${a.reason}`,
    hint: 'The sidecar writes PEM; an empty or partial file clears on the next write. Restart the pod if it persists.',
  }),
  KEY_MISMATCH: code({
    severity: 'error', category: 'certs',
    message: () => 'key.pem does not match the certificate at the head of cert-chain.pem',
    hint: 'Restart the Prometheus pod so that its sidecar writes a fresh pair.',
  }),
  CERT_EXPIRED: code<{ certificate: string; notAfter: string }>({
    severity: 'error', category: 'certs',
    message: (a) => `${a.certificate} expired at ${a.notAfter}`,
    hint: 'The sidecar stopped rotating: check istio-proxy (logs, connection to istiod); never point OUTPUT_CERTS at /etc/certs.',
  }),
  CERT_NOT_YET_VALID: code<{ certificate: string; notBefore: string }>({
    severity: 'error', category: 'certs',
    message: (a) => `${a.certificate} is not valid before ${a.notBefore}`,
    hint: 'Check the clocks of the node and of the CA.',
  }),
  CERT_NOT_ROTATED: code<{ usedPercent: number; notAfter: string }>({
    severity: 'warning', category: 'certs',
    message: (a) => `${a.usedPercent}% of the leaf's lifetime has passed (expires ${a.notAfter}): Istio renews at about 50%, so rotation is stuck`,
    hint: 'Check that istio-proxy in the Prometheus pod runs and reaches istiod; restart the pod to get a fresh certificate.',
  }),
  CHAIN_BROKEN: code<{ reason: string }>({
    severity: 'error', category: 'certs',
    message: (a) => `cert-chain.pem does not verify up to root-cert.pem: ${a.reason}`,
    hint: 'The files come from different CAs or a rotation half-done; restart the Prometheus pod after the mesh CA is settled.',
  }),
  ROOT_MISMATCH: code<{ meshRoot: string }>({
    severity: 'error', category: 'certs',
    message: (a) => `root-cert.pem shares no root with the mesh root bundle (${a.meshRoot})`,
    hint: "Prometheus's sidecar is on another CA, revision or cluster: inject it from the mesh's control plane, and trust both roots during a rotation.",
  }),
  IDENTITY_MISMATCH: code<{ actual: string; expected: string }>({
    severity: 'warning', category: 'certs',
    message: (a) => `the leaf's identity ${a.actual} is not ${a.expected}`,
    hint: "AuthorizationPolicies name Prometheus's principal: check the service account and namespace the certificate was issued for.",
  }),

  // ── Live targets ──────────────────────────────────────────────────────────────────────────────
  TARGET_OK: code<{ tlsVersion?: string; peerSpiffeId?: string; status: number; samples: number }>({
    severity: 'info', category: 'targets',
    message: (a) => `scraped ${a.samples} samples (HTTP ${a.status}${a.tlsVersion ? `, ${a.tlsVersion}` : ''}${a.peerSpiffeId ? `, peer ${a.peerSpiffeId}` : ''})`,
    hint: 'Nothing to do.',
  }),
  TARGET_UNREACHABLE: code<{ reason: string }>({
    severity: 'error', category: 'targets',
    message: (a) => `cannot connect: ${a.reason}`,
    hint: 'Check that the pod runs and listens on the port, and that this machine reaches pod IPs (else use --probe pod).',
  }),
  TARGET_TIMEOUT: code<{ step: 'connect' | 'handshake' | 'response'; timeoutMs: number; atDeadline?: boolean }>({
    severity: 'error', category: 'targets',
    message: (a) => (a.atDeadline ? `${a.step} had not finished when the run reached its --deadline` : `${a.step} took longer than ${a.timeoutMs} ms`),
    hint: 'A NetworkPolicy, a firewall or an overloaded target; Prometheus reports "context deadline exceeded".',
  }),
  TARGET_NOT_TLS: code<{ detail: string }>({
    severity: 'error', category: 'targets',
    message: (a) => `the port answered in plain text (${a.detail})`,
    hint: 'The target has no sidecar, or mTLS is PERMISSIVE/DISABLE for it: scrape it with scheme: http.',
  }),
  CLIENT_CERT_REJECTED: code<{ alert: string }>({
    severity: 'error', category: 'targets',
    message: (a) => `the target refused Prometheus's client certificate (${a.alert})`,
    hint: 'Its sidecar does not trust the issuer of cert-chain.pem (different root), or no/expired client certificate was sent.',
  }),
  PEER_CERT_UNTRUSTED: code<{ reason: string }>({
    severity: 'error', category: 'targets',
    message: (a) => `the target's certificate does not chain to the mesh root: ${a.reason}`,
    hint: 'The target is on another CA or trust domain; compare `istioctl proxy-config secret` of both pods.',
  }),
  PEER_IDENTITY_MISMATCH: code<{ actual: string; expected: string }>({
    severity: 'warning', category: 'targets',
    message: (a) => `the target presents ${a.actual}, expected ${a.expected}`,
    hint: 'The endpoint belongs to another workload than the monitor intends, or its service account changed.',
  }),
  SCRAPE_CONNECTION_CLOSED: code<{ detail: string }>({
    severity: 'error', category: 'targets',
    message: (a) => `the connection closed before an HTTP response (${a.detail})`,
    hint: 'Usually an unnamed/TCP port (name it http-*), PERMISSIVE mode, or an AuthorizationPolicy on a TCP port.',
  }),
  SCRAPE_HTTP_ERROR: code<{ status: number }>({
    severity: 'error', category: 'targets',
    message: (a) => `the metrics path answered HTTP ${a.status}`,
    hint: (a) =>
      a.status === 403 ? "An AuthorizationPolicy denies Prometheus's principal: allow cluster.local/ns/<ns>/sa/<prometheus-sa>."
      : a.status === 503 ? 'The sidecar cannot reach the app: it must listen on 0.0.0.0, on the declared port.'
      : a.status === 404 ? 'Wrong metrics path: set endpoints[].path.'
      : 'Check the application behind the sidecar.',
  }),
  SCRAPE_NOT_METRICS: code<{ contentType?: string }>({
    severity: 'warning', category: 'targets',
    message: (a) => `the response is not Prometheus text or OpenMetrics${a.contentType ? ` (${a.contentType})` : ''}`,
    hint: 'Check endpoints[].path and the port: this is not a metrics endpoint.',
  }),

  // ── Prometheus's own view ─────────────────────────────────────────────────────────────────────
  /**
   * causes: what the lastError text means (the classifier); explainedBy: codes found in this run that
   * explain it; possibleCauses: the classifier's other candidates, minus those a passing check ruled out
   */
  TARGET_DOWN: code<{ scraper: string; scrapePool: string; lastError: string; causes: string[]; explainedBy: string[]; possibleCauses: string[] }>({
    severity: 'error', category: 'prometheus-api',
    message: (a) => `${a.scraper} reports the target down in ${a.scrapePool}: ${a.lastError}`,
    hint: (a) =>
      a.explainedBy.length
        ? `Explained by ${a.explainedBy.join(', ')}, found in this run (see their findings and docs).`
        : a.possibleCauses.length
          ? `No finding of this run explains it; possible causes, most likely first: ${a.possibleCauses.join(', ')} (\`asm-prom explain CODE\`).`
          : 'No known cause for this text: compare with `curl` from the Prometheus pod, and the target\'s sidecar logs.',
  }),
  SCRAPE_POOL_MISSING: code<{ scraper: string; job: string; reason: string }>({
    severity: 'error', category: 'prometheus-api',
    message: (a) => `job ${a.job} has no targets in ${a.scraper}: ${a.reason}`,
    hint: 'Typically the TLS files were missing when the pool was built: fix them, then reload Prometheus (POST /-/reload) or restart it.',
  }),
  PROMETHEUS_API_UNREACHABLE: code<{ url: string; reason: string }>({
    severity: 'warning', category: 'prometheus-api',
    message: (a) => `Prometheus's HTTP API at ${a.url} could not be read: ${a.reason}`,
    hint: 'Check that the URL answers (`curl URL/api/v1/targets`); in cluster mode, give --prometheus-url (a port-forward works), or check the prometheus-operated service and that you may get services/proxy and pods/proxy.',
  }),
} as const;

export type Code = keyof typeof CODES;
export type CodeArgs<C extends Code> = Parameters<(typeof CODES)[C]['message']>[0];

export const ALL_CODES = Object.keys(CODES) as Code[];

/** `CERTS_PATH_MISMATCH` → `docs/checks.md#certs-path-mismatch` */
export function docsAnchor(code: Code): string {
  return `docs/checks.md#${code.toLowerCase().replaceAll('_', '-')}`;
}

export function renderMessage<C extends Code>(c: C, args: CodeArgs<C>): { message: string; hint: string } {
  const info = CODES[c] as unknown as CodeInfo<CodeArgs<C>>;
  const hint = typeof info.hint === 'function' ? info.hint(args) : info.hint;
  return { message: info.message(args), hint };
}
