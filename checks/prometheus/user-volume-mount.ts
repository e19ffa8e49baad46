import { defineCheck } from '../../src/core/check.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, certsVolumeOf, normaliseDir, outputCertsDir, parseUserVolumeMount } from '../../src/model/istio.js';
import { sidecarOf } from '../../src/model/prometheus.js';
import { MESH_INTENT_USES, sidecarRecipeScrapers } from './mesh-intent.js';

/**
 * An istio-proxy that is already there (written by hand, as Istio 1.5's bundled Prometheus did, or
 * injected) and mounts a volume at OUTPUT_CERTS itself needs no annotation.
 */
function sidecarMountsOutputCerts(pp: PrometheusPod): boolean {
  const out = outputCertsDir(pp.pod);
  const mounts = sidecarOf(pp.pod.spec)?.volumeMounts ?? [];
  return out !== undefined && mounts.some((m) => m.mountPath !== undefined && normaliseDir(m.mountPath) === normaliseDir(out));
}

export default defineCheck({
  id: 'prometheus.user-volume-mount',
  title: 'sidecar.istio.io/userVolumeMount gives the sidecar the shared volume, writable',
  category: 'prometheus',
  codes: ['USER_VOLUME_MOUNT_MISSING', 'USER_VOLUME_MOUNT_INVALID', 'USER_VOLUME_MOUNT_READONLY'],
  needs: ['prometheusPods'],
  uses: [...MESH_INTENT_USES],
  async run(ctx) {
    for (const pp of await sidecarRecipeScrapers(ctx)) {
      const subject = ctx.subjectOf(pp.subject);
      const text = annotationsOf(pp.pod)[ANNOTATION.userVolumeMount];
      if (text === undefined) {
        if (!sidecarMountsOutputCerts(pp)) ctx.report('USER_VOLUME_MOUNT_MISSING', {}, { subject });
      } else {
        const parsed = parseUserVolumeMount(text);
        if (!parsed.ok) {
          ctx.report('USER_VOLUME_MOUNT_INVALID', { reason: parsed.reason }, { subject });
          continue;
        }
      }
      // The sidecar writes into its mount of the volume: a read-only mount leaves the folder empty.
      const certs = certsVolumeOf(pp.pod);
      if (certs?.readOnly)
        ctx.report('USER_VOLUME_MOUNT_READONLY', { volume: certs.name, mountPath: certs.sidecarMountPath, declaredIn: text === undefined ? 'istio-proxy' : 'annotation' }, { subject });
    }
  },
});
