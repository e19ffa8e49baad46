/**
 * Reading Prometheus's HTTP API against a scripted stand-in: the shapes of the answers, what each
 * SCRAPE_POOL_MISSING reason rests on, and hostile or absent answers, which must become findings
 * (PROMETHEUS_API_UNREACHABLE, a warning) and never a crash or a hang.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { defineCheck, runDoctor, type RunSummary } from '../src/index.js';
import { DEFAULT_OPTIONS } from '../src/core/options.js';
import { ResourceStore } from '../src/core/resources.js';
import type { PrometheusPod } from '../src/model/inventory.js';
import type { KubeAccess, ProxyResponse } from '../src/model/kube-access.js';
import type { PrometheusResource } from '../src/model/k8s.js';
import { jobOfMonitor, monitorOfJob, parseCounter, readPrometheusView, readPrometheusViews, urlGetter } from '../src/probes/prometheus-api.js';
import { runCli } from './helpers/cli.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const json = (body: unknown, status = 200): Route => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const success = (data: unknown) => json({ status: 'success', data });

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => {
    s.closeAllConnections();
    s.close(r);
  })));
});

/** A stand-in Prometheus answering by path (query string ignored); unknown paths get 404. */
async function fakePrometheus(routes: Record<string, Route>): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    const route = routes[(req.url ?? '').split('?')[0]!];
    if (route) route(req, res);
    else json({ status: 'error', errorType: 'not_found', error: 'no such path' }, 404)(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

const target = (job: string, health: string, lastError = '', extra: object = {}) => ({
  discoveredLabels: { __address__: '10.0.0.7:8443', job }, labels: { job, instance: '10.0.0.7:8443' },
  scrapePool: job, scrapeUrl: 'https://10.0.0.7:8443/metrics', lastError, health, ...extra,
});

const config = (...jobs: string[]) => success({
  yaml: `global:\n  scrape_interval: 30s\nscrape_configs:\n${jobs.map((j) => `- job_name: ${j}\n  scheme: https\n  tls_config:\n    ca_file: /etc/prom-certs/root-cert.pem\n    cert_file: /etc/prom-certs/cert-chain.pem\n    key_file: /etc/prom-certs/key.pem\n    insecure_skip_verify: true\n`).join('')}`,
});

/**
 * A Prometheus that selects ServiceMonitors labelled team=apps in namespace apps, one monitor it
 * selects (two endpoints) and one it does not: only the selected one is expected in the configuration.
 */
const MONITORS = `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: { name: k8s, namespace: apps }
spec:
  serviceMonitorSelector: { matchLabels: { team: apps } }
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: selected, namespace: apps, labels: { team: apps } }
spec:
  selector: { matchLabels: { app: web } }
  endpoints:
    - { port: http-metrics, scheme: https }
    - { port: http-admin, scheme: https }
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: ignored, namespace: apps, labels: { team: other } }
spec:
  selector: { matchLabels: { app: web } }
  endpoints:
    - { port: http-metrics }
`;

const doctor = (url: string) => runDoctor({ offline: true, prometheusUrl: url, timeoutMs: 1_000 });
const codes = (summary: RunSummary) => summary.findings.map((f) => f.code);

describe('reading the API', () => {
  it('reads targets, jobs with their TLS files, pools and the failed-pools counter', async () => {
    const { url } = await fakePrometheus({
      '/api/v1/targets': success({ activeTargets: [target('a', 'up')], droppedTargets: [{ discoveredLabels: { job: 'b' } }] }),
      '/api/v1/status/config': config('a', 'b'),
      '/api/v1/scrape_pools': success({ scrapePools: ['a', 'b'] }),
      '/metrics': (_req, res) => res.end('# TYPE prometheus_target_scrape_pools_failed_total counter\nprometheus_target_scrape_pools_failed_total 2\n'),
    });
    const view = await readPrometheusView(urlGetter(url, 1_000), url);
    expect(view.unreadable).toEqual([]);
    expect(view.activeTargets?.map((t) => [t.scrapePool, t.health])).toEqual([['a', 'up']]);
    expect(view.droppedTargets).toEqual([{ discoveredLabels: { job: 'b' } }]);
    expect(view.jobs?.[0]).toEqual({
      name: 'a', scheme: 'https', insecureSkipVerify: true,
      tlsFiles: { caFile: '/etc/prom-certs/root-cert.pem', certFile: '/etc/prom-certs/cert-chain.pem', keyFile: '/etc/prom-certs/key.pem' },
    });
    expect(view.scrapePools).toEqual(['a', 'b']);
    expect(view.scrapePoolsFailed).toBe(2);
  });

  it('asks for dropped targets too, under the URL\'s path prefix, with its credentials as Basic auth', async () => {
    const { url, requests } = await fakePrometheus({
      '/prom/api/v1/targets': success({ activeTargets: [] }),
      '/prom/api/v1/status/config': config(),
    });
    const view = await readPrometheusView(urlGetter(url.replace('http://', 'http://admin:s3cret@') + '/prom/', 1_000), url);
    expect(view.unreadable).toEqual([]);
    expect(requests.map((r) => r.url)).toContain('/prom/api/v1/targets?state=any');
    expect(requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  });

  it('maps the operator\'s job names back to their monitors', () => {
    expect(monitorOfJob('serviceMonitor/apps/web/1')).toEqual({ kind: 'ServiceMonitor', namespace: 'apps', name: 'web', endpoint: 1 });
    expect(monitorOfJob('podMonitor/apps/db/0')).toEqual({ kind: 'PodMonitor', namespace: 'apps', name: 'db', endpoint: 0 });
    expect(monitorOfJob('kubernetes-pods')).toBeUndefined();
    // the VictoriaMetrics operator's, as vmagent reports them
    expect(monitorOfJob('serviceScrape/shop/shop/0')).toEqual({ kind: 'VMServiceScrape', namespace: 'shop', name: 'shop', endpoint: 0 });
    expect(monitorOfJob('podScrape/shop/db/2')).toEqual({ kind: 'VMPodScrape', namespace: 'shop', name: 'db', endpoint: 2 });
    expect(monitorOfJob('nodeScrape/shop/n/0')).toBeUndefined();
    for (const job of ['serviceMonitor/a/b/3', 'podMonitor/a/b/0', 'serviceScrape/a/b/1', 'podScrape/a/b/0']) expect(jobOfMonitor(monitorOfJob(job)!)).toBe(job);
  });

  it('reads an unlabelled counter from the text format', () => {
    expect(parseCounter('x 1\nprometheus_target_scrape_pools_failed_total 3\n', 'prometheus_target_scrape_pools_failed_total')).toBe(3);
    expect(parseCounter('prometheus_target_scrape_pools_failed_total_other 3\n', 'prometheus_target_scrape_pools_failed_total')).toBeUndefined();
  });
});

describe('TARGET_DOWN', () => {
  it('names the pod and the monitor of a down target, and links the doctor\'s findings on that monitor first', async () => {
    const down = target('serviceMonitor/apps/web/0', 'down', 'Get "https://10.0.0.7:8443/metrics": unexpected EOF', {
      discoveredLabels: { __address__: '10.0.0.7:8443', __meta_kubernetes_namespace: 'apps', __meta_kubernetes_pod_name: 'web-7d9f', job: 'serviceMonitor/apps/web/0' },
    });
    const { url } = await fakePrometheus({
      '/api/v1/targets': success({ activeTargets: [down, target('other', 'unknown')], droppedTargets: [] }),
      '/api/v1/status/config': config('serviceMonitor/apps/web/0', 'other'),
    });
    // Stand-ins for the monitors checks: one finding the classifier names, one it does not, one elsewhere.
    const monitors = defineCheck({
      id: 'monitors.stand-in', title: 'stands in for the monitors checks', category: 'monitors', codes: ['MONITOR_PORT_PROTOCOL', 'MONITOR_VERIFY_SPIFFE'], needs: [],
      run(ctx) {
        const web = { kind: 'ServiceMonitor', namespace: 'apps', name: 'web' };
        ctx.report('MONITOR_VERIFY_SPIFFE', { endpoint: 'endpoints[0]' }, { subject: web });
        ctx.report('MONITOR_PORT_PROTOCOL', { endpoint: 'endpoints[0]', port: 'metrics', service: 'apps/web' }, { subject: web });
        ctx.report('MONITOR_PORT_PROTOCOL', { endpoint: 'endpoints[0]', port: 'metrics', service: 'apps/db' }, { subject: { ...web, name: 'db' } });
      },
    });
    const summary = await runDoctor({ offline: true, prometheusUrl: url, timeoutMs: 1_000 }, { checks: [monitors] });
    const found = summary.findings.filter((f) => f.code === 'TARGET_DOWN');
    expect(found).toHaveLength(1); // health "unknown" is not down
    expect(found[0]!.subject).toEqual({ kind: 'Pod', namespace: 'apps', name: 'web-7d9f', endpoint: '10.0.0.7:8443' });
    expect(found[0]!.evidence).toMatchObject({
      monitor: 'ServiceMonitor apps/web endpoints[0]',
      causes: ['MONITOR_PORT_PROTOCOL', 'SCRAPE_CONNECTION_CLOSED'],
      // only what this run found explains it; the classifier's other candidate stays possible
      explainedBy: ['MONITOR_PORT_PROTOCOL', 'MONITOR_VERIFY_SPIFFE'],
      possibleCauses: ['SCRAPE_CONNECTION_CLOSED'],
      relatedFindings: ['MONITOR_PORT_PROTOCOL (monitors.stand-in)', 'MONITOR_VERIFY_SPIFFE (monitors.stand-in)'],
    });
  });

  it('names in explainedBy only codes found in this run, and drops from possibleCauses what a passing check ruled out', async () => {
    const down = target('serviceMonitor/apps/web/0', 'down', 'Get "https://10.0.0.7:8443/metrics": unexpected EOF', {
      discoveredLabels: { __address__: '10.0.0.7:8443', __meta_kubernetes_namespace: 'apps', __meta_kubernetes_pod_name: 'web-7d9f', job: 'serviceMonitor/apps/web/0' },
    });
    const { url } = await fakePrometheus({
      '/api/v1/targets': success({ activeTargets: [down], droppedTargets: [] }),
      '/api/v1/status/config': config('serviceMonitor/apps/web/0'),
    });
    // A monitors check that looked for MONITOR_PORT_PROTOCOL and found nothing: it passes.
    const passing = defineCheck({
      id: 'monitors.stand-in-passing', title: 'stands in for a passing port-protocol check', category: 'monitors', codes: ['MONITOR_PORT_PROTOCOL'], needs: [],
      run() {},
    });
    const summary = await runDoctor({ offline: true, prometheusUrl: url, timeoutMs: 1_000 }, { checks: [passing] });
    const found = summary.findings.find((f) => f.code === 'TARGET_DOWN')!;
    expect(found.evidence.causes).toEqual(['MONITOR_PORT_PROTOCOL', 'SCRAPE_CONNECTION_CLOSED']);
    expect(found.evidence.explainedBy).toEqual([]);
    expect(found.evidence.possibleCauses).toEqual(['SCRAPE_CONNECTION_CLOSED']);
    expect(found.hint).toMatch(/No finding of this run explains it; possible causes, most likely first: SCRAPE_CONNECTION_CLOSED/);
  });
});

describe('SCRAPE_POOL_MISSING says which look-alike it is', () => {
  const reasonFor = async (routes: Record<string, Route>) => {
    const { url } = await fakePrometheus({ '/api/v1/status/config': config('serviceMonitor/apps/web/0'), ...routes });
    const summary = await doctor(url);
    const found = summary.findings.filter((f) => f.code === 'SCRAPE_POOL_MISSING');
    expect(found).toHaveLength(1);
    expect(found[0]!.subject).toEqual({ kind: 'ServiceMonitor', namespace: 'apps', name: 'web' });
    return String(found[0]!.evidence.reason);
  };

  it('relabelling dropped every discovered target', async () => {
    expect(await reasonFor({ '/api/v1/targets': success({ activeTargets: [], droppedTargets: [{ discoveredLabels: { job: 'serviceMonitor/apps/web/0' } }] }) }))
      .toMatch(/relabelling dropped all 1/);
  });

  it('the pool exists but discovery found nothing', async () => {
    expect(await reasonFor({
      '/api/v1/targets': success({ activeTargets: [], droppedTargets: [] }),
      '/api/v1/scrape_pools': success({ scrapePools: ['serviceMonitor/apps/web/0'] }),
    })).toMatch(/pool exists, but service discovery found no target/);
  });

  it('no pool and a failed pool creation counted: the pool failed to build', async () => {
    expect(await reasonFor({
      '/api/v1/targets': success({ activeTargets: [], droppedTargets: [] }),
      '/api/v1/scrape_pools': success({ scrapePools: [] }),
      '/metrics': (_req, res) => res.end('prometheus_target_scrape_pools_failed_total 1\n'),
    })).toMatch(/failed to build.*\/etc\/prom-certs\/key\.pem/);
  });

  it('no pool and none failed: discovery has found nothing', async () => {
    expect(await reasonFor({
      '/api/v1/targets': success({ activeTargets: [], droppedTargets: [] }),
      '/metrics': (_req, res) => res.end('prometheus_target_scrape_pools_failed_total 0\n'),
    })).toMatch(/no failed pool creation: service discovery has found nothing/);
  });

  it('neither pools nor metrics readable: both explanations, honestly', async () => {
    expect(await reasonFor({ '/api/v1/targets': success({ activeTargets: [], droppedTargets: [] }) }))
      .toMatch(/either the pool failed to build .* or service discovery found nothing/);
  });

  it('a selected monitor whose job the configuration lacks', async () => {
    const { url } = await fakePrometheus({ '/api/v1/targets': success({ activeTargets: [] }), '/api/v1/status/config': config() });
    const summary = await runDoctor({ filenames: ['-'], stdin: MONITORS, prometheusUrl: url, timeoutMs: 1_000, only: ['prometheus-api.*'] });
    const missing = summary.findings.filter((f) => f.code === 'SCRAPE_POOL_MISSING');
    expect(missing.map((f) => [f.subject.kind, f.subject.name, f.evidence.job])).toEqual([
      ['ServiceMonitor', 'selected', 'serviceMonitor/apps/selected/0'],
      ['ServiceMonitor', 'selected', 'serviceMonitor/apps/selected/1'],
    ]);
    expect(missing[0]!.subject).toMatchObject({ file: '-', line: 7 });
  });
});

describe('hostile or absent answers: a warning, the run goes on', () => {
  const unreachable = async (url: string) => {
    const summary = await doctor(url);
    expect(summary.checks.filter((c) => c.status === 'crash')).toEqual([]);
    expect(codes(summary)).toContain('PROMETHEUS_API_UNREACHABLE');
    expect(summary.exitCode).toBe(0); // a warning, and --fail-on error by default
    // What could not be read was not judged: skipped, never a pass saying every target is up.
    expect(summary.checks.filter((c) => c.id === 'prometheus-api.targets-down' || c.id === 'prometheus-api.scrape-pools').map((c) => [c.status, c.skipReason]))
      .toEqual(Array(2).fill(['skip', expect.stringMatching(/could not be read/)]));
    return summary.findings.filter((f) => f.code === 'PROMETHEUS_API_UNREACHABLE');
  };

  it('nothing listens: one finding for the whole API', async () => {
    const [finding, ...more] = await unreachable('http://127.0.0.1:1');
    expect(more).toEqual([]);
    expect(finding!.severity).toBe('warning');
    expect(finding!.evidence.url).toBe('http://127.0.0.1:1');
    expect(finding!.message).toMatch(/ECONNREFUSED/);
  });

  it('an HTML page instead of JSON', async () => {
    const { url } = await fakePrometheus({
      '/api/v1/targets': (_req, res) => res.end('<html><body>login</body></html>'),
      '/api/v1/status/config': config(),
    });
    const [finding] = await unreachable(url);
    expect(finding!.evidence.url).toBe(`${url}/api/v1/targets?state=any`);
    expect(finding!.message).toMatch(/not JSON \(starts with "<html>/);
  });

  it('an API error, with its type and text', async () => {
    const { url } = await fakePrometheus({ '/api/v1/status/config': json({ status: 'error', errorType: 'internal', error: 'boom' }, 500) });
    const findings = await unreachable(url);
    expect(findings.map((f) => f.message).join('\n')).toMatch(/HTTP 500: internal: boom/);
  });

  it('optional parts of the wrong shape only leave the evidence less certain', async () => {
    const { url } = await fakePrometheus({
      '/api/v1/targets': success({ activeTargets: [] }),
      '/api/v1/status/config': config(),
      '/api/v1/scrape_pools': success({ scrapePools: 42 }),
      '/metrics': (_req, res) => res.end('prometheus_target_scrape_pools_failed_total NaN-ish\n'),
    });
    const view = await readPrometheusView(urlGetter(url, 1_000), url);
    expect(view).toMatchObject({ unreadable: [], activeTargets: [], jobs: [] });
    expect(view.scrapePools).toBeUndefined();
    expect(view.scrapePoolsFailed).toBeUndefined();
  });

  it('JSON of the wrong shape', async () => {
    const { url } = await fakePrometheus({
      '/api/v1/targets': success({ activeTargets: 'lots' }),
      '/api/v1/status/config': success({ yaml: 'scrape_configs: [ {' }),
    });
    const messages = (await unreachable(url)).map((f) => f.message).join('\n');
    expect(messages).toMatch(/no activeTargets list/);
    expect(messages).toMatch(/not YAML/);
  });

  it('an answer that never ends is cut at --timeout', async () => {
    const { url } = await fakePrometheus({ '/api/v1/targets': (_req, res) => res.write('{"status":'), '/api/v1/status/config': config() });
    const [finding] = await unreachable(url);
    expect(finding!.message).toMatch(/no answer within 1000 ms/);
  });

  it('a huge answer is refused, not held in memory', async () => {
    const { url } = await fakePrometheus({
      '/api/v1/targets': (_req, res) => {
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 80 && res.write(chunk)) sent++;
          if (sent < 80) res.once('drain', pump);
          else res.end();
        };
        pump();
      },
      '/api/v1/status/config': config(),
    });
    const summary = await runDoctor({ offline: true, prometheusUrl: url, timeoutMs: 10_000 });
    expect(summary.findings.find((f) => f.code === 'PROMETHEUS_API_UNREACHABLE')?.message).toMatch(/larger than 64 MiB/);
  });

  it('offline without --prometheus-url, the checks are skipped with the reason', async () => {
    const summary = await runDoctor({ offline: true });
    const mine = summary.checks.filter((c) => c.category === 'prometheus-api');
    expect(mine.map((c) => c.status)).toEqual(['skip', 'skip', 'skip']);
    expect(mine[0]!.skipReason).toMatch(/--prometheus-url/);
  });
});

describe('cluster mode: through the API server\'s proxy', () => {
  const resource = (name: string, spec: PrometheusResource['spec'] = {}): PrometheusResource =>
    ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name, namespace: 'monitoring' }, spec });
  const podOf = (cr: PrometheusResource, replica = 0): PrometheusPod => ({
    subject: { kind: 'Pod', metadata: { name: `prometheus-${cr.metadata!.name}-${replica}`, namespace: 'monitoring' } },
    namespace: 'monitoring', pod: { kind: 'Pod', metadata: { name: `prometheus-${cr.metadata!.name}-${replica}`, namespace: 'monitoring' } },
    admitted: true, prometheusContainer: 'prometheus', resource: cr, layers: [],
  });

  /** A KubeAccess whose proxy answers for the routes given (`<service or pod>:<port><path>`), 503 elsewhere. */
  const fakeKube = (answers: Record<string, ProxyResponse>) => {
    const asked: string[] = [];
    const kube: KubeAccess = {
      server: 'https://k8s.test',
      exec: () => Promise.reject(new Error('no exec here')),
      proxyGet: async (target, path) => {
        const route = `${target.service ?? target.pod}:${target.port}${path}`;
        asked.push(route);
        return answers[route] ?? { status: 503, body: 'no endpoints available for service' };
      },
    };
    return { kube, asked };
  };
  const ok = (data: unknown): ProxyResponse => ({ status: 200, body: JSON.stringify({ status: 'success', data }) });
  const views = (kube: KubeAccess, pods: PrometheusPod[]) =>
    readPrometheusViews({ ...DEFAULT_OPTIONS }, new ResourceStore({ kube: () => kube, prometheusPods: () => pods }));

  it('asks prometheus-operated on port web, under spec.routePrefix', async () => {
    const cr = resource('k8s', { routePrefix: '/prom/' });
    const { kube, asked } = fakeKube({
      'prometheus-operated:web/prom/api/v1/targets?state=any': ok({ activeTargets: [] }),
      'prometheus-operated:web/prom/api/v1/status/config': ok({ yaml: 'scrape_configs: []' }),
    });
    const [view, ...more] = await views(kube, [podOf(cr), podOf(cr, 1)]);
    expect(more).toEqual([]);
    expect(view!.unreadable).toEqual([]);
    expect(view!.source).toBe('/api/v1/namespaces/monitoring/services/prometheus-operated:web/proxy');
    expect(view!.prometheus).toBe(cr);
    expect(asked.every((r) => r.startsWith('prometheus-operated:web/prom/'))).toBe(true);
  });

  it('falls back to the pod proxy on 9090 when the service does not answer', async () => {
    const cr = resource('k8s');
    const { kube } = fakeKube({
      'prometheus-k8s-0:9090/api/v1/targets?state=any': ok({ activeTargets: [] }),
      'prometheus-k8s-0:9090/api/v1/status/config': ok({ yaml: 'scrape_configs: []' }),
    });
    const [view] = await views(kube, [podOf(cr)]);
    expect(view!.unreadable).toEqual([]);
    expect(view!.source).toBe('/api/v1/namespaces/monitoring/pods/prometheus-k8s-0:9090/proxy');
  });

  it('with two Prometheus resources in a namespace, asks each one\'s pod (the service spans both)', async () => {
    const { kube, asked } = fakeKube({});
    const found = await views(kube, [podOf(resource('a')), podOf(resource('b'))]);
    expect(found.map((v) => v.source)).toEqual([
      '/api/v1/namespaces/monitoring/pods/prometheus-a-0:9090/proxy',
      '/api/v1/namespaces/monitoring/pods/prometheus-b-0:9090/proxy',
    ]);
    expect(asked.some((r) => r.startsWith('prometheus-operated'))).toBe(false);
    expect(found[0]!.unreadable).toEqual([{ path: '', reason: 'HTTP 503: no endpoints available for service' }]);
  });
});

describe('the CLI', () => {
  it('doctor --offline --prometheus-url toward nothing: a warning in the JSON, exit 0; exit 1 with --fail-on warning', async () => {
    const run = (...extra: string[]) => runCli(['doctor', '--offline', '--prometheus-url', 'http://127.0.0.1:1', '--timeout', '1s', '-o', 'json', ...extra], { timeoutMs: 20_000 });
    const result = await run();
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const report = JSON.parse(result.stdout) as RunSummary;
    expect(result.code).toBe(0);
    expect(report.findings.map((f) => [f.code, f.severity])).toContainEqual(['PROMETHEUS_API_UNREACHABLE', 'warning']);
    expect((await run('--fail-on', 'warning')).code).toBe(1);
  });
});
