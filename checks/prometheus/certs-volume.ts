import { defineCheck } from '../../src/core/check.js';
import type { Volume } from '../../src/model/k8s.js';
import { certsVolumeOf, prometheusCertsMount } from '../../src/model/istio.js';

/** Sources the kubelet backs with tmpfs: a Secret (and a projected volume, which may hold Secrets and tokens). */
const IN_MEMORY_SOURCES = ['secret', 'projected'];

/** What backs a volume that is not in memory: `emptyDir` (on disk) or its source (`hostPath`, …). */
function diskSourceOf(volume: Volume): string | undefined {
  if (volume.emptyDir !== undefined) return volume.emptyDir?.medium === 'Memory' ? undefined : 'emptyDir';
  const source = Object.keys(volume).find((k) => k !== 'name') ?? 'none';
  return IN_MEMORY_SOURCES.includes(source) ? undefined : source;
}

export default defineCheck({
  id: 'prometheus.certs-volume',
  title: 'the certificates volume exists and lives in memory',
  category: 'prometheus',
  codes: ['CERTS_VOLUME_MISSING', 'CERTS_VOLUME_NOT_MEMORY'],
  needs: ['prometheusPods'],
  async run(ctx) {
    for (const pp of await ctx.get('prometheusPods')) {
      const certs = certsVolumeOf(pp.pod);
      if (!certs) continue; // no userVolumeMount: USER_VOLUME_MOUNT_MISSING/INVALID says so
      const subject = ctx.subjectOf(pp.subject);
      // A volume of sidecar.istio.io/userVolume exists for the sidecar only: the API server validates the
      // template before injection, so a Prometheus container that mounts it is refused (istio/istio#29919).
      const refused = certs.onlyInUserVolume && prometheusCertsMount(pp.pod, pp.prometheusContainer) !== undefined;
      if (!certs.volume || refused) {
        ctx.report('CERTS_VOLUME_MISSING', { volume: certs.name, ...(refused && { onlyInUserVolume: true }) }, { subject, ...(refused ? { evidence: { declaredOnlyIn: 'sidecar.istio.io/userVolume' } } : {}) });
        continue;
      }
      const actual = diskSourceOf(certs.volume);
      if (actual) ctx.report('CERTS_VOLUME_NOT_MEMORY', { volume: certs.name, actual }, { subject });
    }
  },
});
