/**
 * What the live probe scrapes and what it found, as two resources:
 *
 * - `probeTargets`: every endpoint a monitor selects, as Prometheus would see it (ServiceMonitor →
 *   Service port by name → EndpointSlice addresses; PodMonitor → the pods' container ports), with the
 *   monitor's scheme, path, params and TLS settings and the identity the target pod should present;
 *   plus each `--target`.
 * - `probeResults`: the outcome of probing them all (lazily: only when a check asks), from this
 *   machine or from inside the Prometheus pod (`--probe`), at most --concurrency at once.
 */
import { setMaxListeners } from 'node:events';
import { Unavailable, type ResourceStore } from '../core/resources.js';
import { mapLimit } from '../core/limit.js';
import { isOffline, type DoctorOptions } from '../core/options.js';
import { parseTargetSpec } from '../core/target-spec.js';
import type { Subject } from '../core/types.js';
import type { CertFileSet, ResourceMap } from '../model/inventory.js';
import type { EndpointSlice, Monitor, MonitorEndpoint, Pod, Service } from '../model/k8s.js';
import { labelsOf, nameOf, namespaceOf } from '../model/k8s.js';
import type { KubeAccess } from '../model/kube-access.js';
import { inMonitorNamespaces, matchesLabels } from '../model/selectors.js';
import { parseCertificates, parseSpiffeId, spiffeId, spiffeIdOf } from '../pki/index.js';
import { canConnect, makeProbeTls, probeLocal, type ProbeOutcome, type ProbeRequest, type ProbeTls } from './mtls-probe.js';
import { probeInPod, type ProbePod } from './openssl-output.js';
import { pathWithParams } from './scrape-response.js';

export interface ProbeTarget {
  /** `host:port`, the subject's endpoint */
  endpoint: string;
  host: string;
  port: number;
  scheme: 'http' | 'https';
  path: string;
  params: Record<string, string[]>;
  /** tlsConfig.serverName (SNI) */
  serverName?: string;
  /** Prometheus offers h2 unless the monitor sets enableHttp2: false */
  enableHttp2: boolean;
  /** the monitor endpoint it comes from; absent for --target */
  monitor?: { kind: 'ServiceMonitor' | 'PodMonitor'; namespace: string; name: string; endpointIndex: number };
  /** the target pod, when known */
  pod?: { namespace: string; name: string; serviceAccount?: string };
  /** the SPIFFE ID it must present: its pod's service account, or --target-identity */
  expectedIdentity?: string;
  /** what findings about it are reported on */
  subject: Subject;
}

export interface ProbeResult {
  target: ProbeTarget;
  /** absent when the target was not probed (`skipped` says why) */
  outcome?: ProbeOutcome;
  skipped?: string;
}

export interface ProbeRun {
  /** where the handshakes were made from */
  from: 'local' | 'pod';
  /** why there (`--probe local`, or what `auto` saw) */
  reason: string;
  /** the files whose certificate was presented (the findings about them explain failures) */
  certFiles?: CertFileSet;
  /** 'sent', or why no client certificate was presented */
  clientCertificate: string;
  /** what the peers' chains were verified against */
  rootSource?: string;
  results: ProbeResult[];
}

declare module '../model/inventory.js' {
  interface ResourceMap {
    probeTargets: ProbeTarget[];
    probeResults: ProbeRun;
  }
}

const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** The sidecar container that runs `openssl s_client` for --probe pod. */
const PROBE_CONTAINER = 'istio-proxy';

// ── Targets ─────────────────────────────────────────────────────────────────────────────────────

