import { defineCheck } from '../../src/core/check.js';
import type { Volume } from '../../src/model/k8s.js';
import { certsVolumeOf } from '../../src/model/istio.js';

/** What backs a volume that is not in memory: `emptyDir` (on disk) or its source (`secret`, `hostPath`, …). */
function diskSourceOf(volume: Volume): string | undefined {
  if (volume.emptyDir !== undefined) return volume.emptyDir?.medium === 'Memory' ? undefined : 'emptyDir';
  return Object.keys(volume).find((k) => k !== 'name') ?? 'none';
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
      if (!certs.volume) {
        ctx.report('CERTS_VOLUME_MISSING', { volume: certs.name }, { subject });
        continue;
      }
      const actual = diskSourceOf(certs.volume);
      if (actual) ctx.report('CERTS_VOLUME_NOT_MEMORY', { volume: certs.name, actual }, { subject });
    }
  },
});
