/**
 * monitors.tls-paths beyond the fixture grid: the evidence of a finding about a target allocator's
 * collector (the folder it should mount, the file it should name, the scraper), and live collector
 * pods, whose containers are as Kubernetes runs them (the sidecar may come first).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import tlsPaths from '../../checks/monitors/tls-paths.js';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';
import { ResourceStore, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { KubeObject, Monitor, Pod } from '../../src/model/k8s.js';
import { scraperPodsFromManifests } from '../../src/model/scraper.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('asm-prom-tls-paths-');
const unmounted = readFileSync(new URL('./monitors.tls-paths/fail-otel-allocator-unmounted.yaml', import.meta.url), 'utf8');

const offline = async (name: string, manifests: string) => {
  const file = join(tmp, name);
  writeFileSync(file, manifests);
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.tls-paths']));
  expect(summary.checks.filter((c) => c.status === 'crash')).toEqual([]);
  return summary.findings.filter((f) => f.check === 'monitors.tls-paths');
};

describe('monitors.tls-paths: a target allocator hands paths to a collector that mounts nothing there', () => {
  it('says which folder the collector lacks and which file the field must name, and names the collector', async () => {
    const found = await offline('unmounted.yaml', unmounted);
    expect(found.map((f) => [f.code, f.subject.kind, f.subject.name, f.evidence])).toEqual(
      (['caFile', 'certFile', 'keyFile'] as const).map((field) => {
        const file = { caFile: 'root-cert.pem', certFile: 'cert-chain.pem', keyFile: 'key.pem' }[field];
        return ['MONITOR_TLS_PATH_UNMOUNTED', 'ServiceMonitor', 'orders', {
          field: `endpoints[0].tlsConfig.${field}`, path: `/etc/prom-certs/${file}`, mountPath: '/etc/prom-certs', problem: 'not-mounted',
          expected: `/etc/prom-certs/${file}`, scraper: 'OpenTelemetryCollector monitoring/otel',
        }];
      }),
    );
  });

  it('takes a file at the top of the file system as being in the folder /', async () => {
    const atRoot = unmounted.replace('caFile: /etc/prom-certs/root-cert.pem', 'caFile: /root-cert.pem');
    expect(atRoot).toContain('caFile: /root-cert.pem');
    const found = await offline('at-root.yaml', atRoot);
    expect(found.filter((f) => f.evidence.field === 'endpoints[0].tlsConfig.caFile').map((f) => [f.evidence.path, f.evidence.mountPath, f.evidence.problem, f.evidence.expected]))
      .toEqual([['/root-cert.pem', '/', 'not-mounted', '/root-cert.pem']]);
  });
});

describe('monitors.tls-paths on live collector pods', () => {
  // The collector mounts a Secret at /etc/prom-certs (and another elsewhere); orders' https endpoint reads its files there.
  const mounted = parseAllDocuments(readFileSync(new URL('./monitors.tls-paths/pass-otel-allocator-secret-mount.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as KubeObject);
  const collector = mounted.find((o) => o.kind === 'OpenTelemetryCollector')!;
  const orders = mounted.find((o) => o.kind === 'ServiceMonitor' && o.metadata?.name === 'orders') as Monitor;

  /** The collector's running pod, as the cluster source pairs it with the resource (src/sources/cluster/scrapers.ts). */
  const findings = async (containers: string) => {
    const pod = parse(`
apiVersion: v1
kind: Pod
metadata: { name: otel-collector-0, namespace: monitoring, uid: u3, labels: { app.kubernetes.io/component: opentelemetry-collector } }
spec:
  containers: ${containers}
  volumes: [{ name: otc-internal, configMap: { name: otel-collector } }, { name: prom-certs, secret: { secretName: prometheus-istio-certs } }]
status: { phase: Running }
`) as Pod;
    const [template] = scraperPodsFromManifests([collector]);
    const providers: Providers = {
      prometheusPods: () => [{ ...template!, pod, admitted: true }],
      serviceMonitors: () => [orders],
      podMonitors: () => [],
      namespaces: (): KubeObject[] => [{ kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } }],
    };
    const { findings: found, checks } = await runChecks([tlsPaths], new ResourceStore(providers), { now: new Date(0), timeoutMs: 5000, concurrency: 2, verbose: false, only: [], skip: [], deadlineMs: 10_000 });
    expect(checks.map((c) => c.status)).not.toContain('crash');
    return found.map((f) => `${f.code} ${f.evidence.field} ${f.evidence.problem}`);
  };
  const sidecar = '{ name: istio-proxy, volumeMounts: [{ name: istio-data, mountPath: /var/lib/istio/data }, { name: istiod-ca-cert, mountPath: /var/run/secrets/istio }] }';

  it("looks for the mount in the collector's own container, not in the sidecar placed before it", async () => {
    expect(await findings(`[${sidecar}, { name: otc-container, volumeMounts: [{ name: otc-internal, mountPath: /conf }, { name: prom-certs, mountPath: /etc/prom-certs }] }]`)).toEqual([]);
  });

  it('finds the paths in no mount of a pod that carries the collector\'s labels but runs no otc-container', async () => {
    expect(await findings(`[${sidecar}, { name: collector, volumeMounts: [{ name: prom-certs, mountPath: /etc/prom-certs }] }]`)).toEqual([
      'MONITOR_TLS_PATH_UNMOUNTED endpoints[0].tlsConfig.caFile not-mounted',
      'MONITOR_TLS_PATH_UNMOUNTED endpoints[0].tlsConfig.certFile not-mounted',
      'MONITOR_TLS_PATH_UNMOUNTED endpoints[0].tlsConfig.keyFile not-mounted',
    ]);
  });
});
