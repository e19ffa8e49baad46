/**
 * deploy/serve/prometheusrule.yaml, judged by the real promtool: the rules load, every alert has a
 * unit test in test/serve/rules.promtool.yaml (fires when it should, not when it should not), and
 * every alert links its runbook.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { peer } from './helpers/peers.js';
import { tempDir } from './helpers/tmp.js';

const RULE_FILE = new URL('../deploy/serve/prometheusrule.yaml', import.meta.url);
const RULE_TESTS = new URL('./serve/rules.promtool.yaml', import.meta.url);

interface Rule { alert: string; expr: string; annotations?: Record<string, string> }
const resource = parse(readFileSync(RULE_FILE, 'utf8')) as { kind: string; spec: { groups: { name: string; rules: Rule[] }[] } };
const alerts = resource.spec.groups.flatMap((g) => g.rules);

const promtool = peer('promtool');

describe.skipIf(!promtool)('the alerts of asm-prom serve, under promtool', () => {
  const dir = tempDir('asm-prom-rules-');
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: resource.spec.groups }));
  copyFileSync(RULE_TESTS, join(dir, 'tests.yaml'));

  it('load as Prometheus rules', () => {
    const result = spawnSync(promtool!, ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
    expect(result.stdout).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(result.status).toBe(0);
  });

  it('pass their unit tests', () => {
    const result = spawnSync(promtool!, ['test', 'rules', 'tests.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});

describe('the PrometheusRule', () => {
  const tested = new Set((parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] })
    .tests.flatMap((t) => t.alert_rule_test ?? []).filter((t) => t.exp_alerts.length > 0).map((t) => t.alertname));

  it.each(alerts.map((a) => [a.alert, a] as const))('%s has a unit test in which it fires, and a runbook', (_name, alert) => {
    expect(tested.has(alert.alert)).toBe(true);
    expect(alert.annotations?.runbook_url).toMatch(/^docs\/(checks|continuous)\.md#[a-z0-9-]+$/);
  });

  it.each(alerts.map((a) => [a.alert, a.annotations!.runbook_url!] as const))('%s links a section that exists (%s)', (_name, url) => {
    const [file, anchor] = url.split('#') as [string, string];
    const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
    // GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
    const anchors = [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-'));
    expect(anchors).toContain(anchor);
  });

  it('has the alerts the exporter promises: stuck rotation, expiry within a day, root mismatch, missing scrape pool, failing probe, the doctor not running', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'AsmPromCertExpiringSoon', 'AsmPromCertRotationStuck', 'AsmPromDoctorNotRunning', 'AsmPromRootMismatch', 'AsmPromScrapePoolMissing', 'AsmPromTargetProbeFailing',
    ]);
  });
});
