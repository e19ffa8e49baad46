import { defineCheck } from '../../src/core/check.js';
import { certsVolumeOf, normaliseDir, outputCertsDir } from '../../src/model/istio.js';

export default defineCheck({
  id: 'prometheus.certs-path',
  title: "OUTPUT_CERTS is the sidecar's mount of the certificates volume",
  category: 'prometheus',
  codes: ['CERTS_PATH_MISMATCH'],
  needs: ['prometheusPods'],
  async run(ctx) {
    for (const pp of await ctx.get('prometheusPods')) {
      const outputCerts = outputCertsDir(pp.pod);
      const certs = certsVolumeOf(pp.pod);
      // The agent writes into OUTPUT_CERTS itself, not into a folder below a mount: the paths must be equal.
      if (outputCerts && certs && normaliseDir(outputCerts) !== normaliseDir(certs.sidecarMountPath))
        ctx.report('CERTS_PATH_MISMATCH', { outputCerts, mountPath: certs.sidecarMountPath }, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