/** The mesh's trust domain: that of Prometheus's own certificate, else Istio's default. */
function trustDomainOf(certFiles: readonly CertFileSet[] | undefined): string {
  for (const set of certFiles ?? []) {
    const chain = set.files['cert-chain.pem'];
    if (chain.state !== 'ok' || !chain.content) continue;
    try {
      const leaf = parseCertificates(chain.content)[0];
      const id = leaf && spiffeIdOf(leaf);
      const parts = id ? parseSpiffeId(id) : undefined;
      if (parts) return parts.trustDomain;
    } catch {
      // An unparsable chain is CERT_PARSE_ERROR's business; the default serves here.
    }
    if (set.expectedIdentity?.trustDomain) return set.expectedIdentity.trustDomain;
  }
  return DEFAULT_TRUST_DOMAIN;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Each --target: https, with --target-identity as the identity to present. */
export function flagTargets(options: Pick<DoctorOptions, 'targets' | 'targetIdentity'>): ProbeTarget[] {
  return options.targets.map((text) => {
    const spec = parseTargetSpec(text);
    const endpoint = hostPort(spec.host, spec.port);
    const [path = '/metrics', query = ''] = spec.path.split('?');
    const params: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(query)) (params[k] ??= []).push(v);
    return {
      endpoint, host: spec.host, port: spec.port, scheme: 'https', path, params, enableHttp2: true,
      ...(options.targetIdentity ? { expectedIdentity: options.targetIdentity } : {}),
      subject: { kind: 'Target', endpoint },
    };
  });
}

interface Inputs {
  serviceMonitors: Monitor[];
  podMonitors: Monitor[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  pods: Pod[];
  trustDomain: string;
}

/** The settings every target of one monitor endpoint shares. */
function endpointSettings(monitor: Monitor, endpoint: MonitorEndpoint, index: number): Omit<ProbeTarget, 'endpoint' | 'host' | 'port' | 'subject'> {
  return {
    scheme: endpoint.scheme === 'https' ? 'https' : 'http',
    path: endpoint.path ?? '/metrics',
    params: endpoint.params ?? {},
    ...(endpoint.tlsConfig?.serverName ? { serverName: endpoint.tlsConfig.serverName } : {}),
    enableHttp2: endpoint.enableHttp2 !== false,
    monitor: { kind: monitor.kind as 'ServiceMonitor' | 'PodMonitor', namespace: namespaceOf(monitor), name: nameOf(monitor), endpointIndex: index },
  };
}

function podTarget(base: Omit<ProbeTarget, 'endpoint' | 'host' | 'port' | 'subject'>, host: string, port: number, pod: Pod | undefined, podRef: { namespace: string; name: string } | undefined, trustDomain: string): ProbeTarget {
  const endpoint = hostPort(host, port);
  const serviceAccount = pod ? (pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default') : undefined;
  const target: ProbeTarget = { ...base, endpoint, host, port, subject: { kind: 'Target', endpoint } };
  if (podRef) {
    target.pod = { ...podRef, ...(serviceAccount ? { serviceAccount } : {}) };
    target.subject = { kind: 'Pod', namespace: podRef.namespace, name: podRef.name, endpoint };
    if (serviceAccount) target.expectedIdentity = spiffeId(trustDomain, podRef.namespace, serviceAccount);
  }
  return target;
}

/** ServiceMonitor → Services by selector → port by name → EndpointSlice addresses and their pods. */
function serviceMonitorTargets(input: Inputs): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const monitor of input.serviceMonitors) {
    const selector = monitor.spec?.selector ?? {};
    const services = input.services.filter((s) => inMonitorNamespaces(monitor, namespaceOf(s)) && matchesLabels(selector, labelsOf(s)));
    (monitor.spec?.endpoints ?? []).forEach((endpoint, index) => {
      const base = endpointSettings(monitor, endpoint, index);
      for (const service of services) {
        const servicePort = service.spec?.ports?.find((p) => endpoint.port !== undefined && p.name === endpoint.port);
        if (endpoint.port !== undefined && !servicePort) continue; // MONITOR_PORT_NOT_FOUND says so
        const slices = input.endpointSlices.filter((e) => namespaceOf(e) === namespaceOf(service) && labelsOf(e)['kubernetes.io/service-name'] === nameOf(service));
        for (const slice of slices) {
          const port = typeof endpoint.targetPort === 'number' ? endpoint.targetPort : slice.ports?.find((p) => p.name === (servicePort?.name ?? endpoint.targetPort))?.port;
          if (port === undefined) continue;
          for (const address of slice.endpoints ?? []) {
            const ref = address.targetRef?.kind === 'Pod' && address.targetRef.name ? { namespace: address.targetRef.namespace ?? namespaceOf(slice), name: address.targetRef.name } : undefined;
            const pod = ref && input.pods.find((p) => nameOf(p) === ref.name && namespaceOf(p) === ref.namespace);
            for (const ip of address.addresses ?? []) targets.push(podTarget(base, ip, port, pod, ref, input.trustDomain));
          }
        }
      }
    });
  }
  return targets;
}

