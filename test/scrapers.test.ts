/**
 * Scrapers other than Prometheus: the Alloy syntax reader, and the simulated meshes of each scraper
 * (`asm-prom demo`), healthy and broken, with the codes each must (and must not) produce written
 * here by hand rather than read from the scenario files.
 */
import { describe, expect, it } from 'vitest';
import { AlloySyntaxError, parseAlloy } from '../src/model/alloy.js';
import { validateCollector } from '../src/model/otel-collector-schema.js';
import { validateVM } from '../src/model/vm-monitor-schema.js';
import { runCli } from './helpers/cli.js';

describe('the Alloy syntax reader', () => {
  it('reads blocks, labels, attributes and nested blocks with their lines', () => {
    const blocks = parseAlloy([
      '// comment',
      'prometheus.scrape "shop" {',
      '  targets    = discovery.kubernetes.pods.targets',
      '  forward_to = [prometheus.remote_write.default.receiver]',
      '  scheme = "https" /* inline */',
      '  tls_config {',
      '    ca_file = "/etc/prom-certs/root-cert.pem"',
      '    insecure_skip_verify = true',
      '  }',
      '}',
    ].join('\n'));
    expect(blocks).toHaveLength(1);
    const [scrape] = blocks;
    expect(scrape).toMatchObject({ name: 'prometheus.scrape', label: 'shop', line: 2 });
    expect(scrape!.attributes.scheme).toBe('https');
    expect(scrape!.attributes.targets).toEqual({ expr: 'discovery . kubernetes . pods . targets' });
    expect(scrape!.blocks[0]).toMatchObject({ name: 'tls_config', line: 6, attributes: { ca_file: '/etc/prom-certs/root-cert.pem', insecure_skip_verify: true } });
  });

  it.each([
    ['prometheus.scrape "a" {\n  scheme = "https\n}', 2, 'string literal not terminated'],
    ['prometheus.scrape "a" {\n  scheme = "https"\n', 3, 'expected }'],
    ['x = 1\nx = 2', 2, 'already set'],
  ])('refuses %j at line %i', (text, line, reason) => {
    let error: unknown;
    try {
      parseAlloy(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlloySyntaxError);
    expect((error as AlloySyntaxError).line).toBe(line);
    expect((error as AlloySyntaxError).reason).toContain(reason);
  });
});

describe("the scrapers' CRD schemas (VictoriaMetrics operator v0.74.1, OpenTelemetry operator v0.158.0)", () => {
  const vmAgent = (spec: Record<string, unknown>) => ({ apiVersion: 'operator.victoriametrics.com/v1beta1', kind: 'VMAgent', metadata: { name: 'vm' }, spec: { remoteWrite: [{ url: 'http://vm:8428/api/v1/write' }], ...spec } });
  const collector = (version: string, spec: Record<string, unknown>) => ({ apiVersion: `opentelemetry.io/${version}`, kind: 'OpenTelemetryCollector', metadata: { name: 'otel' }, spec });
  const v1beta1Config = { receivers: { prometheus: { config: { scrape_configs: [] } } }, exporters: { debug: {} }, service: { pipelines: { metrics: { receivers: ['prometheus'], exporters: ['debug'] } } } };

  it('names what a misspelt VMAgent field meant, and wrong types', () => {
    expect(validateVM('VMAgent', vmAgent({ serviceScrapeSelector: {}, arbitraryFSAccessThroughSMs: { deny: false } }))).toEqual([]);
    expect(validateVM('VMAgent', vmAgent({ podScrapeSelecter: { matchLabels: { a: 'b' } }, selectAllByDefault: 'true' }))).toEqual([
      'spec.podScrapeSelecter: unknown field (did you mean podScrapeSelector?)',
      'spec.selectAllByDefault: must be boolean',
    ]);
    expect(validateVM('VMAgent', { ...vmAgent({}), spec: {} })).toEqual(['spec.remoteWrite: required']);
  });

  it("knows VM's tlsConfig: files yes (unlike a PodMonitor's), TLS versions no", () => {
    const scrape = (tlsConfig: Record<string, unknown>) => ({ apiVersion: 'operator.victoriametrics.com/v1beta1', kind: 'VMPodScrape', metadata: { name: 'p' }, spec: { selector: {}, podMetricsEndpoints: [{ port: 'http', tlsConfig }] } });
    expect(validateVM('VMPodScrape', scrape({ caFile: '/etc/istio-certs/root-cert.pem', certFile: '/c', keyFile: '/k', insecureSkipVerify: true }))).toEqual([]);
    expect(validateVM('VMPodScrape', scrape({ minVersion: 'TLS12' }))).toEqual(['spec.podMetricsEndpoints[0].tlsConfig.minVersion: unknown field']);
  });

  it('judges each OpenTelemetryCollector by its own API version', () => {
    expect(validateCollector(collector('v1beta1', { config: v1beta1Config, targetAllocator: { enabled: true, prometheusCR: { enabled: true, serviceMonitorSelector: { matchLabels: { team: 'shop' } } } } }))).toEqual([]);
    expect(validateCollector(collector('v1alpha1', { config: 'receivers: {}', targetAllocator: { enabled: true, prometheusCR: { enabled: true, serviceMonitorSelector: { team: 'shop' } } } }))).toEqual([]);
    // v1alpha1's label map under v1beta1: the selector is a LabelSelector there
    expect(validateCollector(collector('v1beta1', { config: v1beta1Config, targetAllocator: { prometheusCR: { serviceMonitorSelector: { team: 'shop' } } } }))).toEqual([
      'spec.targetAllocator.prometheusCR.serviceMonitorSelector.team: unknown field (a label selector: labels go under matchLabels)',
    ]);
    expect(validateCollector(collector('v1beta1', { config: v1beta1Config, mode: 'Deployment' }))).toEqual(['spec.mode: must be one of daemonset, deployment, sidecar, statefulset']);
  });
});

// Each scenario's report is checked by test/demo.test.ts with the others (expectations written there).
describe('asm-prom demo, one healthy and one broken mesh per scraper', () => {
  const CASES: [scenario: string, codes: string[], exitCode: number][] = [
    ['vmagent-healthy', [], 0],
    ['vmagent-fs-denied', ['FS_ACCESS_DENIED'], 1],
    ['alloy-healthy', [], 0],
    ['alloy-no-file-access', ['FS_ACCESS_DENIED'], 1],
    ['otel-healthy', [], 0],
    ['otel-allocator-unmounted', ['MONITOR_TLS_PATH_UNMOUNTED', 'CERTS_NOT_MOUNTED'], 1],
  ];
  it('demo --list names the six with the codes each broken one expects', async () => {
    const result = await runCli(['demo', '--list', '-o', 'json'], { timeoutMs: 20_000 });
    expect(result.code).toBe(0);
    const listed = new Map((JSON.parse(result.stdout) as { scenarios: { name: string; expectedCodes: string[] }[] }).scenarios.map((s) => [s.name, s.expectedCodes]));
    for (const [scenario, codes] of CASES) {
      expect(listed.get(scenario), scenario).toBeDefined();
      // a healthy one expects nothing; a broken one names its first code
      expect(listed.get(scenario)!.length > 0).toBe(codes.length > 0);
      if (codes.length) expect(listed.get(scenario)).toContain(codes[0]);
    }
  });
});
