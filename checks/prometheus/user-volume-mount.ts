import { defineCheck } from '../../src/core/check.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, normaliseDir, outputCertsDir, parseUserVolumeMount } from '../../src/model/istio.js';
import { sidecarOf } from '../../src/model/prometheus.js';
import { MESH_INTENT_USES, meshScrapers } from './mesh-intent.js';

/** A running sidecar that already mounts a volume at OUTPUT_CERTS needs no annotation (a customised injector). */
function sidecarMountsOutputCerts(pp: PrometheusPod): boolean {
  const out = outputCertsDir(pp.pod);
  const mounts = pp.admitted ? sidecarOf(pp.pod.spec)?.volumeMounts ?? [] : [];
  return out !== undefined && mounts.some((m) => m.mountPath !== undefined && normaliseDir(m.mountPath) === normaliseDir(out));
}

export default defineCheck({
  id: 'prometheus.user-volume-mount',
  title: 'sidecar.istio.io/userVolumeMount gives the sidecar the shared volume',
  category: 'prometheus',
  codes: ['USER_VOLUME_MOUNT_MISSING', 'USER_VOLUME_MOUNT_INVALID'],
  needs: ['prometheusPods'],
  uses: [...MESH_INTENT_USES],
  async run(ctx) {
    for (const pp of await meshScrapers(ctx)) {
      const subject = ctx.subjectOf(pp.subject);
      const text = annotationsOf(pp.pod)[ANNOTATION.userVolumeMount];
      if (text === undefined) {
        if (!sidecarMountsOutputCerts(pp)) ctx.report('USER_VOLUME_MOUNT_MISSING', {}, { subject });
        continue;
      }
      const parsed = parseUserVolumeMount(text);
      if (!parsed.ok) ctx.report('USER_VOLUME_MOUNT_INVALID', { reason: parsed.reason }, { subject });
    }
  },
});
