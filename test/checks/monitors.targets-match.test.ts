/**
 * monitors.targets-match beyond the fixture grid: which monitors partial manifests leave unjudged (a
 * fact, or the skip reason when none was judged), and a live cluster, where every namespace is known.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import targetsMatch from '../../checks/monitors/targets-match.js';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { ResourceStore, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import { runDoctor } from '../../src/index.js';
import type { TargetWorkload } from '../../src/model/inventory.js';
import type { KubeObject, Monitor, PodTemplate, Service } from '../../src/model/k8s.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('asm-prom-targets-match-');
let runs = 0;
const run = async (manifests: string) => {
  const file = join(tmp, `case-${++runs}.yaml`);
  writeFileSync(file, manifests);
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.targets-match']));
  return { check: summary.checks.find((c) => c.id === 'monitors.targets-match')!, findings: summary.findings.filter((f) => f.check === 'monitors.targets-match') };
};

const web = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http-metrics, port: 9090}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: http-metrics}]
`;
const monitorOf = (name: string, namespace: string | undefined, names?: string[]) => `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}
spec:
  selector: {matchLabels: {app: ${name}}}
  ${names ? `namespaceSelector: {matchNames: [${names.join(', ')}]}` : ''}
  endpoints: [{port: http-metrics}]
`;

describe('monitors.targets-match on partial manifests', () => {
  it('passes a healthy set-up without a notJudged fact', async () => {
    const { check, findings } = await run(web);
    expect(findings).toEqual([]);
    expect(check.status).toBe('pass');
    expect(check.facts?.notJudged).toBeUndefined();
  });

  it('judges what it can and records, as a fact, the monitors that look only where the manifests say nothing', async () => {
    const { check, findings } = await run(`${web}---\n${monitorOf('payments', 'monitoring', ['payments', 'billing'])}---\n${monitorOf('cart', 'monitoring', ['cart'])}---\n${monitorOf('orders', 'shop')}`);
    expect(findings.map((f) => `${f.code} ${f.subject.namespace}/${f.subject.name}: ${f.message}`)).toEqual(['MONITOR_NO_MATCHING_SERVICE shop/orders: selector app=orders matches no Service in shop']);
    expect(check.facts?.notJudged).toEqual([
      'ServiceMonitor monitoring/payments: the manifests say nothing about namespaces payments, billing, where it looks',
      'ServiceMonitor monitoring/cart: the manifests say nothing about namespace cart, where it looks',
    ]);
  });

  it('is skipped when no monitor could be judged, naming each (a monitor written without a namespace lands in default)', async () => {
    const { check, findings } = await run(`${web.split('---')[0]}---\n${monitorOf('cart', undefined)}---\n${monitorOf('all', 'monitoring').replace('endpoints:', 'namespaceSelector: {any: true}\n  endpoints:')}`);
    expect(findings).toEqual([]);
    expect(check.status).toBe('skip');
    expect(check.skipReason).toBe('whether the monitors match anything is unknown: ServiceMonitor default/cart: the manifests say nothing about namespace default, where it looks; '
      + 'ServiceMonitor monitoring/all: it looks in every namespace, and the manifests are not the whole cluster');
  });
});

describe('monitors.targets-match on a monitor written without metadata', () => {
  it('names it default/ (no name) among the unjudged', async () => {
    const { check } = await run(`${web.split('---')[0]}---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
spec:
  selector: {matchLabels: {app: orders}}
  endpoints: [{port: http-metrics}]
`);
    expect(check.status).toBe('skip');
    expect(check.skipReason).toBe('whether the monitors match anything is unknown: ServiceMonitor default/: the manifests say nothing about namespace default, where it looks');
  });
});

describe('monitors.targets-match without Services', () => {
  it('is skipped with the source\'s reason when no ServiceMonitor can be resolved', async () => {
    const { check, findings } = await run(`${monitorOf('orders', 'shop')}---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec: {containers: [{name: orders, image: ghcr.io/example/orders:1.4.2}]}
`);
    expect(findings).toEqual([]);
    expect(check.status).toBe('skip');
    expect(check.skipReason).toBe('no Service in the manifests');
  });
});

describe('monitors.targets-match without workloads', () => {
  it('is skipped with the source\'s reason when no PodMonitor can be resolved', async () => {
    const { check, findings } = await run(`${web.split('---')[0]}---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  podMetricsEndpoints: [{port: http-metrics}]
`);
    expect(findings).toEqual([]);
    expect(check.status).toBe('skip');
    expect(check.skipReason).toBe('no workload (Deployment, StatefulSet, Pod, …) in the manifests');
  });


  it('passes a ServiceMonitor whose Service is among the inputs though its Deployment is not', async () => {
    const { check, findings } = await run(web);
    expect(findings).toEqual([]);
    expect(check.status).toBe('pass');
  });
});

describe('monitors.targets-match on a live cluster (every namespace known)', () => {
  const objects = parseAllDocuments(`${web}---\n${monitorOf('orders', 'shop')}---\n${monitorOf('all', 'monitoring').replace('endpoints:', 'namespaceSelector: {any: true}\n  endpoints:')}`).map((d) => d.toJS()) as KubeObject[];
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } } as KubeObject;
  const template: PodTemplate = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', ports: [{ name: 'http-metrics', containerPort: 9090 }] }] } };
  const providers = {
    serviceMonitors: () => objects.filter((o) => o.kind === 'ServiceMonitor') as Monitor[],
    podMonitors: () => [],
    services: () => objects.filter((o) => o.kind === 'Service') as Service[],
    workloads: (): TargetWorkload[] => [{ object: deployment, namespace: 'shop', template }],
  } as Partial<Providers> as Providers;
  const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 1, verbose: false, only: [], skip: [], deadlineMs: 10_000 };

  it('judges a monitor in any namespace, and says so', async () => {
    const { checks, findings } = await runChecks([targetsMatch], new ResourceStore(providers), RUN);
    expect(checks[0]!.status).toBe('fail');
    expect(checks[0]!.facts).toBeUndefined();
    expect(findings.map((f) => `${f.code} ${f.subject.namespace}/${f.subject.name}: ${f.message}`)).toEqual([
      'MONITOR_NO_MATCHING_SERVICE shop/orders: selector app=orders matches no Service in shop',
      'MONITOR_NO_MATCHING_SERVICE monitoring/all: selector app=all matches no Service in any namespace',
    ]);
  });
});
