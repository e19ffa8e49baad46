/**
 * checks/monitors/endpoints.ts, what the monitors.* checks share: the monitors read when only one of
 * the two lists may be read (RBAC on a live cluster), and the views a monitor is judged under when
 * it names a scrape class.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { viewsOf } from '../../checks/monitors/endpoints.js';
import schema from '../../checks/monitors/schema.js';
import { ResourceStore, Unavailable, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { Monitor, PrometheusResource } from '../../src/model/k8s.js';

const docs = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS());
const [prometheus, monitor, classless] = docs(`apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  serviceMonitorSelector: {}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: monitoring}
spec:
  scrapeClass: istio-mtls
  selector: {matchLabels: {app: web}}
  endpoints: [{port: http, scheme: https}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: monitoring}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: http}]
`) as [PrometheusResource, Monitor, Monitor];

describe('viewsOf', () => {
  it('gives no view to a monitor whose scrape class the selecting Prometheus lacks (the operator rejects it)', () => {
    expect(viewsOf(monitor, [prometheus], undefined)).toEqual([]);
  });
  it('gives no view to a monitor naming a scrape class when no Prometheus is known', () => {
    expect(viewsOf(monitor, undefined, undefined)).toEqual([]);
    expect(viewsOf(monitor, [], undefined)).toEqual([]);
  });
  it('judges a monitor without scrape class on its own when no Prometheus is known', () => {
    expect(viewsOf(classless, undefined, undefined)).toEqual([{}]);
  });
});

describe('loadMonitors when only PodMonitors may be read (live, RBAC)', () => {
  it('judges the PodMonitors alone, with nothing in place of the ServiceMonitors', async () => {
    const [podMonitor] = docs(`apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  podMetricsEndpoints: [{port: http-metrics}]
`) as [Monitor];
    const providers = {
      serviceMonitors: () => { throw new Unavailable('servicemonitors is forbidden'); },
      podMonitors: () => [podMonitor],
    } as Partial<Providers> as Providers;
    const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 1, verbose: false, only: [], skip: [], deadlineMs: 10_000 };
    const { checks, findings } = await runChecks([schema], new ResourceStore(providers), RUN);
    expect(findings).toEqual([]);
    expect(checks[0]!.status).toBe('pass');
  });
});
