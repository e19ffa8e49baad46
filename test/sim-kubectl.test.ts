/**
 * Conformance of the simulated API server: the real kubectl (client 1.32) must work against it,
 * as it would against a cluster.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedMesh, type SimulatedMesh } from '../src/sim/index.js';
import { peer } from './helpers/peers.js';

const KUBECTL = peer('kubectl');

const run = promisify(execFile);
const cacheDir = mkdtempSync(join(tmpdir(), 'sim-kubectl-cache-'));

async function kubectl(mesh: SimulatedMesh, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(KUBECTL!, ['--kubeconfig', mesh.kubeconfigPath, '--cache-dir', cacheDir, ...args], { timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe.skipIf(!KUBECTL)('kubectl against the healthy scenario', () => {
  let mesh: SimulatedMesh;
  beforeAll(async () => {
    mesh = await startSimulatedMesh('healthy');
  });
  afterAll(() => mesh?.stop());

  it('lists pods of every namespace as JSON, with injected sidecars and loopback pod IPs', async () => {
    const { stdout, code } = await kubectl(mesh, 'get', 'pods', '-A', '-o', 'json');
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as { items: { metadata: { name: string; namespace: string; annotations?: Record<string, string> }; spec: { initContainers?: { name: string; restartPolicy?: string }[] }; status: { podIP: string; phase: string } }[] };
    expect(list.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(expect.arrayContaining(['monitoring/prometheus-k8s-0']));
    expect(list.items).toHaveLength(4);
    for (const pod of list.items) {
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.podIP).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(pod.spec.initContainers?.find((c) => c.name === 'istio-proxy')?.restartPolicy).toBe('Always');
      expect(pod.metadata.annotations?.['sidecar.istio.io/status']).toBeTruthy();
    }
  });

  it('prints custom resources and the default (Table) output', async () => {
    const monitors = await kubectl(mesh, 'get', 'servicemonitors', '-A');
    expect(monitors.code).toBe(0);
    expect(monitors.stdout).toMatch(/NAMESPACE\s+NAME\s+AGE\n\s*shop\s+shop\s+/);
    const pods = await kubectl(mesh, 'get', 'pods', '-n', 'monitoring');
    expect(pods.stdout).toMatch(/prometheus-k8s-0\s+3\/3\s+Running/);
    const peer = await kubectl(mesh, 'get', 'pa', '-n', 'istio-system', '-o', 'jsonpath={.items[0].spec.mtls.mode}');
    expect(peer.stdout).toBe('STRICT');
  });

  it('selects by label and field', async () => {
    const byLabel = await kubectl(mesh, 'get', 'pods', '-n', 'shop', '-l', 'app=orders', '-o', 'name');
    expect(byLabel.stdout.trim().split('\n')).toHaveLength(2);
    expect(byLabel.stdout).toMatch(/^pod\/orders-/);
    const notIn = await kubectl(mesh, 'get', 'pods', '-A', '-l', 'app notin (orders),!statefulset.kubernetes.io/pod-name', '-o', 'name');
    expect(notIn.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^pod\/payments-/)]);
    const byField = await kubectl(mesh, 'get', 'pods', '-A', '--field-selector', 'status.phase=Running,metadata.namespace!=shop', '-o', 'name');
    expect(byField.stdout.trim()).toBe('pod/prometheus-k8s-0');
    const bad = await kubectl(mesh, 'get', 'pods', '-A', '--field-selector', 'spec.unknown=x');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/BadRequest|not a known field selector/);
  });

  it('pages with --chunk-size and continue tokens', async () => {
    const before = mesh.requestLog.length;
    const { stdout } = await kubectl(mesh, 'get', 'pods', '-A', '--chunk-size=1', '-o', 'name');
    expect(stdout.trim().split('\n')).toHaveLength(4);
    const lists = mesh.requestLog.slice(before).filter((e) => e.verb === 'list' && e.path === '/api/v1/pods');
    expect(lists).toHaveLength(4);
    expect(lists.slice(1).every((e) => /continue=/.test(e.query) && /limit=1/.test(e.query))).toBe(true);
  });

  it('execs read-only commands in the Prometheus container and in the native sidecar', async () => {
    const root = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'cat', '/etc/prom-certs/root-cert.pem');
    expect(root.code).toBe(0);
    expect(root.stdout).toBe(mesh.meshRootPem);
    const stat = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'stat', '-c', '%a %u %g %s %n', '/etc/prom-certs/key.pem');
    expect(stat.stdout).toMatch(/^644 1337 2000 \d+ \/etc\/prom-certs\/key.pem\n$/);
    const id = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'id', '-u');
    expect(id.stdout).toBe('1000\n');
    const ls = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'istio-proxy', '--', 'ls', '/etc/istio-output-certs');
    expect(ls.stdout).toBe('cert-chain.pem\nkey.pem\nroot-cert.pem\n');
    const missing = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'cat', '/etc/prom-certs/nope.pem');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cat: /etc/prom-certs/nope.pem: No such file or directory');
    const test = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'test', '-r', '/etc/prom-certs/key.pem');
    expect(test.code).toBe(0);
    const badContainer = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'nope', '--', 'id');
    expect(badContainer.code).not.toBe(0);
  });

  it('runs the real openssl s_client from the sidecar, with the container\'s files and stdin', async () => {
    const ip = (await kubectl(mesh, 'get', 'pods', '-n', 'shop', '-l', 'app=payments', '-o', 'jsonpath={.items[0].status.podIP}')).stdout;
    const dir = '/etc/istio-output-certs';
    const child = execFile('/usr/bin/kubectl', ['--kubeconfig', mesh.kubeconfigPath, '--cache-dir', cacheDir, 'exec', '-i', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'istio-proxy', '--',
      'openssl', 's_client', '-connect', `${ip}:9100`, '-cert', `${dir}/cert-chain.pem`, '-cert_chain', `${dir}/cert-chain.pem`, '-key', `${dir}/key.pem`, '-CAfile', `${dir}/root-cert.pem`, '-quiet', '-ign_eof'], { timeout: 20_000 });
    child.stdin!.end('GET /metrics HTTP/1.1\r\nHost: payments\r\nConnection: close\r\n\r\n');
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stdout).toMatch(/^HTTP\/1.1 200 OK/);
    expect(stdout).toContain('server: istio-envoy');
    const unreadable = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'openssl', 's_client', '-connect', `${ip}:9100`, '-key', '/etc/prom-certs/nope.pem');
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('Could not open file or uri for loading private key from /etc/prom-certs/nope.pem');
  });

  it('proxies to Prometheus through the governing service', async () => {
    const { stdout, code } = await kubectl(mesh, 'get', '--raw', '/api/v1/namespaces/monitoring/services/prometheus-operated:web/proxy/api/v1/targets');
    expect(code).toBe(0);
    const targets = JSON.parse(stdout) as { data: { activeTargets: { health: string; scrapePool: string; lastError: string }[] } };
    expect(targets.data.activeTargets).toHaveLength(3);
    expect(targets.data.activeTargets.every((t) => t.health === 'up' && t.scrapePool === 'serviceMonitor/shop/shop/0')).toBe(true);
    expect(mesh.requestLog.some((e) => e.verb === 'proxy' && e.status === 200)).toBe(true);
  });

  it('answers unknown objects and writes with kind: Status errors', async () => {
    const notFound = await kubectl(mesh, 'get', 'pod', '-n', 'shop', 'nope');
    expect(notFound.stderr).toContain('Error from server (NotFound): pods "nope" not found');
    const raw = await kubectl(mesh, 'delete', 'pod', '-n', 'shop', '--all', '--wait=false');
    expect(raw.code).not.toBe(0);
    expect(raw.stderr).toMatch(/MethodNotAllowed|not allow/);
  });

  it('authenticates the client-certificate user too', async () => {
    const { stdout, code } = await kubectl(mesh, '--context', 'sim-cert', 'get', 'ns', '-o', 'name');
    expect(code).toBe(0);
    expect(stdout).toContain('namespace/monitoring');
  });
});

describe.skipIf(!KUBECTL)('kubectl against a scenario that forbids reads', () => {
  let mesh: SimulatedMesh;
  beforeAll(async () => {
    mesh = await startSimulatedMesh('rbac-denied');
  });
  afterAll(() => mesh?.stop());

  it('gives kubectl its Forbidden errors', async () => {
    const list = await kubectl(mesh, 'get', 'peerauthentications', '-A');
    expect(list.code).not.toBe(0);
    expect(list.stderr).toContain(`Error from server (Forbidden): peerauthentications.security.istio.io is forbidden: User "${mesh.user}" cannot list resource "peerauthentications" in API group "security.istio.io" at the cluster scope`);
    const exec = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'id');
    expect(exec.code).not.toBe(0);
    expect(mesh.requestLog.some((e) => e.status === 403 && e.verb === 'list' && e.resource === 'peerauthentications')).toBe(true);
  });
});

describe.skipIf(!KUBECTL)('file permissions in the pod', () => {
  let mesh: SimulatedMesh;
  beforeAll(async () => {
    mesh = await startSimulatedMesh('files-0600');
  });
  afterAll(() => mesh?.stop());

  it('keeps 0600 files of uid 1337 from Prometheus\'s uid, not from the sidecar', async () => {
    const denied = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'cat', '/etc/prom-certs/key.pem');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('cat: /etc/prom-certs/key.pem: Permission denied');
    const stat = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'stat', '-c', '%a %u %g %s %n', '/etc/prom-certs/key.pem');
    expect(stat.stdout).toMatch(/^600 1337 2000 \d+ \/etc\/prom-certs\/key.pem\n$/);
    const sidecar = await kubectl(mesh, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'istio-proxy', '--', 'test', '-r', '/etc/istio-output-certs/key.pem');
    expect(sidecar.code).toBe(0);
  });
});
