/**
 * Relabelling against the real peers: the `prometheus` binary (Debian 2.42) runs jobs with
 * static_configs carrying `__meta_kubernetes_*` labels and the same relabel_configs; its
 * /api/v1/targets?state=any (which targets are active, their labels and scrapeUrl) must equal what
 * src/model/relabel.ts computes. fast-check (fixed seed) draws label values and rules from a pool.
 * Skipped, with the reason, when `prometheus` is not on the PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { populateTarget, type Labels, type RelabelConfig } from '../src/model/relabel.js';
import { freePort } from './helpers/wait.js';

const hasPrometheus = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPrometheus) console.warn('relabel-real: `prometheus` is not on the PATH, skipping (CI installs it: apt-get install prometheus)');

type Rule = Record<string, unknown>;
const toCfg = (r: Rule): RelabelConfig => ({
  ...(r.source_labels ? { sourceLabels: r.source_labels as string[] } : {}),
  ...(r.separator !== undefined ? { separator: r.separator as string } : {}),
  ...(r.regex !== undefined ? { regex: r.regex as string } : {}),
  ...(r.modulus !== undefined ? { modulus: r.modulus as number } : {}),
  ...(r.target_label !== undefined ? { targetLabel: r.target_label as string } : {}),
  ...(r.replacement !== undefined ? { replacement: r.replacement as string } : {}),
  ...(r.action !== undefined ? { action: r.action as RelabelConfig['action'] } : {}),
});

const ANNOTATION = '__meta_kubernetes_pod_annotation_prometheus_io_';
/** Istio's addon rules (kubernetes-pods), and a pool of rules exercising every action. */
const ISTIO_POD_RULES: Rule[] = [
  { action: 'keep', regex: 'true', source_labels: [`${ANNOTATION}scrape`] },
  { action: 'drop', regex: 'true', source_labels: [`${ANNOTATION}scrape_slow`] },
  { action: 'replace', regex: '(https?)', source_labels: [`${ANNOTATION}scheme`], target_label: '__scheme__' },
  { action: 'replace', regex: '(.+)', source_labels: [`${ANNOTATION}path`], target_label: '__metrics_path__' },
  { action: 'replace', regex: '(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})', replacement: '[$2]:$1', source_labels: [`${ANNOTATION}port`, '__meta_kubernetes_pod_ip'], target_label: '__address__' },
  { action: 'replace', regex: '(\\d+);((([0-9]+?)(\\.|$)){4})', replacement: '$2:$1', source_labels: [`${ANNOTATION}port`, '__meta_kubernetes_pod_ip'], target_label: '__address__' },
  { action: 'labelmap', regex: `${ANNOTATION}param_(.+)`, replacement: '__param_$1' },
  { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
  { action: 'replace', source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
  { action: 'drop', regex: 'Pending|Succeeded|Failed|Completed', source_labels: ['__meta_kubernetes_pod_phase'] },
];
const POOL: Rule[] = [
  ...ISTIO_POD_RULES,
  { source_labels: ['__meta_kubernetes_pod_label_app', '__meta_kubernetes_namespace'], separator: '/', target_label: 'workload' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], regex: '(?i)PRODUCT.*', action: 'keep' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], target_label: 'shard', modulus: 3, action: 'hashmod' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], target_label: 'APP', action: 'uppercase' },
  { source_labels: ['__meta_kubernetes_pod_label_version'], target_label: 'v', action: 'lowercase' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], target_label: 'app', action: 'keepequal' },
  { source_labels: ['__meta_kubernetes_pod_label_version'], target_label: 'version', action: 'dropequal' },
  { regex: 'app|version', action: 'labeldrop' },
  { regex: '__.*|job|instance|namespace|app', action: 'labelkeep' },
  { source_labels: ['__address__'], regex: '([^:]+):\\d+', replacement: '${1}:15020', target_label: '__address__' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], regex: '(?P<name>[a-z]+)-?(.*)', replacement: '$name-$2x', target_label: 'named' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], regex: '(.*)', replacement: '$1', target_label: '${1}_seen' },
  { replacement: 'https', target_label: '__scheme__' },
  { source_labels: ['__meta_kubernetes_pod_label_version'], regex: '', action: 'drop' },
];

const targetArb = fc.record({
  app: fc.constantFrom('productpage', 'reviews-v2', 'Ratings', ''),
  version: fc.constantFrom('v1', 'V2', ''),
  scrape: fc.constantFrom('true', 'false', ''),
  port: fc.constantFrom('15020', '9080', 'x', ''),
  ip: fc.constantFrom('10.0.0.7', 'fd00::7'),
  scheme: fc.constantFrom('https', 'http', 'HTTPS', ''),
  path: fc.constantFrom('/stats/prometheus', ''),
  phase: fc.constantFrom('Running', 'Pending'),
});
const jobArb = fc.record({
  rules: fc.array(fc.constantFrom(...POOL), { minLength: 1, maxLength: 6 }),
  targets: fc.array(targetArb, { minLength: 1, maxLength: 4 }),
  https: fc.boolean(),
});
const JOBS = [{ rules: ISTIO_POD_RULES, targets: fc.sample(targetArb, { numRuns: 6, seed: 7 }), https: false }, ...fc.sample(jobArb, { numRuns: 40, seed: 4242 })];