/** PodMonitor → pods by selector → the container port of that name, at the pod's IP. */
function podMonitorTargets(input: Inputs): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const monitor of input.podMonitors) {
    const selector = monitor.spec?.selector ?? {};
    const pods = input.pods.filter((p) => p.status?.podIP && inMonitorNamespaces(monitor, namespaceOf(p)) && matchesLabels(selector, labelsOf(p)));
    (monitor.spec?.podMetricsEndpoints ?? []).forEach((endpoint, index) => {
      const base = endpointSettings(monitor, endpoint, index);
      for (const pod of pods) {
        const ports = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
        const port = endpoint.port !== undefined ? ports.find((p) => p.name === endpoint.port)?.containerPort
          : typeof endpoint.portNumber === 'number' ? endpoint.portNumber
          : typeof endpoint.targetPort === 'number' ? endpoint.targetPort : undefined;
        if (port === undefined) continue;
        targets.push(podTarget(base, pod.status!.podIP!, port, pod, { namespace: namespaceOf(pod), name: nameOf(pod) }, input.trustDomain));
      }
    });
  }
  return targets;
}

/** Deduplicated by monitor endpoint and address (a pod behind two Services of one monitor is one target each). */
function unique(targets: ProbeTarget[]): ProbeTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.monitor?.kind}/${t.monitor?.namespace}/${t.monitor?.name}/${t.monitor?.endpointIndex}/${t.scheme}://${t.endpoint}${t.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function loadProbeTargets(options: DoctorOptions, store: ResourceStore): Promise<ProbeTarget[]> {
  const targets = flagTargets(options);
  // Offline is offline (CONTRACT.md): only what the user named is dialled, never an address a
  // manifest holds (a manifest from a pull request must not make CI connect anywhere).
  if (isOffline(options)) {
    if (!targets.length) throw new Unavailable('nothing to probe: offline, only --target endpoints are dialled, never addresses found in manifests');
    return targets;
  }
  const trustDomain = trustDomainOf(await store.optional('certFiles'));
  const slices = await store.load('endpointSlices');
  const workloads = (await store.optional('workloads')) ?? [];
  const input: Inputs = {
    serviceMonitors: (await store.optional('serviceMonitors')) ?? [],
    podMonitors: (await store.optional('podMonitors')) ?? [],
    services: (await store.optional('services')) ?? [],
    endpointSlices: slices.ok ? slices.value : [],
    // Live pods only: a manifest's pod template has no IP to probe.
    pods: workloads.map((w) => w.object).filter((o): o is Pod => o.kind === 'Pod'),
    trustDomain,
  };
  targets.push(...unique([...serviceMonitorTargets(input), ...podMonitorTargets(input)]));
  if (!targets.length) {
    const why = slices.ok ? 'the monitors select no endpoint with an address' : slices.reason;
    throw new Unavailable(`nothing to probe: no --target, and ${why}`);
  }
  return targets;
}

// ── Probing ─────────────────────────────────────────────────────────────────────────────────────

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

function probeRequest(target: ProbeTarget, options: DoctorOptions, signal: AbortSignal, alpn: readonly string[]): ProbeRequest {
  return {
    host: target.host,
    port: target.port,
    scheme: target.scheme,
    pathWithQuery: pathWithParams(target.path, target.params),
    serverName: target.serverName ?? (isIp(target.host) ? undefined : target.host),
    alpn,
    timeoutMs: options.timeoutMs,
    signal,
  };
}

