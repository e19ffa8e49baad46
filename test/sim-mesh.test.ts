/**
 * The simulated mesh's data plane and scenarios: sidecars answer as Envoy does in each mTLS mode
 * (seen by a Node TLS client holding the Prometheus pod's files), certificates are Istio-shaped,
 * and each broken scenario shows its failure in Prometheus's own view.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { request } from 'node:http';
import { connect as netConnect, isIPv4 } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, startSimulatedMesh, type SimulatedMesh } from '../src/sim/index.js';
import { goErrorText } from '../src/sim/prometheus-api.js';
import { podAddress } from '../src/sim/cluster.js';

interface KubeList<T> { items: T[] }
interface PodJson { metadata: { name: string; namespace: string }; status: { podIP: string } }
interface TargetJson { health: string; lastError: string; scrapePool: string }

/** GET through the simulated API server with the kubeconfig's token. */
async function apiGet<T>(mesh: SimulatedMesh, path: string): Promise<T> {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const config = parse(readFileSync(mesh.kubeconfigPath, 'utf8')) as { clusters: { cluster: { 'certificate-authority-data': string } }[]; users: { user: { token?: string } }[] };
  const response = await fetchJson(mesh.server + path, config.users[0].user.token!, Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString());
  return response as T;
}

function fetchJson(url: string, token: string, ca: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    import('node:https').then(({ request: httpsRequest }) => {
      const req = httpsRequest(url, { headers: { authorization: `Bearer ${token}` }, ca, timeout: 20_000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(JSON.parse(body)));
      });
      req.on('error', reject);
      req.end();
    }, reject);
  });
}

async function execCat(mesh: SimulatedMesh, path: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => execFile('/usr/bin/kubectl', ['--kubeconfig', mesh.kubeconfigPath, 'exec', '-n', 'monitoring', 'prometheus-k8s-0', '-c', 'prometheus', '--', 'cat', path], { timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))));
}