type Drawn = Record<string, string>;
function discovered(t: Drawn, i: number): Labels {
  const labels: Labels = {
    __address__: t.ip.includes(':') ? `[${t.ip}]:${9000 + i}` : `${t.ip}:${9000 + i}`,
    __meta_kubernetes_namespace: 'bookinfo', __meta_kubernetes_pod_ip: t.ip!, __meta_kubernetes_pod_phase: t.phase!,
    __meta_kubernetes_pod_name: `pod-${i}`,
  };
  const opt: Record<string, string | undefined> = {
    __meta_kubernetes_pod_label_app: t.app, __meta_kubernetes_pod_label_version: t.version, [`${ANNOTATION}scrape`]: t.scrape,
    [`${ANNOTATION}port`]: t.port, [`${ANNOTATION}scheme`]: t.scheme, [`${ANNOTATION}path`]: t.path, [`${ANNOTATION}param_module`]: t.path ? 'http_2xx' : '',
  };
  for (const [k, v] of Object.entries(opt)) if (v) labels[k] = v;
  return labels;
}

interface ApiTarget { discoveredLabels: Labels; labels: Labels; scrapePool: string; scrapeUrl: string }
let children: ChildProcess[] = [];
let dir = '';
let active: ApiTarget[] = [];
let dropped: { discoveredLabels: Labels }[] = [];

describe.skipIf(!hasPrometheus)('relabelling against the real prometheus', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'asm-prom-relabel-'));
    const config = {
      global: { scrape_interval: '1h', scrape_timeout: '10s' },
      scrape_configs: JOBS.map((job, j) => ({
        job_name: `job${j}`, scheme: job.https ? 'https' : 'http',
        static_configs: job.targets.map((t, i) => ({ targets: [discovered(t as Drawn, i).__address__], labels: Object.fromEntries(Object.entries(discovered(t as Drawn, i)).filter(([k]) => k !== '__address__')) })),
        relabel_configs: job.rules,
      })),
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    if (process.env.RELABEL_DUMP) writeFileSync(process.env.RELABEL_DUMP, JSON.stringify(config));
    const port = await freePort();
    const child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    // Static targets are known at start; those Prometheus rejects (no or bad address) are in neither list.
    let last = -1;
    let stable = 0;
    for (let attempt = 0; attempt < 300; attempt++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/targets?state=any`);
        const body = (await r.json()) as { data: { activeTargets: ApiTarget[]; droppedTargets: { discoveredLabels: Labels }[] } };
        const total = body.data.activeTargets.length + body.data.droppedTargets.length;
        stable = total > 0 && total === last ? stable + 1 : 0;
        last = total;
        if (stable >= 10) {
          active = body.data.activeTargets;
          dropped = body.data.droppedTargets;
          return;
        }
      } catch {
        /* not up yet */
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('prometheus did not list the targets');
  }, 30_000);
  afterAll(() => {
    for (const c of children) c.kill();
    children = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(JOBS.map((job, j) => [j, job] as const))('job%i: same targets, labels and scrape URLs', (j, job) => {
    const name = `job${j}`;
    // Prometheus keeps one active target per distinct label set and URL (two targets that differ only
    // in scheme are both kept, listed in map order): compare label set → every URL, order-free.
    const mine = new Map<string, Set<string>>();
    const add = (map: Map<string, Set<string>>, key: string, url: string) => (map.get(key) ?? map.set(key, new Set()).get(key)!).add(url);
    for (const [i, t] of job.targets.entries()) {
      const result = populateTarget(discovered(t as Drawn, i), { jobName: name, scheme: job.https ? 'https' : 'http', metricsPath: '/metrics', scrapeInterval: '1h', scrapeTimeout: '10s' }, job.rules.map(toCfg));
      if ('dropped' in result || 'error' in result) continue;
      add(mine, JSON.stringify(Object.entries(result.publicLabels).sort()), `${result.scheme} ${result.address} ${result.metricsPath}`);
    }
    const theirs = new Map<string, Set<string>>();
    for (const a of active.filter((t) => t.scrapePool === name)) {
      const url = new URL(a.scrapeUrl);
      add(theirs, JSON.stringify(Object.entries(a.labels).sort()), `${url.protocol.replace(':', '')} ${url.host} ${url.pathname}`);
    }
    const sorted = (map: Map<string, Set<string>>) => [...map].map(([labels, urls]) => [labels, [...urls].sort()]).sort();
    expect(sorted(mine)).toEqual(sorted(theirs));
    expect(dropped.length + active.length).toBeGreaterThan(0);
  });
});
