/**
 * monitors.tls-settings beyond the fixture grid: a monitor no known Prometheus selects is judged on its
 * own, each finding comes once however many Prometheus shards select the monitor, the hint fits the
 * kind of object (a ServiceMonitor, a PodMonitor, a ScrapeConfig, a raw job), and a cluster without
 * the monitor CRDs still has its raw jobs judged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';
import tlsSettings from '../../checks/monitors/tls-settings.js';
import { ResourceStore, Unavailable, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('asm-prom-tls-settings-');
const noCaFile = readFileSync(new URL('./monitors.tls-settings/fail-no-ca-file.yaml', import.meta.url), 'utf8');
const prometheus = noCaFile.split('\n---\n').find((d) => /^kind: Prometheus$/m.test(d))!;
const findingsOf = async (name: string, manifests: string) => {
  const file = join(tmp, name);
  writeFileSync(file, manifests);
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.tls-settings']));
  return summary.findings.filter((f) => f.check === 'monitors.tls-settings');
};
const run = async (name: string, manifests: string) => (await findingsOf(name, manifests)).map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`);
const fixture = (name: string) => readFileSync(new URL(`./monitors.tls-settings/${name}`, import.meta.url), 'utf8');

describe('monitors.tls-settings', () => {
  it('judges a monitor on its own when the manifests hold no Prometheus', async () => {
    const alone = noCaFile.split('\n---\n').filter((d) => d !== prometheus).join('\n---\n');
    expect(await run('alone.yaml', alone)).toEqual(['MONITOR_TLS_FILES_MISSING ServiceMonitor/productpage']);
  });

  it('reports once when two Prometheus shards select the monitor', async () => {
    const shards = `${noCaFile}\n---\n${prometheus.replace('name: mesh,', 'name: mesh-b,')}`;
    expect(shards).toContain('name: mesh-b,');
    expect(await run('shards.yaml', shards)).toEqual(['MONITOR_TLS_FILES_MISSING ServiceMonitor/productpage']);
  });

  it('gives each kind of object the hint it can follow: files on a ServiceMonitor, a scrape class for a PodMonitor or ScrapeConfig, tls_config for a raw job', async () => {
    const missing = async (name: string) => (await findingsOf(name, fixture(name))).filter((f) => f.code === 'MONITOR_TLS_FILES_MISSING')
      .map((f) => [f.subject.kind, f.subject.name, f.evidence.kind, f.hint.split(':')[0]]);
    expect(await missing('fail-no-client-cert.yaml')).toEqual([
      ['ServiceMonitor', 'productpage', 'ServiceMonitor', 'Set tlsConfig caFile, certFile and keyFile to root-cert.pem, cert-chain.pem and key.pem under /etc/prom-certs/ (or use a scrape class that sets them).'],
      ['PodMonitor', 'reviews', 'PodMonitor', "A PodMonitor's tlsConfig cannot name files"],
    ]);
    expect(await missing('fail-scrape-config-no-files.yaml')).toEqual([
      ['ScrapeConfig', 'shop-pods', 'ScrapeConfig', "A ScrapeConfig's tlsConfig cannot name files"],
    ]);
    expect(await missing('fail-raw-job-nothing-discovered.yaml')).toEqual([
      ['ScrapeJob', 'shop-apps', 'ScrapeJob', "Set the job's tls_config ca_file, cert_file and key_file to root-cert.pem, cert-chain.pem and key.pem under the Prometheus container's mount of the certificates volume, with insecure_skip_verify"],
    ]);
  });

  it('names a default scrape class written without a name (the CRD requires one) as ""', async () => {
    const nameless = fixture('fail-scrape-class-override.yaml').replace('  - name: istio-mtls\n    default: true\n', '  - default: true\n');
    expect(nameless).not.toContain('name: istio-mtls');
    const found = (await findingsOf('nameless.yaml', nameless)).filter((f) => f.code === 'SCRAPE_CLASS_TLS_OVERRIDE');
    expect(found.map((f) => [f.subject.name, f.evidence])).toEqual([
      ['productpage', { endpoint: 'endpoints[0]', scrapeClass: '' }],
      ['productpage', { endpoint: 'endpoints[1]', scrapeClass: '' }],
    ]);
  });

  describe('on a cluster without the ServiceMonitor and PodMonitor CRDs', () => {
    const noMonitorCrds: Providers = {
      serviceMonitors: () => {
        throw new Unavailable('the ServiceMonitor CRD is not installed');
      },
      podMonitors: () => {
        throw new Unavailable('the PodMonitor CRD is not installed');
      },
      prometheusResources: () => [],
    };
    const RUN = { now: new Date(0), timeoutMs: 5000, concurrency: 2, verbose: false, only: [], skip: [], deadlineMs: 10_000 };
    const statusOf = async (providers: Providers) => {
      const { checks } = await runChecks([tlsSettings], new ResourceStore(providers), RUN);
      return checks.map((c) => [c.status, c.skipReason]);
    };

    it('still judges the raw jobs when the scrape configuration can be read', async () => {
      expect(await statusOf({ ...noMonitorCrds, scrapeConfigs: () => [] })).toEqual([['pass', undefined]]);
    });

    it('is skipped, saying why, when neither monitors nor scrape configuration can be read', async () => {
      expect(await statusOf({ ...noMonitorCrds, scrapeConfigs: () => {
        throw new Unavailable('no Prometheus configuration found');
      } })).toEqual([['skip', 'neither ServiceMonitors nor PodMonitors could be read']]);
    });
  });
});
