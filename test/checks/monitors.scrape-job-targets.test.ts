/** monitors.scrape-job-targets beyond the fixture grid: a config whose every job is out of the manifests' reach is skipped, with why. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('asm-prom-scrape-job-targets-');
let runs = 0;
const run = async (config: string) => {
  const file = join(tmp, `prometheus-${++runs}.yaml`);
  writeFileSync(file, `apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: bookinfo, labels: {app: productpage}}
spec:
  selector: {app: productpage}
  ports: [{name: http, port: 9080}]
---
global: {scrape_interval: 15s}
scrape_configs:
${config}`);
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.scrape-job-targets']));
  return { check: summary.checks.find((c) => c.id === 'monitors.scrape-job-targets')!, findings: summary.findings.filter((f) => f.check === 'monitors.scrape-job-targets') };
};

const everyNamespace = `- job_name: every-namespace
  kubernetes_sd_configs: [{role: endpoints}]
`;
const payments = `- job_name: payments
  kubernetes_sd_configs: [{role: endpoints, namespaces: {names: [payments, billing]}}]
`;
const bookinfo = `- job_name: bookinfo
  kubernetes_sd_configs: [{role: service, namespaces: {names: [bookinfo]}}]
`;

describe('monitors.scrape-job-targets when the manifests cannot judge', () => {
  it('skips, naming every reason, when no job could be judged', async () => {
    const { check, findings } = await run(everyNamespace + payments);
    expect(findings).toEqual([]);
    expect(check.status).toBe('skip');
    expect(check.skipReason).toBe('a job that discovers in every namespace is judged live only; namespace payments, billing is not among the inputs');
  });

  it('does not take the configuration document itself (no kind, no namespace) for an object of namespace default', async () => {
    const { check, findings } = await run(`- job_name: default
  kubernetes_sd_configs: [{role: endpoints, namespaces: {names: [default]}}]
`);
    expect(findings).toEqual([]);
    expect(check.skipReason).toBe('namespace default is not among the inputs');
  });

  it('judges a namespace that the inputs hold as a Namespace object only, and names what discovery found', async () => {
    const { findings } = await run(`- job_name: payments
  kubernetes_sd_configs: [{role: endpoints, namespaces: {names: [payments]}}]
---
apiVersion: v1
kind: Namespace
metadata: {name: payments}
`);
    expect(findings.map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`)).toEqual(['SCRAPE_JOB_NO_TARGETS ScrapeJob/payments']);
    expect(findings[0]!.message).toBe('scrape job "payments" keeps no target in payments: its Kubernetes discovery finds nothing');
  });

  it('passes, not skips, once one job was judged and kept its targets', async () => {
    const { check, findings } = await run(everyNamespace + payments + bookinfo);
    expect(findings).toEqual([]);
    expect(check.status).toBe('pass');
  });

  it('counts a role: service target though none of the Service\'s pods is among the inputs (Prometheus scrapes the Service address)', async () => {
    const { check, findings } = await run(bookinfo);
    expect(findings).toEqual([]);
    expect(check.status).toBe('pass');
  });

  it('passes, not skips, a config without Kubernetes discovery', async () => {
    const { check } = await run(`- job_name: pushgateway
  static_configs: [{targets: ['pushgateway.monitoring.svc:9091']}]
`);
    expect(check.status).toBe('pass');
  });
});
