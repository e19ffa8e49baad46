/**
 * monitors.schema beyond the fixture grid: one finding per object however it is found, the
 * VictoriaMetrics monitors read from a cluster (their unknown fields are a newer operator's), and a
 * cluster where ServiceMonitors and PodMonitors cannot be read but ScrapeConfigs can.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import schemaCheck from '../../checks/monitors/schema.js';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { ResourceStore, Unavailable, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import { runDoctor } from '../../src/index.js';
import type { KubeObject, Monitor } from '../../src/model/k8s.js';

const fixture = (name: string) => new URL(`./monitors.schema/${name}`, import.meta.url).pathname;
const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 1, verbose: false, only: [], skip: [], deadlineMs: 10_000 };
const live = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS()) as KubeObject[];
const crdMissing = () => {
  throw new Unavailable('the server could not find the requested resource');
};

describe('monitors.schema', () => {
  it('reports each invalid object once, a well-spelt monitor never also as a misspelt one', async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', fixture('fail-types-and-fields.yaml'), '--only', 'monitors.schema']));
    const subjects = summary.findings.filter((f) => f.check === 'monitors.schema').map((f) => `${f.subject.kind}/${f.subject.name}`);
    expect(subjects.sort()).toEqual(['PodMonitor/reviews', 'ServiceMonitor/productpage', 'Servicemonitor/details']);
  });

  it("leaves a live VMServiceScrape's or VMPodScrape's unknown fields alone, not a live ServiceMonitor's", async () => {
    const objects = live(`
apiVersion: operator.victoriametrics.com/v1beta1
kind: VMServiceScrape
metadata: { name: shop, namespace: shop, uid: u1 }
spec: { selector: { matchLabels: { app: shop } }, endpoints: [{ port: http, vm_scrape_params: { stream_parse: true }, someFutureField: 1 }] }
---
apiVersion: operator.victoriametrics.com/v1beta1
kind: VMPodScrape
metadata: { name: shop-pods, namespace: shop, uid: u2 }
spec: { selector: { matchLabels: { app: shop } }, podMetricsEndpoints: [{ port: http, someFutureField: 1 }] }
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: web, namespace: apps, uid: u3 }
spec: { selector: { matchLabels: { app: web } }, endpoints: [{ port: http, someFutureField: 1 }] }
`);
    const providers: Providers = {
      serviceMonitors: () => objects.filter((o) => o.kind !== 'VMPodScrape') as Monitor[],
      podMonitors: () => objects.filter((o) => o.kind === 'VMPodScrape') as Monitor[],
      objects: () => objects,
    };
    const { findings } = await runChecks([schemaCheck], new ResourceStore(providers), RUN);
    expect(findings.map((f) => `${f.subject.kind}/${f.subject.name}`)).toEqual(['ServiceMonitor/web']);
    expect(findings[0]!.message).toContain('spec.endpoints[0].someFutureField: unknown field');
  });

  describe('on a cluster without the ServiceMonitor and PodMonitor CRDs', () => {
    const scrapeConfig = live(`
apiVersion: monitoring.coreos.com/v1alpha1
kind: ScrapeConfig
metadata: { name: shop-pods, namespace: shop }
spec: { kubernetesSDConfigs: [{ role: pod }] }
`);
    const judge = (scrapeConfigs: KubeObject[]) => runChecks([schemaCheck], new ResourceStore({
      serviceMonitors: crdMissing,
      podMonitors: crdMissing,
      scrapeConfigObjects: () => scrapeConfigs,
      objects: () => scrapeConfigs,
    } as Providers), RUN);

    it('still judges the ScrapeConfigs', async () => {
      const { checks, findings } = await judge(scrapeConfig);
      expect(checks[0]!.status).toBe('fail');
      expect(findings.map((f) => `${f.subject.kind}/${f.subject.name}: ${f.message}`)).toEqual([
        expect.stringMatching(/^ScrapeConfig\/shop-pods: .*spec\.kubernetesSDConfigs\[0\]\.role: must be one of Pod, Endpoints/),
      ]);
    });

    it('is skipped, saying why, when there is no ScrapeConfig either', async () => {
      const { checks, findings } = await judge([]);
      expect(findings).toEqual([]);
      expect(checks[0]!.status).toBe('skip');
      expect(checks[0]!.skipReason).toContain('neither ServiceMonitors nor PodMonitors could be read');
    });
  });
});

describe("other products' monitors", () => {
  it("Azure Monitor's azmonitoring.coreos.com ServiceMonitor and PodMonitor draw no finding from any check", async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', fixture('pass-azure-managed-prometheus.yaml')]));
    const named = summary.findings.filter((f) => f.subject.name === 'azmon-argocd-metrics' || f.subject.name === 'telegraf-podmonitor');
    expect(named.map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`)).toEqual([]);
    expect(summary.checks.find((c) => c.id === 'monitors.schema')?.status).not.toBe('crash');
  });
});
