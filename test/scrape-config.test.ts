/**
 * The scrape_configs validator against the real judge, `promtool check config --syntax-only`
 * (Debian's Prometheus 2.42, built without Kubernetes discovery, so the table uses static_configs):
 * both must agree on every row, valid or invalid.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPrometheusConfig } from '../src/model/scrape-config.js';

const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const job = (body: string) => `scrape_configs:\n- job_name: a\n  static_configs: [{targets: ['localhost:9090']}]\n${body}`;
const rule = (body: string) => job(`  relabel_configs:\n  - ${body}\n`);

const TABLE: [string, string][] = [
  ['minimal', job('')],
  ['istio https job', job('  scheme: https\n  tls_config: {ca_file: /etc/istio-certs/root-cert.pem, cert_file: /etc/istio-certs/cert-chain.pem, key_file: /etc/istio-certs/key.pem, insecure_skip_verify: true}\n')],
  ['unknown field', job('  metric_path: /x\n')],
  ['unknown top-level field', `scrape_configz: []\n`],
  ['duplicate key', job('  scheme: http\n  scheme: https\n')],
  ['bool as quoted string', job('  honor_labels: "true"\n')],
  ['bool yes (YAML 1.1)', job('  honor_labels: yes\n')],
  ['bad duration', job('  scrape_interval: 15 seconds\n')],
  ['timeout above interval', job('  scrape_interval: 5s\n  scrape_timeout: 10s\n')],
  ['duplicate job names', `${job('')}- job_name: a\n`],
  ['missing job_name', `scrape_configs:\n- scheme: http\n`],
  ['null scrape config', `scrape_configs:\n-\n`],
  ['cert without key', job('  tls_config: {cert_file: /x.pem}\n')],
  ['bearer token and file', job('  bearer_token: x\n  bearer_token_file: /y\n')],
  ['regex look-ahead', rule("{source_labels: [__address__], regex: '(?=a).*', action: keep}")],
  ['regex back-reference', rule("{source_labels: [__address__], regex: '(a)\\1', action: keep}")],
  ['regex (?P<name>)', rule("{source_labels: [__address__], regex: '(?P<host>[^:]+):.*', target_label: host, replacement: '$host'}")],
  ['regex (?i)', rule("{source_labels: [__address__], regex: '(?i)LOCALHOST.*', action: keep}")],
  ['regex unclosed', rule("{source_labels: [__address__], regex: '(a', action: keep}")],
  ['regex: true (a bool read as text)', rule('{source_labels: [__address__], regex: true, action: keep}')],
  ['action upper case', rule('{source_labels: [__address__], regex: x, action: Keep}')],
  ['unknown action', rule('{source_labels: [__address__], action: keepall}')],
  ['replace without target_label', rule('{source_labels: [__address__], action: replace}')],
  ['replace with $1 target', rule("{source_labels: [__address__], target_label: '${1}_x'}")],
  ['invalid target_label', rule("{source_labels: [__address__], target_label: '1abc'}")],
  ['bad source label name', rule("{source_labels: ['a-b'], target_label: x}")],
  ['hashmod without modulus', rule('{source_labels: [__address__], target_label: x, action: hashmod}')],
  ['hashmod', rule('{source_labels: [__address__], target_label: x, modulus: 4, action: hashmod}')],
  ['labeldrop with source_labels', rule('{source_labels: [__address__], regex: x, action: labeldrop}')],
  ['labelkeep', rule("{regex: '__.*|job', action: labelkeep}")],
  ['labelmap bad replacement', rule("{regex: 'a_(.+)', replacement: '1-$1', action: labelmap}")],
  ['lowercase with replacement', rule('{source_labels: [__address__], target_label: x, replacement: y, action: lowercase}')],
  ['keepequal', rule('{source_labels: [__address__], target_label: instance, action: keepequal}')],
  ['keepequal with regex', rule('{source_labels: [__address__], target_label: instance, regex: x, action: keepequal}')],
  ['null relabel rule', job('  relabel_configs:\n  -\n')],
  ['static target with a path', `scrape_configs:\n- job_name: a\n  static_configs: [{targets: ['localhost:9090/metrics']}]\n`],
  ['list where a map is expected', job('  tls_config: [a]\n')],
  ['modulus as text', rule('{source_labels: [__address__], target_label: x, modulus: four, action: hashmod}')],
];

describe.skipIf(!hasPromtool)('scrape_configs validation agrees with promtool check config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asm-prom-promtool-'));
  it.each(TABLE)('%s', (_name, text) => {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, text);
    const promtool = spawnSync('promtool', ['check', 'config', '--syntax-only', file], { encoding: 'utf8' });
    const mine = loadPrometheusConfig(text);
    expect({ valid: mine.errors.length === 0, errors: mine.errors }).toMatchObject({ valid: promtool.status === 0 });
  });
  it('finds both kinds in the table', () => {
    const verdicts = TABLE.map(([, text]) => loadPrometheusConfig(text).errors.length === 0);
    expect(verdicts).toContain(true);
    expect(verdicts).toContain(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
