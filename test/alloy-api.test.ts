/**
 * Grafana Alloy's live view: its UI's component API (/api/v0/web/components) read from a real HTTP
 * server on loopback that answers in Alloy's JSON body encoding (the shapes of grafana/alloy
 * syntax/encoding/alloyjson and internal/component/prometheus/scrape's TargetStatus), directly and
 * through the cluster mode's pod proxy; and where an Alloy container listens.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../src/core/options.js';
import { ResourceStore, Unavailable } from '../src/core/resources.js';
import type { PrometheusPod } from '../src/model/inventory.js';
import type { KubeAccess } from '../src/model/kube-access.js';
import { alloyListenAddress, readAlloyView } from '../src/probes/alloy-api.js';
import { readPrometheusViews, urlGetter } from '../src/probes/prometheus-api.js';
import { classifyLastError } from '../src/probes/classify.js';

const attr = (name: string, type: string, value: unknown) => ({ name, type: 'attr', value: { type, value } });
const labels = (map: Record<string, string>) => ({ name: 'labels', type: 'attr', value: { type: 'object', value: Object.entries(map).map(([key, v]) => ({ key, value: { type: 'string', value: v } })) } });
const targetBlock = (name: string, job: string, url: string, health: string, lastError?: string) => ({
  name, type: 'block', body: [
    attr('job', 'string', job), attr('url', 'string', url), attr('health', 'string', health),
    labels({ job, instance: new URL(url).host }),
    ...(lastError ? [attr('last_error', 'string', lastError)] : []),
    attr('last_scrape', 'string', '2026-12-05T10:00:00Z'),
  ],
});

const DOWN = 'Get "https://10.4.0.7:8080/metrics": remote error: tls: certificate required';
/** An Alloy with one prometheus.scrape (one target down), one ServiceMonitor component, and one component that fails. */
const ALLOY: Record<string, { status: number; body: unknown }> = {
  '/api/v0/web/components': { status: 200, body: [
    { name: 'prometheus.scrape', localID: 'prometheus.scrape.shop', moduleID: '', health: { state: 'healthy' } },
    { name: 'prometheus.operator.servicemonitors', localID: 'prometheus.operator.servicemonitors.mesh', moduleID: '', health: { state: 'healthy' } },
    { name: 'prometheus.scrape', localID: 'prometheus.scrape.broken', moduleID: '', health: { state: 'healthy' } },
    { name: 'prometheus.remote_write', localID: 'prometheus.remote_write.default', moduleID: '', health: { state: 'healthy' } },
  ] },
  '/api/v0/web/components/prometheus.scrape.shop': { status: 200, body: {
    name: 'prometheus.scrape', localID: 'prometheus.scrape.shop',
    arguments: [
      attr('scheme', 'string', 'https'),
      { name: 'tls_config', type: 'block', body: [attr('ca_file', 'string', '/etc/prom-certs/root-cert.pem'), attr('cert_file', 'string', '/etc/prom-certs/cert-chain.pem'), attr('key_file', 'string', '/etc/prom-certs/key.pem'), attr('insecure_skip_verify', 'bool', true)] },
    ],
    debugInfo: [targetBlock('target', 'prometheus.scrape.shop', 'https://10.4.0.7:8080/metrics', 'down', DOWN), targetBlock('target', 'prometheus.scrape.shop', 'https://10.4.0.8:8080/metrics', 'up')],
  } },
  '/api/v0/web/components/prometheus.operator.servicemonitors.mesh': { status: 200, body: {
    name: 'prometheus.operator.servicemonitors', localID: 'prometheus.operator.servicemonitors.mesh',
    debugInfo: [
      { name: 'crds', type: 'block', body: [attr('namespace', 'string', 'shop'), attr('name', 'string', 'web')] },
      targetBlock('targets', 'serviceMonitor/shop/web/0', 'https://10.4.0.9:15020/stats/prometheus', 'up'),
    ],
  } },
  '/api/v0/web/components/prometheus.scrape.broken': { status: 500, body: 'component is being evaluated' },
};

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A real HTTP server answering the given routes (404 elsewhere); returns its base URL. */
async function serve(routes: Record<string, { status: number; body: unknown }>): Promise<string> {
  const server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    res.writeHead(route?.status ?? 404, { 'content-type': 'application/json' });
    res.end(route ? (typeof route.body === 'string' ? route.body : JSON.stringify(route.body)) : '404 page not found');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('readAlloyView', () => {
  it('reads the targets of prometheus.scrape and the operator components, and the scrape jobs with their TLS files', async () => {
    const base = await serve(ALLOY);
    const view = await readAlloyView(urlGetter(base, 5_000), base);
    expect(view.activeTargets!.map((t) => [t.scrapePool, t.scrapeUrl, t.health, t.lastError])).toEqual(expect.arrayContaining([
      ['prometheus.scrape.shop', 'https://10.4.0.7:8080/metrics', 'down', DOWN],
      ['prometheus.scrape.shop', 'https://10.4.0.8:8080/metrics', 'up', ''],
      ['serviceMonitor/shop/web/0', 'https://10.4.0.9:15020/stats/prometheus', 'up', ''],
    ]));
    expect(view.activeTargets).toHaveLength(3);
    expect(view.activeTargets!.find((t) => t.health === 'down')!.labels).toEqual({ job: 'prometheus.scrape.shop', instance: '10.4.0.7:8080' });
    expect(view.jobs).toEqual([{
      name: 'prometheus.scrape.shop', scheme: 'https', insecureSkipVerify: true,
      tlsFiles: { caFile: '/etc/prom-certs/root-cert.pem', certFile: '/etc/prom-certs/cert-chain.pem', keyFile: '/etc/prom-certs/key.pem' },
    }]);
    expect(view.unreadable).toEqual([{ path: '/api/v0/web/components/prometheus.scrape.broken', reason: 'HTTP 500: component is being evaluated' }]);
    // its lastError is Prometheus's text: explained as such
    expect(classifyLastError(view.activeTargets!.find((t) => t.health === 'down')!.lastError)[0]?.code).toBe('MONITOR_TLS_FILES_MISSING');
  });

  it('records an API that does not answer as a whole, never throws', async () => {
    const base = await serve({});
    const view = await readAlloyView(urlGetter(base, 5_000), base);
    expect(view.activeTargets).toBeUndefined();
    expect(view.unreadable).toEqual([{ path: '', reason: 'HTTP 404: 404 page not found' }]);
    const notAlloy = await serve({ '/api/v0/web/components': { status: 200, body: { status: 'success' } } });
    expect((await readAlloyView(urlGetter(notAlloy, 5_000), notAlloy)).unreadable).toEqual([{ path: '', reason: 'the components answer is not a list' }]);
  });
});

describe('alloyListenAddress', () => {
  it.each([
    [[], 12345, true],
    [['run', '/etc/alloy/config.alloy', '--server.http.listen-addr=0.0.0.0:12345'], 12345, false],
    [['run', '--server.http.listen-addr', '0.0.0.0:8080', '/etc/alloy/config.alloy'], 8080, false],
    [['run', '--server.http.listen-addr=127.0.0.1:9000'], 9000, true],
    [['run', '--server.http.listen-addr=[::1]:9000'], 9000, true],
  ])('%j: port %i, loopback %s', (args, port, loopback) => {
    expect(alloyListenAddress({ name: 'alloy', args })).toMatchObject({ port, loopback });
  });
});

describe('cluster mode: Alloy pods through the pod proxy', () => {
  const alloyPod = (name: string, args: string[]): PrometheusPod => ({
    scraper: { kind: 'Alloy', namespace: 'monitoring', name: 'alloy' },
    subject: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'alloy', namespace: 'monitoring' } },
    namespace: 'monitoring', admitted: true, prometheusContainer: 'alloy', layers: [],
    pod: { kind: 'Pod', metadata: { name, namespace: 'monitoring' }, spec: { containers: [{ name: 'alloy', image: 'grafana/alloy:v1.19.0', args }] } },
  });
  /** The API server's pod proxy, forwarding to a real Alloy-shaped server; records the routes asked. */
  const proxyTo = (base: string) => {
    const asked: string[] = [];
    const get = urlGetter(base, 5_000);
    const kube: KubeAccess = {
      server: 'https://k8s.test',
      exec: () => Promise.reject(new Error('no exec here')),
      proxyGet: async (target, path) => {
        asked.push(`${target.pod}:${target.port}${path}`);
        return get(path);
      },
    };
    return { kube, asked };
  };
  const views = (kube: KubeAccess, pods: PrometheusPod[]) =>
    readPrometheusViews({ ...DEFAULT_OPTIONS }, new ResourceStore({ kube: () => kube, prometheusPods: () => pods }));

  it('reads each running Alloy pod on the port of --server.http.listen-addr', async () => {
    const { kube, asked } = proxyTo(await serve(ALLOY));
    const found = await views(kube, [alloyPod('alloy-x7k2p', ['run', '/etc/alloy/config.alloy', '--server.http.listen-addr=0.0.0.0:12345'])]);
    expect(found).toHaveLength(1);
    expect(found[0]!.source).toBe('/api/v1/namespaces/monitoring/pods/alloy-x7k2p:12345/proxy');
    expect(found[0]!.prometheus?.kind).toBe('DaemonSet');
    expect(found[0]!.activeTargets).toHaveLength(3);
    expect(asked).toContain('alloy-x7k2p:12345/api/v0/web/components');
  });

  it('an Alloy listening on loopback only (the default) is not asked: the reason says so', async () => {
    const { kube, asked } = proxyTo(await serve(ALLOY));
    const error = await views(kube, [alloyPod('alloy-x7k2p', ['run', '/etc/alloy/config.alloy'])]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Unavailable);
    expect((error as Error).message).toMatch(/--server\.http\.listen-addr=127\.0\.0\.1:12345, loopback only: the API server's pod proxy cannot reach it/);
    expect(asked).toEqual([]);
  });
});
