/**
 * The monitors.* checks on what a cluster gives: live pods (admitted: their containers are final),
 * an empty PeerAuthentication list meaning Istio's default PERMISSIVE, and a PodMonitor list that
 * cannot be read (CRD not installed). Resources are given to the runner through a store, as the
 * cluster source does.
 */
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { monitorsChecks } from '../../checks/monitors/index.js';
import { ResourceStore, Unavailable, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { TargetWorkload } from '../../src/model/inventory.js';
import type { KubeObject, Monitor, PeerAuthentication, Pod, Service } from '../../src/model/k8s.js';

const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 10_000 };

const livePod = (name: string, withSidecar: boolean): Pod => parse(`
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: apps, uid: uid-${name}, labels: { app: web } }
spec:
  containers:
  - { name: web, ports: [{ name: http-metrics, containerPort: 8080 }] }
  ${withSidecar ? 'initContainers: [{ name: istio-proxy, restartPolicy: Always }]' : ''}
status: { phase: Running, podIP: 10.0.0.1 }
`) as Pod;

const [service, monitor] = parseAllDocuments(`
apiVersion: v1
kind: Service
metadata: { name: web, namespace: apps, labels: { app: web } }
spec: { selector: { app: web }, ports: [{ name: http-metrics, port: 8080, targetPort: http-metrics }] }
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: web, namespace: apps, uid: u1, resourceVersion: "7", labels: { team: apps } }
spec:
  selector: { matchLabels: { app: web } }
  endpoints:
  - port: http-metrics
    scheme: https
    tlsConfig: { caFile: /etc/prom-certs/root-cert.pem, certFile: /etc/prom-certs/cert-chain.pem, keyFile: /etc/prom-certs/key.pem, insecureSkipVerify: true }
`).map((d) => d.toJS()) as [Service, Monitor];

const STRICT: PeerAuthentication = { kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } };

async function findings(pods: Pod[], peerAuthentications: PeerAuthentication[], monitors: Monitor[] = [monitor]): Promise<string[]> {
  const workloads: TargetWorkload[] = pods.map((pod) => ({ object: pod, namespace: 'apps', template: { metadata: pod.metadata, spec: pod.spec } }));
  const providers: Providers = {
    serviceMonitors: () => monitors,
    podMonitors: () => {
      throw new Unavailable('the PodMonitor CRD is not installed');
    },
    services: () => [service],
    workloads: () => workloads,
    peerAuthentications: () => peerAuthentications,
    meshRootNamespace: () => 'istio-system',
    namespaces: (): KubeObject[] => [{ kind: 'Namespace', metadata: { name: 'apps', labels: { 'istio-injection': 'enabled' } } }],
  };
  const { findings: found, checks } = await runChecks(monitorsChecks, new ResourceStore(providers), RUN);
  expect(checks.filter((c) => c.status === 'crash')).toEqual([]);
  return found.map((f) => `${f.code} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}: ${f.message}`);
}

describe('monitors.* on a live cluster', () => {
  it('accepts a live ServiceMonitor (server-set metadata) scraping STRICT pods over https', async () => {
    expect(await findings([livePod('web-1', true), livePod('web-2', true)], [STRICT])).toEqual([]);
  });

  it('takes no PeerAuthentication at all as PERMISSIVE, and names every replica once', async () => {
    const pods = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'].map((name) => livePod(name, true));
    expect(await findings(pods, [])).toEqual([
      'MONITOR_TLS_ON_PLAINTEXT ServiceMonitor/apps/web: endpoints[0] scrapes Pod apps/web-1, Pod apps/web-2, Pod apps/web-3 (and 2 more) over https, but its mTLS mode is PERMISSIVE ' +
        "(Istio's default (no PeerAuthentication sets a mode)): Istio terminates TLS there only for its own ALPN, so Prometheus's TLS lands in a passthrough chain",
    ]);
  });

  it('judges a running pod by its containers, not by its namespace label', async () => {
    expect(await findings([livePod('web-1', false)], [STRICT])).toEqual([
      'MONITOR_TLS_ON_PLAINTEXT ServiceMonitor/apps/web: endpoints[0] scrapes Pod apps/web-1 over https, but it has no sidecar: the pod runs without an istio-proxy container',
    ]);
  });

  it('reports plain http toward STRICT sidecars', async () => {
    const { tlsConfig: _tls, ...endpoint } = monitor.spec!.endpoints![0]!;
    const http: Monitor = { ...monitor, spec: { ...monitor.spec, endpoints: [{ ...endpoint, scheme: 'http' }] } };
    expect(await findings([livePod('web-1', true)], [STRICT], [http])).toEqual([
      'MONITOR_SCHEME_HTTP_ON_STRICT ServiceMonitor/apps/web: endpoints[0] scrapes Pod apps/web-1 over plain http, but its mTLS mode is STRICT (PeerAuthentication istio-system/default (mesh-wide))',
    ]);
  });
});

describe('monitors.schema on live scrapers', () => {
  it("leaves a live VMAgent's or collector's fields unknown to asm-prom alone (a newer operator's: the API server pruned any typo), but names wrong types", async () => {
    const live = parseAllDocuments(`
apiVersion: operator.victoriametrics.com/v1beta1
kind: VMAgent
metadata: { name: vm, namespace: monitoring, uid: u2, resourceVersion: "9" }
spec: { remoteWrite: [{ url: "http://vm:8428/api/v1/write" }], selectAllByDefault: "yes", someFutureField: true }
---
apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata: { name: otel, namespace: monitoring, uid: u3 }
spec:
  mode: statefulset
  aFieldOfNextRelease: {}
  config: { receivers: {}, exporters: {}, service: { pipelines: {} } }
`).map((d) => d.toJS()) as KubeObject[];
    const providers: Providers = {
      serviceMonitors: () => [],
      podMonitors: () => [],
      objects: () => live,
    };
    const { findings: found } = await runChecks(monitorsChecks.filter((c) => c.id === 'monitors.schema'), new ResourceStore(providers), RUN);
    expect(found.map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}: ${f.message}`)).toEqual([
      "MONITOR_INVALID VMAgent/vm: fails the operator's CRD schema: spec.selectAllByDefault: must be boolean",
    ]);
  });
});