/** The certificate set to present: the first whose three files were read, else the first at all. */
function chooseCertFiles(sets: readonly CertFileSet[] | undefined): CertFileSet | undefined {
  return sets?.find((s) => Object.values(s.files).every((f) => f.state === 'ok')) ?? sets?.[0];
}

interface Place {
  from: 'local' | 'pod';
  reason: string;
}

/** --probe: local, pod, or (auto) local when the first target answers a TCP connect within --timeout. */
async function choosePlace(options: DoctorOptions, targets: readonly ProbeTarget[], kube: KubeAccess | undefined, certFiles: CertFileSet | undefined, signal: AbortSignal): Promise<Place> {
  if (options.probe === 'local') return { from: 'local', reason: '--probe local' };
  const podReady = kube !== undefined && certFiles?.subject.kind === 'Pod';
  if (options.probe === 'pod') {
    if (!podReady) throw new Unavailable('--probe pod needs a cluster and a running Prometheus pod to exec openssl in');
    return { from: 'pod', reason: '--probe pod' };
  }
  const first = targets[0]!;
  if (await canConnect(first.host, first.port, options.timeoutMs, signal)) return { from: 'local', reason: `auto: ${first.endpoint} answered a TCP connect from this machine` };
  if (podReady) return { from: 'pod', reason: `auto: ${first.endpoint} did not answer a TCP connect from this machine within ${options.timeoutMs} ms` };
  return { from: 'local', reason: `auto: ${first.endpoint} did not answer from this machine, and there is no Prometheus pod to probe from` };
}

/** The paths of the files inside the sidecar: its OUTPUT_CERTS folder (the same volume Prometheus mounts). */
function filesInSidecar(set: CertFileSet): ProbePod['files'] {
  const dir = set.outputCerts?.dir ?? set.dir;
  const present = (name: 'cert-chain.pem' | 'key.pem' | 'root-cert.pem') =>
    (set.outputCerts ? set.outputCerts.present.includes(name) : set.files[name].state === 'ok') ? `${dir.replace(/\/$/, '')}/${name}` : undefined;
  return { certChain: present('cert-chain.pem'), key: present('key.pem'), root: present('root-cert.pem') };
}

/** The time kept between aborting the probes and the run's --deadline, for the check to report what they found. */
function reportMargin(deadlineMs: number): number {
  return Math.min(1_000, Math.max(200, deadlineMs / 10));
}

async function runProbes(options: DoctorOptions, store: ResourceStore, deadlineAt: number): Promise<ProbeRun> {
  if (options.probe === 'off') throw new Unavailable('--probe off: no handshakes were made');
  const targets = await store.require('probeTargets');
  const certLoad = await store.load('certFiles');
  const certFiles = chooseCertFiles(certLoad.ok ? certLoad.value : undefined);
  // Without Prometheus's files an https probe still shows whether the target answers, speaks TLS and
  // presents a mesh certificate; only whether it would accept Prometheus's certificate stays unknown.
  const noCertificate = certFiles ? undefined : `no client certificate to probe with, as Prometheus would: ${certLoad.ok ? 'no certificate files' : certLoad.reason}`;
  const meshRoot = await store.optional('meshRoot');
  const kube = await store.optional('kube');
  // No probe may outlive the run: what is still in flight shortly before --deadline is aborted and
  // reported as TARGET_TIMEOUT, early enough for the check to report it before the runner's cut.
  const signal = AbortSignal.timeout(Math.max(0, deadlineAt - reportMargin(options.deadlineMs) - Date.now()));
  // Every probe in flight listens on it: up to --concurrency listeners is expected, not a leak.
  setMaxListeners(options.concurrency + 2, signal);
  const place = await choosePlace(options, targets, kube, certFiles, signal);

  const rootFile = certFiles?.files['root-cert.pem'];
  const probeTls = makeProbeTls({
    certChainPem: certFiles?.files['cert-chain.pem'].content,
    keyPem: certFiles?.files['key.pem'].content,
    rootPem: meshRoot?.pem ?? rootFile?.content,
    rootSource: meshRoot?.source ?? (rootFile?.content ? rootFile.path : undefined),
  });
  const run = async (target: ProbeTarget): Promise<ProbeResult> => {
    const result = place.from === 'pod' ? await probeFromPod(target, options, signal, kube!, certFiles!) : await probeFromHere(target, options, signal, probeTls);
    // The refusal of a certificate we could not send says nothing about Prometheus's own.
    if (noCertificate && result.outcome?.failure?.kind === 'client-cert-rejected') return { target, skipped: `${noCertificate}; the target asks for one` };
    // A limit of this machine's TLS library, not of Prometheus's: no verdict.
    if (result.outcome?.failure?.kind === 'closed' && result.outcome.failure.unjudged) return { target, skipped: `not judged: ${result.outcome.failure.detail}` };
    return result;
  };

  let probed = 0;
  const results = await mapLimit(targets, options.concurrency, async (target) => {
    const result = await run(target);
    store.onTargetProbed?.(++probed, targets.length);
    return result;
  });
  const podFiles = place.from === 'pod' && certFiles ? filesInSidecar(certFiles) : undefined;
  return {
    ...place,
    ...(certFiles ? { certFiles } : {}),
    clientCertificate: podFiles ? (podFiles.certChain && podFiles.key ? 'sent' : 'none: the sidecar has no cert-chain.pem/key.pem') : probeTls.clientCertificate,
    rootSource: podFiles ? podFiles.root : probeTls.rootSource,
    results,
  };
}