/** One HTTPS GET /metrics with the given TLS options; the outcome as a short word. */
function tlsScrape(host: string, port: number, options: { cert?: string; key?: string; ALPNProtocols?: string[] }): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, ...options });
    let data = '';
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.on('secureConnect', () => socket.write(`GET /metrics HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    socket.on('data', (d) => (data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    socket.on('close', () => resolve(data ? data.split('\r\n')[0] : 'EOF'));
  });
}

function plainScrape(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/metrics', timeout: 5_000 }, (res) => {
      res.resume();
      resolve(`HTTP ${res.statusCode}`);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNRESET' ? 'EOF' : e.code ?? e.message));
    req.end();
  });
}

describe('the healthy mesh', () => {
  let mesh: SimulatedMesh;
  let certs: { root: string; chain: string; key: string };
  let target: { host: string; port: number };
  beforeAll(async () => {
    mesh = await startSimulatedMesh('healthy');
    certs = {
      root: await execCat(mesh, '/etc/prom-certs/root-cert.pem'),
      chain: await execCat(mesh, '/etc/prom-certs/cert-chain.pem'),
      key: await execCat(mesh, '/etc/prom-certs/key.pem'),
    };
    const pods = await apiGet<KubeList<PodJson>>(mesh, '/api/v1/namespaces/shop/pods?labelSelector=app%3Dorders');
    target = { host: pods.items[0].status.podIP, port: 8080 };
  });
  afterAll(() => mesh?.stop());

  it('writes Istio-shaped certificates: empty subject, critical SPIFFE SAN, leaf + intermediate + root', () => {
    const pems = certs.chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    expect(pems).toHaveLength(3);
    const leaf = new X509Certificate(pems[0]);
    expect(leaf.subject ?? '').toBe('');
    expect(leaf.subjectAltName).toBe('URI:spiffe://cluster.local/ns/monitoring/sa/prometheus-k8s');
    expect(new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime()).toBe(24 * 3_600_000);
    expect(leaf.checkIssued(new X509Certificate(pems[1]))).toBe(true);
    expect(new X509Certificate(pems[2]).fingerprint256).toBe(new X509Certificate(mesh.meshRootPem).fingerprint256);
    expect(certs.root).toBe(mesh.meshRootPem);
    expect(leaf.checkPrivateKey(createPrivateKey(certs.key))).toBe(true);
  });

  it('serves /metrics over mTLS in STRICT mode to the Prometheus certificate', async () => {
    expect(await tlsScrape(target.host, target.port, { cert: certs.chain, key: certs.key })).toBe('HTTP/1.1 200 OK');
  });

  it('refuses a missing client certificate and plain text in STRICT mode', async () => {
    expect(await tlsScrape(target.host, target.port, {})).toMatch(/CERTIFICATE_REQUIRED|ECONNRESET|EOF/);
    expect(await plainScrape(target.host, target.port)).toBe('EOF');
  });

  it('lets the ConfigMap of every namespace carry the mesh root', async () => {
    const cm = await apiGet<{ data: Record<string, string> }>(mesh, '/api/v1/namespaces/shop/configmaps/istio-ca-root-cert');
    expect(cm.data['root-cert.pem']).toBe(mesh.meshRootPem);
  });
});

describe('a PERMISSIVE target', () => {
  let mesh: SimulatedMesh;
  let host: string;
  beforeAll(async () => {
    mesh = await startSimulatedMesh('permissive-target');
    host = (await apiGet<KubeList<PodJson>>(mesh, '/api/v1/namespaces/shop/pods?labelSelector=app%3Dorders')).items[0].status.podIP;
  });
  afterAll(() => mesh?.stop());

  it('closes TLS without an istio ALPN on an HTTP port and serves plain text', async () => {
    const chain = await execCat(mesh, '/etc/prom-certs/cert-chain.pem');
    const key = await execCat(mesh, '/etc/prom-certs/key.pem');
    expect(await tlsScrape(host, 8080, { cert: chain, key, ALPNProtocols: ['h2', 'http/1.1'] })).toMatch(/ECONNRESET|EOF/);
    expect(await tlsScrape(host, 8080, { cert: chain, key, ALPNProtocols: ['istio-http/1.1', 'istio', 'http/1.1'] })).toBe('HTTP/1.1 200 OK');
    expect(await plainScrape(host, 8080)).toBe('HTTP 200');
  });
});

describe('scenarios', () => {
  it('are listed with their expected codes, and every file loads', async () => {
    const scenarios = listScenarios();
    expect(scenarios.map((s) => s.name)).toEqual(expect.arrayContaining(['healthy', 'annotations-on-cr', 'no-sidecar', 'certs-not-shared', 'files-0600', 'expired-cert', 'wrong-root', 'permissive-target', 'http-on-strict', 'port-not-http', 'rbac-denied', 'authz-403', 'scale']));
    for (const s of scenarios) {
      // healthy set-ups of other shapes (a raw prometheus.yml, a ScrapeConfig, no ScrapeConfig CRD, other scrapers) expect nothing
      if (!['healthy', 'scale', 'slow-api', 'raw-config', 'scrape-config', 'scrape-config-crd-absent'].includes(s.name) && !s.name.endsWith('-healthy')) expect(s.expectedCodes.length, s.name).toBeGreaterThan(0);
      expect((await loadScenario(s.name)).objects.length).toBeGreaterThan(0);
    }
  });

  /** What Prometheus itself shows for each broken scenario: its targets' lastError, or no targets. */
  const PROMETHEUS_VIEW: Record<string, RegExp | 'no-targets'> = {
    'annotations-on-cr': 'no-targets',
    'certs-not-shared': 'no-targets',
    'files-0600': 'no-targets',
    'expired-cert': /EOF|connection reset|expired/,
    'wrong-root': /EOF|unknown certificate authority|connection reset/,
    'mismatched-key': /private key does not match/,
    'permissive-target': /: EOF$/,
    'http-on-strict': /^Get "http:\/\/.*": EOF$/,
    'port-not-http': /^Get "https:\/\/.*": unexpected EOF$/,
    'authz-403': /^server returned HTTP status 403 Forbidden$/,
    'app-unreachable': /^server returned HTTP status 503 Service Unavailable$/,
    'target-no-sidecar': /http: server gave HTTP response to HTTPS client/,
    'hostile-targets': /context deadline exceeded|connection reset/,
  };

  it.each(Object.entries(PROMETHEUS_VIEW))('%s shows in Prometheus\'s targets', async (name, expected) => {
    const mesh = await startSimulatedMesh(name);
    try {
      const targets = await apiGet<{ data: { activeTargets: TargetJson[] } }>(mesh, '/api/v1/namespaces/monitoring/services/prometheus-operated:web/proxy/api/v1/targets');
      if (expected === 'no-targets') return void expect(targets.data.activeTargets).toEqual([]);
      const down = targets.data.activeTargets.filter((t) => t.health === 'down');
      expect(down.length, JSON.stringify(targets.data.activeTargets)).toBeGreaterThan(0);
      for (const t of down) expect(t.lastError).toMatch(expected);
    } finally {
      await mesh.stop();
    }
  });

  it('generates scale-N with N target pods', async () => {
    const mesh = await startSimulatedMesh('scale-250');
    try {
      const pods = await apiGet<KubeList<PodJson>>(mesh, '/api/v1/namespaces/shop/pods?limit=100');
      expect(pods.items).toHaveLength(100);
      const all = await apiGet<KubeList<PodJson>>(mesh, '/api/v1/namespaces/shop/pods');
      expect(all.items).toHaveLength(250);
      expect(new Set(all.items.map((p) => p.status.podIP)).size).toBe(250);
    } finally {
      await mesh.stop();
    }
  });

  it('gives 50,000 pods distinct IPv4 addresses from any address block', () => {
    for (const block of [(1 << 8) | 0, (250 << 8) | 127]) {
      const addresses = Array.from({ length: 50_000 }, (_, i) => podAddress(block, i));
      expect(addresses.filter((a) => !isIPv4(a))).toEqual([]);
      expect(new Set(addresses).size).toBe(50_000);
    }
  });

  it('without target listeners (targetsListen: false), serves the same API and reports every target up, unscraped', async () => {
    const mesh = await startSimulatedMesh('scale-30', { targetsListen: false });
    try {
      const pods = await apiGet<KubeList<PodJson>>(mesh, '/api/v1/namespaces/shop/pods');
      expect(pods.items).toHaveLength(30);
      expect(await plainScrape(pods.items[0]!.status.podIP, 8080)).toBe('ECONNREFUSED');
      const targets = await apiGet<{ data: { activeTargets: TargetJson[] } }>(mesh, '/api/v1/namespaces/monitoring/services/prometheus-operated:9090/proxy/api/v1/targets?state=any');
      expect(targets.data.activeTargets.length).toBeGreaterThanOrEqual(30);
      expect(targets.data.activeTargets.filter((t) => t.health !== 'up')).toEqual([]);
    } finally {
      await mesh.stop();
    }
  });
});

describe("the fake Prometheus's Go error texts", () => {
  const target = { host: '10.0.0.7', port: 8443 };
  const error = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('names its own address in a reset, as Go does', () => {
    expect(goErrorText(error('ECONNRESET'), target, '10.0.0.5:43210')).toBe('read tcp 10.0.0.5:43210->10.0.0.7:8443: read: connection reset by peer');
  });

  it('fails a verified scrape of a pod IP on the missing IP SAN before the chain, as Go checks the name first', () => {
    expect(goErrorText(error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), target)).toBe("tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.7 because it doesn't contain any IP SANs");
    expect(goErrorText(error('CERT_HAS_EXPIRED'), target)).toMatch(/^tls: failed to verify certificate: x509: certificate has expired or is not yet valid/);
  });
});
