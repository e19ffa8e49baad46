/**
 * prometheus.startup-race beyond the fixture grid: its evidence. A template the injector has not
 * seen may still get a native sidecar (Istio ≥ 1.27 on Kubernetes ≥ 1.33) unless it says
 * nativeSidecar "false"; an admitted pod or a hand-written istio-proxy shows its kind. The mesh
 * default, where the inputs show it, is named with its value.
 */
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';

const CHECK = 'prometheus.startup-race';
const fixture = (name: string) => new URL(`./${CHECK}/${name}`, import.meta.url).pathname;
async function evidence(name: string) {
  const summary = await runDoctor(parseDoctorArgs(['-f', fixture(name), '--only', CHECK]));
  const findings = summary.findings.filter((f) => f.check === CHECK);
  expect(findings.map((f) => f.code)).toEqual(['STARTUP_RACE']);
  return findings[0]!.evidence;
}

describe('STARTUP_RACE evidence', () => {
  it('a template the injector has not seen may yet get a native sidecar', async () => {
    expect(await evidence('fail-seed-recipe.yaml')).toEqual({ nativeSidecarPossible: true });
    expect(await evidence('fail-hold-false.yaml')).toEqual({ nativeSidecarPossible: true });
  });

  it('not when the template opts out, nor for an admitted pod or a hand-written istio-proxy', async () => {
    expect(await evidence('fail-native-sidecar-opted-out.yaml')).toEqual({});
    expect(await evidence('fail-classic-sidecar-admitted.yaml')).toEqual({});
    expect(await evidence('fail-istio-1-5-hand-written-sidecar.yaml')).toEqual({});
  });

  it('names the mesh default the pod overrides, with its value', async () => {
    expect(await evidence('fail-pod-overrides-mesh-default.yaml')).toEqual({
      meshDefault: expect.stringMatching(/ConfigMap istio-system\/istio/), meshDefaultHold: true, nativeSidecarPossible: true,
    });
  });
});