async function probeFromHere(target: ProbeTarget, options: DoctorOptions, signal: AbortSignal, probeTls: ProbeTls): Promise<ProbeResult> {
  const alpn = target.enableHttp2 ? ['h2', 'http/1.1'] : ['http/1.1'];
  const probe = (offer: readonly string[]) => probeLocal(probeRequest(target, options, signal, offer), target.scheme === 'https' ? probeTls : undefined);
  let outcome = await probe(alpn);
  // A graceful refusal (GOAWAY NO_ERROR) is retried once on a new connection, as Go's client does;
  // an HTTP/2 head too large for Node's client (not for Go's) is asked again over HTTP/1.1.
  const retry = outcome.failure?.kind === 'closed' ? outcome.failure.retry : undefined;
  if (retry && !signal.aborted) {
    const first = outcome.failure as { detail: string };
    outcome = await probe(retry === 'http/1.1' ? ['http/1.1'] : alpn);
    outcome.retriedAfter = first.detail;
  }
  if (outcome.failure?.kind === 'not-tls') {
    // Ask in plain text too, so that the finding shows what answered (a plain app, Istio's 15020, …).
    const plain = await probeLocal({ ...probeRequest(target, options, signal, alpn), scheme: 'http' }, undefined);
    if (plain.http) outcome.failure = { kind: 'not-tls', detail: `${outcome.failure.detail}; in plain text it answers HTTP ${plain.http.status}` };
  }
  return { target, outcome };
}

async function probeFromPod(target: ProbeTarget, options: DoctorOptions, signal: AbortSignal, kube: KubeAccess, certFiles: CertFileSet): Promise<ProbeResult> {
  if (target.scheme === 'http') return { target, skipped: 'plain-text targets are probed only from this machine (--probe local): the sidecar has no HTTP client the doctor may exec' };
  const pod: ProbePod = {
    namespace: certFiles.subject.namespace!,
    name: certFiles.subject.name!,
    container: PROBE_CONTAINER,
    files: filesInSidecar(certFiles),
  };
  const outcome = await probeInPod(kube, pod, probeRequest(target, options, signal, ['http/1.1']), pod.files.root !== undefined);
  return { target, outcome };
}

/** The probe source: always present; its resources say themselves why they are unavailable. */
export function probeProviders(options: DoctorOptions, store: ResourceStore): { [K in 'probeTargets' | 'probeResults']: () => Promise<ResourceMap[K]> } {
  // The run's end, fixed when the run starts (as the runner's): the probes start only after the configuration checks.
  const deadlineAt = Date.now() + options.deadlineMs;
  return {
    probeTargets: () => loadProbeTargets(options, store),
    probeResults: () => runProbes(options, store, deadlineAt),
  };
}
