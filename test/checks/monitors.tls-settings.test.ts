/** monitors.tls-settings beyond the fixture grid: a monitor no known Prometheus selects is judged on its own, and each finding comes once however many Prometheus shards select the monitor. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'asm-prom-tls-settings-'));
const noCaFile = readFileSync(new URL('./monitors.tls-settings/fail-no-ca-file.yaml', import.meta.url), 'utf8');
const prometheus = noCaFile.split('\n---\n').find((d) => /^kind: Prometheus$/m.test(d))!;
const run = async (name: string, manifests: string) => {
  const file = join(tmp, name);
  writeFileSync(file, manifests);
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.tls-settings']));
  return summary.findings.filter((f) => f.check === 'monitors.tls-settings').map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`);
};

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
});
