/**
 * The simulated mesh: the one stand-in for a real cluster (no kube-apiserver can run here), used by
 * `asm-prom demo`, the end-to-end tests and the benchmarks. See ARCHITECTURE.md, "The simulated mesh".
 *
 *   const mesh = await startSimulatedMesh('healthy');
 *   // kubectl --kubeconfig mesh.kubeconfigPath get pods -A
 *   await mesh.stop();
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeScratchDir } from '../core/scratch-dir.js';
import { SimApiServer, TOKEN_USER, type RequestLogEntry, type ResourceRequest } from './api-server.js';
import type { KubeObject } from '../model/k8s.js';
import { applyPatch, PatchError, type PatchType } from '../fix/patch.js';
import { CertificateAuthority, makeSimKeys, type CaKeys } from './ca.js';
import { ClusterState } from './cluster.js';
import { ExecService } from './exec.js';
import { PodFilesystems } from './filesystem.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ProxyService } from './proxy.js';
import { loadScenario, type Scenario } from './scenario.js';
import { SidecarFleet, type FleetOptions } from './sidecar.js';

export type { RequestLogEntry } from './api-server.js';
export type { CertFaults, Faults, ForbidRule, Scenario, WorkloadFaults } from './scenario.js';
export { listScenarios, loadScenario, scenariosDir } from './scenario.js';

export interface SimulatedMesh {
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** every API request, in order of completion */
  requestLog: RequestLogEntry[];
  /** the mesh CA's root (what the istio-ca-root-cert ConfigMaps hold) */
  meshRootPem: string;
  scenario: Scenario;
  /** the user the kubeconfig's default context authenticates as (for Forbidden messages) */
  user: string;
  /**
   * Sends the API server's service proxy for `<ns>/<service>:<port>` to a real HTTP server (e.g. a
   * real Prometheus) instead of the service's simulated pods.
   */
  registerServiceBackend(namespace: string, service: string, port: string | number, url: string): void;
  /** closes every server and socket and removes the temporary folder (unless `dir` was given) */
  stop(): Promise<void>;
}

const ADDRESS_ATTEMPTS = 5;

/** The cluster's objects and its pods' listeners, in an address block no other mesh on this machine uses. */
async function startPods(scenario: Scenario, meshCa: CertificateAuthority, apiCaPem: string, foreignKeys: CaKeys, options: FleetOptions) {
  for (let attempt = 1; ; attempt++) {
    const state = new ClusterState(scenario, { meshRootPem: meshCa.rootPem, apiCaPem });
    const filesystems = new PodFilesystems(state, meshCa, foreignKeys);
    const sidecars = new SidecarFleet(state, meshCa, filesystems, options);
    try {
      await sidecars.start();
      return { state, filesystems, sidecars };
    } catch (error) {
      await sidecars.stop();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= ADDRESS_ATTEMPTS) throw error;
    }
  }
}

export interface SimulatedMeshOptions {
  /** where the kubeconfig and exec files go (kept at stop); a temporary folder by default */
  dir?: string;
  /**
   * false: only the Prometheus pods listen, and their Prometheus reports every target up without
   * scraping it. For memory benchmarks of tens of thousands of pods with `--probe off`, where a
   * listener per pod would take minutes and more file descriptors than a machine allows.
   */
  targetsListen?: boolean;
}

export async function startSimulatedMesh(scenario: Scenario | string, options: SimulatedMeshOptions = {}): Promise<SimulatedMesh> {
  const resolved = typeof scenario === 'string' ? await loadScenario(scenario) : scenario;
  const keys = await makeSimKeys({ intermediate: resolved.intermediateCa, foreign: Boolean(resolved.faults.prometheusCerts?.wrongRoot) });
  // A folder of our own is removed at stop, or when the process exits with the mesh running.
  const scratch = options.dir === undefined ? makeScratchDir('asm-prom-sim-') : undefined;
  const dir = options.dir ?? scratch!.path;
  const meshCa = new CertificateAuthority(resolved.trustDomain, resolved.intermediateCa, keys.mesh);
  const apiCa = new CertificateAuthority('asm-prom simulated cluster', false, keys.cluster);
  const stops: (() => Promise<void> | void)[] = [];
  const removeDir = () => scratch?.removeSync();
  let started: Awaited<ReturnType<typeof startPods>>;
  try {
    started = await startPods(resolved, meshCa, apiCa.rootPem, keys.foreign, { targetsListen: options.targetsListen ?? true });
  } catch (error) {
    removeDir();
    throw error;
  }
  const { state, filesystems } = started;
  let sidecars = started.sidecars;
  stops.push(() => sidecars.stop());
  /** A PATCH of a scenario object: the controllers run again and the pods are made anew, as a rollout would. */
  const patch = async (target: ResourceRequest, object: KubeObject, type: PatchType, body: unknown): Promise<KubeObject> => {
    const next = applyPatch(object, type, body);
    if (next.kind !== object.kind || next.metadata?.name !== object.metadata?.name || next.metadata?.namespace !== object.metadata?.namespace)
      throw new PatchError('the patch may not change kind, name or namespace');
    const same = (o: KubeObject) => o.kind === object.kind && o.metadata?.name === object.metadata?.name && (o.metadata?.namespace ?? 'default') === (object.metadata?.namespace ?? 'default');
    const index = resolved.objects.findIndex(same);
    if (index < 0) return state.replace(object, next);
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...metadata } = next.metadata ?? {};
    const { status: _s, ...rest } = next;
    resolved.objects[index] = { ...rest, metadata } as KubeObject;
    await sidecars.stop();
    state.rebuild();
    filesystems.clear();
    sidecars = new SidecarFleet(state, meshCa, filesystems, { targetsListen: options.targetsListen ?? true });
    await sidecars.start();
    return state.get(target.resource, target.resource.namespaced ? target.namespace : undefined, target.name!) ?? next;
  };
  const proxy = new ProxyService(state);
  const exec = new ExecService(state, filesystems, dir);
  const certUser = apiCa.issueTls('asm-prom-cert-user', { organization: 'system:masters' });
  const token = randomBytes(24).toString('hex');
  const api = new SimApiServer({
    state, faults: resolved.faults, token, certUser: 'asm-prom-cert-user',
    tls: { ...apiCa.issueTls('kube-apiserver', { dns: ['localhost', 'kubernetes', 'kubernetes.default.svc'], ips: ['127.0.0.1'] }), caPem: apiCa.rootPem },
    handlers: { exec: (req, socket, head, target, url) => exec.handleUpgrade(req, socket, head, target, url), proxy: (req, res, target, url) => proxy.handle(req, res, target, url), patch },
  });
  try {
    stops.push(() => proxy.stop());
    const server = await api.listen();
    stops.push(() => api.close());
    stops.push(() => exec.stop());
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, { server, caPem: apiCa.rootPem, token, certUser });
    let stopped: Promise<void> | undefined;
    return {
      kubeconfigPath, server, requestLog: api.requestLog, meshRootPem: meshCa.rootPem, scenario: resolved, user: TOKEN_USER,
      registerServiceBackend: (namespace, service, port, url) => proxy.registerBackend(namespace, service, port, url),
      stop: () => (stopped ??= (async () => {
        for (const stop of stops.reverse()) await stop();
        removeDir();
      })()),
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop();
    removeDir();
    throw error;
  }
}
