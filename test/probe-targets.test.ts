/** probeTargets: the endpoints a monitor selects, as Prometheus would scrape them, with the identity each must present. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../src/core/options.js';
import { ResourceStore } from '../src/core/resources.js';
import type { EndpointSlice, Monitor, Pod, Service } from '../src/model/k8s.js';
import { loadProbeTargets } from '../src/probes/targets.js';

const pod = (name: string, ip: string, sa: string): Pod => ({
  kind: 'Pod', metadata: { name, namespace: 'app', labels: { app: 'web' } },
  spec: { serviceAccountName: sa, containers: [{ name: 'web', ports: [{ name: 'http-metrics', containerPort: 9090 }] }] },
  status: { podIP: ip },
});
const service: Service = { kind: 'Service', metadata: { name: 'web', namespace: 'app', labels: { app: 'web' } }, spec: { ports: [{ name: 'http-metrics', port: 80, targetPort: 9090 }] } };
const slice: EndpointSlice = {
  kind: 'EndpointSlice', metadata: { name: 'web-abc', namespace: 'app', labels: { 'kubernetes.io/service-name': 'web' } },
  ports: [{ name: 'http-metrics', port: 9090 }],
  endpoints: [{ addresses: ['10.0.0.7'], targetRef: { kind: 'Pod', name: 'web-0', namespace: 'app' } }],
};
const tls = { caFile: '/etc/prom-certs/root-cert.pem', certFile: '/etc/prom-certs/cert-chain.pem', keyFile: '/etc/prom-certs/key.pem', insecureSkipVerify: true };
const serviceMonitor: Monitor = {
  kind: 'ServiceMonitor', metadata: { name: 'web', namespace: 'app' },
  spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http-metrics', scheme: 'https', path: '/stats', params: { format: ['text'] }, tlsConfig: tls }] },
};
const podMonitor: Monitor = {
  kind: 'PodMonitor', metadata: { name: 'web-pods', namespace: 'app' },
  spec: { selector: { matchLabels: { app: 'web' } }, podMetricsEndpoints: [{ port: 'http-metrics', enableHttp2: false }] },
};

function store(extra: Partial<Record<string, unknown>> = {}): ResourceStore {
  return new ResourceStore({
    serviceMonitors: () => [serviceMonitor], podMonitors: () => [podMonitor], services: () => [service], endpointSlices: () => [slice],
    workloads: () => [pod('web-0', '10.0.0.7', 'web'), pod('web-1', '10.0.0.8', 'web')].map((p) => ({ object: p, namespace: 'app', template: p })),
    ...extra,
  } as never);
}

describe('probeTargets', () => {
  it('ServiceMonitor → Service port by name → EndpointSlice address and pod, with scheme, path, params and identity', async () => {
    const targets = await loadProbeTargets({ ...DEFAULT_OPTIONS, offline: false }, store());
    expect(targets.find((t) => t.monitor?.kind === 'ServiceMonitor')).toMatchObject({
      endpoint: '10.0.0.7:9090', scheme: 'https', path: '/stats', params: { format: ['text'] }, enableHttp2: true,
      pod: { namespace: 'app', name: 'web-0', serviceAccount: 'web' },
      expectedIdentity: 'spiffe://cluster.local/ns/app/sa/web',
      subject: { kind: 'Pod', namespace: 'app', name: 'web-0', endpoint: '10.0.0.7:9090' },
    });
  });

  it('PodMonitor → every selected pod\'s container port, plain http and no h2 as the monitor says', async () => {
    const targets = (await loadProbeTargets({ ...DEFAULT_OPTIONS, offline: false }, store())).filter((t) => t.monitor?.kind === 'PodMonitor');
    expect(targets.map((t) => [t.endpoint, t.scheme, t.enableHttp2, t.subject.name])).toEqual([
      ['10.0.0.7:9090', 'http', false, 'web-0'],
      ['10.0.0.8:9090', 'http', false, 'web-1'],
    ]);
  });

  it('--target HOST:PORT/PATH: https, with --target-identity, first', async () => {
    const targets = await loadProbeTargets({ ...DEFAULT_OPTIONS, offline: true, targets: ['127.0.0.1:8443/m?x=1'], targetIdentity: 'spiffe://td/ns/a/sa/b' }, store());
    expect(targets[0]).toMatchObject({ endpoint: '127.0.0.1:8443', scheme: 'https', path: '/m', params: { x: ['1'] }, expectedIdentity: 'spiffe://td/ns/a/sa/b', subject: { kind: 'Target', endpoint: '127.0.0.1:8443' } });
  });

  it('nothing to probe is Unavailable with the reason', async () => {
    await expect(loadProbeTargets({ ...DEFAULT_OPTIONS, offline: false }, new ResourceStore({}))).rejects.toThrow(/nothing to probe: no --target/);
  });

  it('offline, the addresses the manifests hold are never targets, even with --probe local; --target still is', async () => {
    for (const probe of ['auto', 'local'] as const) {
      await expect(loadProbeTargets({ ...DEFAULT_OPTIONS, offline: true, probe }, store())).rejects.toThrow(/offline, only --target endpoints are dialled, never addresses found in manifests/);
      const named = await loadProbeTargets({ ...DEFAULT_OPTIONS, offline: true, probe, targets: ['127.0.0.1:8443'] }, store());
      expect(named.map((t) => t.endpoint)).toEqual(['127.0.0.1:8443']);
    }
  });
});
