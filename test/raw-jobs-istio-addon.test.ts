/**
 * Istio's own addon Prometheus (test/fixtures/istio-addon-prometheus, hand-rendered from Istio's
 * values-prometheus.yaml; see its header): judged as deployed, it has no error. Its jobs are read
 * from the ConfigMap mounted at --config.file and their relabelling is evaluated over the pods of the
 * inputs: the kubernetes-pods job keeps the injected productpage by the injector's prometheus.io/*
 * rewrite (port 15020, plain text outside the capture). Without that rewrite the same job scrapes the
 * STRICT app port in plain text, and the doctor names the job.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { runDoctor } from '../src/index.js';
import { tempDir } from './helpers/tmp.js';

const FIXTURE = new URL('./fixtures/istio-addon-prometheus/', import.meta.url).pathname;
const errorsOf = (summary: Awaited<ReturnType<typeof runDoctor>>) => summary.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`);

describe("Istio's addon Prometheus", () => {
  const dir = tempDir('asm-prom-addon-');

  it('alone: no error, and its raw jobs are loaded from the mounted ConfigMap', async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', join(FIXTURE, 'prometheus.yaml')]));
    expect(errorsOf(summary)).toEqual([]);
    expect(summary.checks.find((c) => c.id === 'prometheus.scrape-config')?.status).toBe('pass');
    expect(summary.checks.find((c) => c.id === 'prometheus.sidecar-injected')?.skipReason).toMatch(/scrapes over Istio mTLS/);
  });

  it('beside a STRICT meshed app: no error, the kubernetes-pods job judged over the injected pod', async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', FIXTURE]));
    expect(errorsOf(summary)).toEqual([]);
    expect(summary.checks.find((c) => c.id === 'monitors.mtls-mode')?.status).toBe('pass');
  });

  it('without the metrics-merging rewrite the kubernetes-pods job scrapes the STRICT app port in plain text', async () => {
    const app = readFileSync(join(FIXTURE, 'app.yaml'), 'utf8').replace('prometheus.io/path: /metrics}', 'prometheus.io/path: /metrics, prometheus.istio.io/merge-metrics: "false"}');
    writeFileSync(join(dir, 'app.yaml'), app);
    const summary = await runDoctor(parseDoctorArgs(['-f', join(FIXTURE, 'prometheus.yaml'), '-f', join(dir, 'app.yaml')]));
    expect(errorsOf(summary)).toEqual(['MONITOR_SCHEME_HTTP_ON_STRICT ScrapeJob/kubernetes-pods']);
    const finding = summary.findings.find((f) => f.code === 'MONITOR_SCHEME_HTTP_ON_STRICT')!;
    expect(finding.subject).toMatchObject({ kind: 'ScrapeJob', name: 'kubernetes-pods', namespace: 'istio-system' });
    expect(finding.subject.file).toMatch(/prometheus\.yaml$/);
  });
});
