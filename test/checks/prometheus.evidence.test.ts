/** Evidence of prometheus.* findings the fixture grid does not look at: what the annotation said against what the sidecar got, and where a refused volume was declared. */
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';

async function evidenceOf(check: string, fixture: string) {
  const file = new URL(`./${check}/${fixture}`, import.meta.url).pathname;
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', check]));
  return summary.findings.filter((f) => f.check === check).map((f) => ({ code: f.code, evidence: f.evidence }));
}

describe('evidence', () => {
  it('OUTPUT_CERTS_MISSING: the folder the annotation names, and none on the running sidecar', async () => {
    expect(await evidenceOf('prometheus.output-certs', 'fail-template-without-env.yaml')).toEqual([
      { code: 'OUTPUT_CERTS_MISSING', evidence: { annotated: '/etc/istio-output-certs', annotationOutputCerts: '/etc/istio-output-certs', sidecarOutputCerts: null } },
    ]);
    expect(await evidenceOf('prometheus.output-certs', 'fail-injection-on-no-recipe.yaml')).toEqual([{ code: 'OUTPUT_CERTS_MISSING', evidence: {} }]);
  });

  it('CERTS_VOLUME_MISSING: a volume of sidecar.istio.io/userVolume that Prometheus mounts is refused', async () => {
    expect(await evidenceOf('prometheus.certs-volume', 'fail-user-volume-mounted-by-prometheus.yaml')).toEqual([
      { code: 'CERTS_VOLUME_MISSING', evidence: { volume: 'istio-certs', onlyInUserVolume: true, declaredOnlyIn: 'sidecar.istio.io/userVolume' } },
    ]);
  });

  it('AMBIENT_NAMESPACE: whether the pod itself or its namespace carries istio.io/dataplane-mode=ambient', async () => {
    expect(await evidenceOf('prometheus.ambient', 'fail-ambient-pod-label.yaml')).toEqual([{ code: 'AMBIENT_NAMESPACE', evidence: { namespace: 'monitoring', labelledOn: 'Pod' } }]);
    expect(await evidenceOf('prometheus.ambient', 'fail-ambient-namespace.yaml')).toEqual([{ code: 'AMBIENT_NAMESPACE', evidence: { namespace: 'monitoring', labelledOn: 'Namespace' } }]);
  });

  it('USER_VOLUME_MOUNT_READONLY: the read-only mount declared on a hand-written istio-proxy, or by the annotation', async () => {
    expect(await evidenceOf('prometheus.user-volume-mount', 'fail-hand-written-sidecar-read-only.yaml')).toEqual([
      { code: 'USER_VOLUME_MOUNT_READONLY', evidence: { volume: 'istio-certs', mountPath: '/etc/istio-certs/', declaredIn: 'istio-proxy' } },
    ]);
    expect(await evidenceOf('prometheus.user-volume-mount', 'fail-annotation-read-only.yaml')).toEqual([
      { code: 'USER_VOLUME_MOUNT_READONLY', evidence: { volume: 'istio-certs', mountPath: '/etc/istio-output-certs', declaredIn: 'annotation' } },
    ]);
  });

  it('SCRAPE_CONFIG_INVALID: each error points at its own line of the file, not at the configuration', async () => {
    const file = new URL('./prometheus.scrape-config/fail-unknown-field-and-bad-regex.yaml', import.meta.url).pathname;
    const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', 'prometheus.scrape-config']));
    expect(summary.findings.map((f) => ({ line: f.subject.line, evidenceLine: f.evidence.line }))).toEqual([
      { line: 10, evidenceLine: 10 },
      { line: 14, evidenceLine: 14 },
    ]);
  });
});
