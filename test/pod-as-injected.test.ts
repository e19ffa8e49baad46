/**
 * The pod as injected and partial inputs (CONTRACT.md, "What the doctor reads"): what a fixture's
 * expect-lines cannot say (evidence, skip reasons, the metadata a template gains).
 */
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/index.js';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { templateAsInjected } from '../src/model/injected.js';
import { unknownProxyConfigFields } from '../src/model/istio.js';

const fixture = (path: string) => new URL(`./checks/${path}`, import.meta.url).pathname;
const run = (path: string, only: string) => runDoctor(parseDoctorArgs(['-f', fixture(path), '--only', only]));

describe('STARTUP_RACE on the pod as injected', () => {
  it('on a template the injector has not seen, says a native sidecar is possible', async () => {
    const summary = await run('prometheus.startup-race/fail-seed-recipe.yaml', 'prometheus.startup-race');
    const race = summary.findings.filter((f) => f.code === 'STARTUP_RACE');
    expect(race).toHaveLength(1);
    expect(race[0]!.evidence).toMatchObject({ nativeSidecarPossible: true });
  });

  it('on a hand-written classic istio-proxy, the kind is known: no such evidence', async () => {
    const summary = await run('prometheus.startup-race/fail-istio-1-5-hand-written-sidecar.yaml', 'prometheus.startup-race');
    const race = summary.findings.filter((f) => f.code === 'STARTUP_RACE');
    expect(race).toHaveLength(1);
    expect(race[0]!.evidence?.nativeSidecarPossible).toBeUndefined();
  });

  it('names the mesh default it saw when the pod turns hold off', async () => {
    const summary = await run('prometheus.startup-race/fail-pod-overrides-mesh-default.yaml', 'prometheus.startup-race');
    expect(summary.findings.find((f) => f.code === 'STARTUP_RACE')?.evidence).toMatchObject({ meshDefaultHold: true, meshDefault: expect.stringContaining('ConfigMap istio-system/istio') });
  });
});

describe('partial inputs', () => {
  it('a monitor looking where the manifests say nothing is left unjudged, with the reason as a fact', async () => {
    const summary = await run('monitors.targets-match/pass-partial-inputs.yaml', 'monitors.targets-match');
    const check = summary.checks.find((c) => c.id === 'monitors.targets-match');
    expect(check?.status).toBe('pass');
    expect(check?.facts?.notJudged).toEqual([
      expect.stringContaining('ServiceMonitor shop/istio-component-monitor: the manifests say nothing about namespace istio-system'),
      expect.stringContaining('ServiceMonitor shop/everything-else: it looks in every namespace'),
    ]);
  });
});

describe('templates as injected', () => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ratings', namespace: 'bookinfo' } };
  const template = { metadata: { labels: { app: 'ratings' }, annotations: { 'prometheus.io/port': '9080' } }, spec: { containers: [{ name: 'ratings' }] } };

  it('gain the injector labels and the metrics-merging rewrite in an injected namespace', () => {
    const ns = { kind: 'Namespace', metadata: { name: 'bookinfo', labels: { 'istio.io/rev': 'canary' } } };
    const injected = templateAsInjected(deployment, template, ns);
    expect(injected.metadata?.labels).toEqual({
      app: 'ratings', 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'ratings',
      'service.istio.io/canonical-revision': 'latest', 'istio.io/rev': 'canary',
    });
    expect(injected.metadata?.annotations).toMatchObject({ 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/scrape': 'true', 'istio.io/rev': 'canary' });
  });

  it('stay as written where injection is off, or the namespace is not among the inputs', () => {
    const off = { kind: 'Namespace', metadata: { name: 'bookinfo', labels: { 'istio-injection': 'disabled' } } };
    expect(templateAsInjected(deployment, template, off)).toBe(template);
    expect(templateAsInjected(deployment, template, undefined)).toBe(template);
  });

  it('keep prometheus.io/* when the pod opts out of metrics merging', () => {
    const ns = { kind: 'Namespace', metadata: { name: 'bookinfo', labels: { 'istio-injection': 'enabled' } } };
    const optOut = { ...template, metadata: { ...template.metadata, annotations: { 'prometheus.io/port': '9080', 'prometheus.istio.io/merge-metrics': 'false' } } };
    expect(templateAsInjected(deployment, optOut, ns).metadata?.annotations?.['prometheus.io/port']).toBe('9080');
  });
});

describe('ProxyConfig fields', () => {
  it('knows camelCase and snake_case names and flags the rest', () => {
    expect(unknownProxyConfigFields({ proxyMetadata: {}, hold_application_until_proxy_starts: true, INBOUND_CAPTURE_PORTS: '', holdApplicationUntilProxyStart: true }))
      .toEqual(['INBOUND_CAPTURE_PORTS', 'holdApplicationUntilProxyStart']);
  });
});
