/**
 * The watchman watched by the real thing: Debian's `prometheus` scrapes `asm-prom serve`, which
 * diagnoses a simulated mesh, with deploy/serve/prometheusrule.yaml loaded. When the mesh breaks
 * (serve's kubeconfig is pointed at a mesh with another root, then at one whose Prometheus
 * certificate expired, as a stuck rotation leaves it) the right alert fires, and it resolves when
 * the mesh is healthy again. Read through Prometheus's own /api/v1/alerts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startSimulatedMesh, type SimulatedMesh } from '../src/sim/index.js';
import { peer } from './helpers/peers.js';
import { freePort, waitFor } from './helpers/wait.js';
import { startServe } from './helpers/serve.js';

const prometheusBin = peer('prometheus');

interface Alert { labels: Record<string, string>; state: string }

describe.skipIf(!prometheusBin)('a real Prometheus alerting on asm-prom serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asm-prom-serve-prom-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const meshes: Record<string, SimulatedMesh> = {};
  const children: ChildProcess[] = [];
  let promUrl = '';

  const switchTo = (scenario: string) => copyFileSync(meshes[scenario]!.kubeconfigPath, kubeconfig);
  const firing = async () => {
    const response = await fetch(`${promUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) });
    const { data } = (await response.json()) as { data: { alerts: Alert[] } };
    return data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname!).sort();
  };
  const until = (what: string, test: (names: string[]) => boolean) =>
    waitFor(what, 90_000, async () => {
      const names = await firing();
      return test(names) ? names : undefined;
    }, 500);

  beforeAll(async () => {
    for (const scenario of ['healthy', 'wrong-root', 'expired-cert']) meshes[scenario] = await startSimulatedMesh(scenario);
    switchTo('healthy');
    const served = await startServe(['--kubeconfig', kubeconfig, '--interval', '1s', '--timeout', '10s']);
    children.push(served.child);

    const rule = parse(readFileSync(new URL('../deploy/serve/prometheusrule.yaml', import.meta.url), 'utf8')) as { spec: { groups: unknown[] } };
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yaml')],
      scrape_configs: [{ job_name: 'asm-prom', static_configs: [{ targets: [new URL(served.url).host] }] }],
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    const port = await freePort();
    children.push(spawn(prometheusBin!, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' }));
    promUrl = `http://127.0.0.1:${port}`;
    await waitFor('Prometheus to have scraped a complete run of asm-prom', 90_000, async () => {
      const response = await fetch(`${promUrl}/api/v1/query?query=asm_prom_last_run_timestamp_seconds`, { signal: AbortSignal.timeout(5_000) });
      const { data } = (await response.json()) as { data: { result: unknown[] } };
      return data.result.length > 0 ? true : undefined;
    }, 500);
  }, 180_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const mesh of Object.values(meshes)) await mesh.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays quiet while the mesh is healthy', async () => {
    const names = await firing();
    expect(names).not.toContain('AsmPromRootMismatch');
    expect(names).not.toContain('AsmPromCertRotationStuck');
  });

  it('fires AsmPromRootMismatch when the scraper is on another root, and resolves it when healed', async () => {
    switchTo('wrong-root');
    await until('AsmPromRootMismatch to fire', (names) => names.includes('AsmPromRootMismatch'));
    switchTo('healthy');
    await until('AsmPromRootMismatch to resolve', (names) => !names.includes('AsmPromRootMismatch'));
  }, 200_000);

  it('fires AsmPromCertRotationStuck when the certificate was not rotated, and resolves it when healed', async () => {
    switchTo('expired-cert');
    const names = await until('AsmPromCertRotationStuck to fire', (n) => n.includes('AsmPromCertRotationStuck'));
    expect(names).not.toContain('AsmPromRootMismatch');
    switchTo('healthy');
    await until('AsmPromCertRotationStuck to resolve', (n) => !n.includes('AsmPromCertRotationStuck'));
  }, 200_000);
});
