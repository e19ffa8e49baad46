/**
 * monitors.selected beyond the fixture grid: the skip when nothing selects anything, the scrapers a
 * finding names and blames, and a cluster where ServiceMonitors and PodMonitors cannot be read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import selectedCheck from '../../checks/monitors/selected.js';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { ResourceStore, Unavailable, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import { runDoctor } from '../../src/index.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('asm-prom-selected-');
let runs = 0;
const run = async (manifests: string) => {
  const file = join(tmp, `case-${++runs}.yaml`);
  writeFileSync(file, manifests);
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.selected']));
  return { check: summary.checks.find((c) => c.id === 'monitors.selected')!, findings: summary.findings.filter((f) => f.check === 'monitors.selected') };
};

const vmAgent = `apiVersion: operator.victoriametrics.com/v1beta1
kind: VMAgent
metadata: {name: vm, namespace: monitoring}
spec:
  selectAllByDefault: true
`;
const noScrapeConfigSelector = `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  serviceMonitorSelector: {}
  serviceMonitorNamespaceSelector: {}
`;
const shopPods = `apiVersion: monitoring.coreos.com/v1alpha1
kind: ScrapeConfig
metadata: {name: shop-pods, namespace: shop, labels: {team: shop}}
spec:
  jobName: shop-pods
  kubernetesSDConfigs: [{role: Pod, namespaces: {names: [shop]}}]
`;
const payments = `apiVersion: operator.victoriametrics.com/v1beta1
kind: VMServiceScrape
metadata: {name: payments, namespace: shop, labels: {team: payments}}
spec:
  selector: {matchLabels: {app: payments}}
  endpoints: [{port: http-metrics}]
`;

describe('monitors.selected', () => {
  it('is skipped, with the reason, when the manifests hold no Prometheus and no other scraper', async () => {
    const { check, findings } = await run(payments.replace('VMServiceScrape', 'ServiceMonitor').replace('operator.victoriametrics.com/v1beta1', 'monitoring.coreos.com/v1'));
    expect(findings).toEqual([]);
    expect(check.status).toBe('skip');
    expect(check.skipReason).toContain('no Prometheus resource in the manifests');
  });

  it('names only the scraper there is when no Prometheus resource is known, with its one reason', async () => {
    const { findings } = await run(`${vmAgent.replace('selectAllByDefault: true', 'serviceScrapeSelector: {matchLabels: {team: shop}}')}---\n${payments}`);
    expect(findings.map((f) => f.code)).toEqual(['MONITOR_NOT_SELECTED']);
    expect(findings[0]!.evidence.prometheuses).toEqual(['VMAgent monitoring/vm']);
    expect(findings[0]!.evidence.reasons).toEqual(["VMAgent monitoring/vm's serviceScrapeSelector team=shop does not match the labels team=payments"]);
  });

  it('names every Prometheus and scraper it asked (a VMAgent reads ServiceMonitors too), and gives each one\'s reason', async () => {
    const prometheus = noScrapeConfigSelector.replace('serviceMonitorSelector: {}', 'serviceMonitorSelector: {matchLabels: {release: kube-prometheus}}');
    const { findings } = await run(`${prometheus}---\n${vmAgent.replace('selectAllByDefault: true', 'serviceScrapeSelector: {matchLabels: {team: shop}}')}---\n${payments.replace('VMServiceScrape', 'ServiceMonitor').replace('operator.victoriametrics.com/v1beta1', 'monitoring.coreos.com/v1')}`);
    expect(findings.map((f) => f.code)).toEqual(['MONITOR_NOT_SELECTED']);
    expect(findings[0]!.evidence.prometheuses).toEqual(['Prometheus monitoring/k8s', 'VMAgent monitoring/vm']);
    expect(findings[0]!.evidence.reasons).toEqual([
      "Prometheus monitoring/k8s's serviceMonitorSelector release=kube-prometheus does not match the labels team=payments",
      "VMAgent monitoring/vm's serviceScrapeSelector team=shop does not match the labels team=payments",
    ]);
  });

  it('blames only the Prometheus for a ScrapeConfig, though a VMAgent that selects everything runs beside it', async () => {
    const { findings } = await run(`${noScrapeConfigSelector}---\n${vmAgent}---\n${shopPods}`);
    expect(findings.map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`)).toEqual(['MONITOR_NOT_SELECTED ScrapeConfig/shop-pods']);
    expect(findings[0]!.message).toBe('no Prometheus selects it: Prometheus monitoring/k8s has no scrapeConfigSelector (a missing selector matches no ScrapeConfig)');
  });
});

describe('monitors.selected on a cluster without some of the operator\'s CRDs', () => {
  const [prometheus, scrapeConfig] = parseAllDocuments(`${noScrapeConfigSelector}---\n${shopPods}`).map((d) => d.toJS()) as KubeObject[];
  const crdMissing = () => {
    throw new Unavailable('the server could not find the requested resource');
  };
  const judge = async (scrapeConfigs: KubeObject[] | undefined, serviceMonitors?: KubeObject[]) => {
    const providers: Providers = {
      prometheusResources: () => [prometheus],
      prometheusPods: () => [],
      serviceMonitors: serviceMonitors ? () => serviceMonitors : crdMissing,
      podMonitors: crdMissing,
      scrapeConfigObjects: scrapeConfigs ? () => scrapeConfigs : crdMissing,
      namespaces: () => [],
    } as unknown as Providers;
    const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 1, verbose: false, only: [], skip: [], deadlineMs: 10_000 };
    return runChecks([selectedCheck], new ResourceStore(providers), RUN);
  };

  it('still judges the ScrapeConfigs', async () => {
    const { checks, findings } = await judge([scrapeConfig]);
    expect(checks[0]!.status).toBe('fail');
    expect(findings.map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`)).toEqual(['MONITOR_NOT_SELECTED ScrapeConfig/shop-pods']);
  });

  it('is skipped, saying why, when there is no ScrapeConfig either', async () => {
    const { checks, findings } = await judge([]);
    expect(findings).toEqual([]);
    expect(checks[0]!.status).toBe('skip');
    expect(checks[0]!.skipReason).toContain('neither ServiceMonitors nor PodMonitors could be read');
  });

  it('passes on the ServiceMonitors alone on an operator too old for ScrapeConfigs', async () => {
    const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } }, spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http' }] } };
    const { checks, findings } = await judge(undefined, [monitor]);
    expect(findings).toEqual([]);
    expect(checks[0]!.status).toBe('pass');
  });
});
