/** prometheus.rbac beyond the fixture grid: what is missing, for which account, as the finding states it (kills string and branch mutants). */
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';

const fixture = (name: string) => new URL(`./prometheus.rbac/${name}`, import.meta.url).pathname;

describe('prometheus.rbac findings', () => {
  it('a role lacking only watch names watch for each resource, the service account and the monitors looking there', async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', fixture('fail-no-watch.yaml'), '--only', 'prometheus.rbac']));
    const [finding, ...rest] = summary.findings.filter((f) => f.code === 'PROMETHEUS_RBAC_MISSING');
    expect(rest).toEqual([]);
    expect(finding!.message).toContain('monitoring/prometheus');
    expect(finding!.message).toContain('watch services');
    expect(finding!.message).toContain('watch endpoints or endpointslices');
    expect(finding!.message).toContain('watch pods');
    expect(finding!.message).not.toMatch(/get|list/);
    expect(finding!.evidence.monitors).toEqual(['ServiceMonitor monitoring/app']);
  });
});

describe('prometheus.rbac where one monitor watches every namespace', () => {
  it('reports the cluster-wide grant once, and a namespace only for the monitor kinds the cluster-wide watch does not cover', async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', fixture('fail-everywhere-and-one-namespace.yaml'), '--only', 'prometheus.rbac']));
    const found = summary.findings.filter((f) => f.code === 'PROMETHEUS_RBAC_MISSING').map((f) => ({ message: f.message, monitors: f.evidence.monitors }));
    expect(found).toEqual([
      {
        message: 'service account monitoring/prometheus may not watch services, watch endpoints or endpointslices, watch pods in all namespaces',
        monitors: ['ServiceMonitor monitoring/app'],
      },
      { message: 'service account monitoring/prometheus may not watch pods in namespace batch', monitors: ['PodMonitor batch/jobs'] },
    ]);
  });
});
