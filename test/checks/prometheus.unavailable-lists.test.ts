/**
 * The prometheus.* checks when a list they use cannot be read (a cluster run where the service
 * account may not list the monitors, or the mesh ConfigMap): the resource is unknown, not empty.
 * The store is built from a fixture's manifests, as offline, with one provider replaced by one that
 * throws Unavailable, as the cluster source does for a forbidden list.
 */
import { describe, expect, it } from 'vitest';
import { prometheusChecks } from '../../checks/prometheus/index.js';
import { ResourceStore, Unavailable, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { ResourceKey } from '../../src/model/inventory.js';
import { manifestProviders, parseManifests, readManifestFiles } from '../../src/sources/manifests.js';

const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 4, verbose: false, skip: [], deadlineMs: 10_000 };

const forbidden = (key: ResourceKey) => () => {
  throw new Unavailable(`${key} is forbidden: cannot list it at the cluster scope`);
};

/** `CODE Kind/namespace/name` of what one check finds in a fixture with the given lists unreadable. */
async function findings(checkId: string, fixture: string, unreadable: ResourceKey[]): Promise<string[]> {
  const store = new ResourceStore();
  const files = fixture.includes('\n') ? readManifestFiles(['-'], fixture) : readManifestFiles([new URL(`./${fixture}`, import.meta.url).pathname]);
  store.provide(manifestProviders(store, parseManifests(files)));
  store.provide(Object.fromEntries(unreadable.map((key) => [key, forbidden(key)])) as Providers);
  const { findings: found, checks } = await runChecks(prometheusChecks, store, { ...RUN, only: [checkId] });
  expect(checks.filter((c) => c.status === 'crash')).toEqual([]);
  expect(checks.find((c) => c.id === checkId)?.status).not.toBe('skip');
  return found.map((f) => `${f.code} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`);
}

describe('prometheus.* with a list that cannot be read', () => {
  it('fs-access: deny: true with the ServiceMonitors unknown still leaves the files no way in but a scrape class', async () => {
    expect(await findings('prometheus.fs-access', 'prometheus.fs-access/fail-deny-no-monitors.yaml', ['serviceMonitors'])).toEqual(['FS_ACCESS_DENIED Prometheus/monitoring/k8s']);
  });

  it('rbac: with the monitors unknown, no namespace is known to be watched, so no grant is known to be missing', async () => {
    expect(await findings('prometheus.rbac', 'prometheus.rbac/fail-no-watch.yaml', ['serviceMonitors'])).toEqual([]);
    expect(await findings('prometheus.rbac', 'prometheus.rbac/fail-podmonitor-without-pods.yaml', ['podMonitors'])).toEqual([]);
  });

  it('scraper-fs-access: with the monitors unknown, no monitor is known to be dropped', async () => {
    expect(await findings('prometheus.scraper-fs-access', 'prometheus.scraper-fs-access/fail-vmagent-deny.yaml', ['serviceMonitors'])).toEqual([]);
    expect(await findings('prometheus.scraper-fs-access', 'prometheus.scraper-fs-access/fail-otel-deny-podmonitor.yaml', ['podMonitors'])).toEqual([]);
  });

  it('startup-race: with the mesh ConfigMap unreadable, no mesh default holds the app', async () => {
    expect(await findings('prometheus.startup-race', 'prometheus.startup-race/pass-mesh-default-hold.yaml', ['objects'])).toEqual(['STARTUP_RACE Prometheus/monitoring/k8s']);
  });

  it('traffic-capture: includeOutboundPorts with the monitors unknown names no scraped port', async () => {
    expect(await findings('prometheus.traffic-capture', 'prometheus.traffic-capture/fail-include-outbound-ports.yaml', ['serviceMonitors'])).toEqual([]);
    expect(await findings('prometheus.traffic-capture', 'prometheus.traffic-capture/fail-include-outbound-ports-podmonitor.yaml', ['podMonitors'])).toEqual([]);
  });

  it('traffic-capture: a Prometheus run as a plain Deployment (no resource selecting monitors) with the monitors unknown', async () => {
    // Every monitor would count as its own; none is known, so no scraped port is known to be captured.
    const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: prometheus, namespace: monitoring }
spec:
  selector: { matchLabels: { app: prometheus } }
  template:
    metadata:
      labels: { app: prometheus, sidecar.istio.io/inject: "true" }
      annotations:
        traffic.sidecar.istio.io/includeInboundPorts: ""
        traffic.sidecar.istio.io/includeOutboundIPRanges: ""
        traffic.sidecar.istio.io/includeOutboundPorts: "9080"
    spec:
      containers:
      - { name: prometheus, image: "quay.io/prometheus/prometheus:v3.1.0" }
---
apiVersion: v1
kind: Service
metadata: { name: productpage, namespace: bookinfo, labels: { app: productpage } }
spec: { selector: { app: productpage }, ports: [{ name: http, port: 9080 }] }
`;
    expect(await findings('prometheus.traffic-capture', deployment, ['serviceMonitors'])).toEqual([]);
    expect(await findings('prometheus.traffic-capture', deployment, ['podMonitors'])).toEqual([]);
  });
});
