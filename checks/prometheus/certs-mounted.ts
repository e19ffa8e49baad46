import { defineCheck } from '../../src/core/check.js';
import { certsVolumeOf, prometheusCertsMount } from '../../src/model/istio.js';

export default defineCheck({
  id: 'prometheus.certs-mounted',
  title: 'the Prometheus container mounts the certificates volume',
  category: 'prometheus',
  codes: ['CERTS_NOT_MOUNTED'],
  needs: ['prometheusPods'],
  async run(ctx) {
    for (const pp of await ctx.get('prometheusPods')) {
      const certs = certsVolumeOf(pp.pod);
      if (certs && !prometheusCertsMount(pp.pod, pp.prometheusContainer))
        ctx.report('CERTS_NOT_MOUNTED', { volume: certs.name, container: pp.prometheusContainer }, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
