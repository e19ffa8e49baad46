import { defineCheck } from '../../src/core/check.js';
import { missingSidecarCause } from './injection.js';
import { meshScrapers } from './mesh-intent.js';

export default defineCheck({
  id: 'prometheus.sidecar-injected',
  title: 'the Prometheus pod gets an istio-proxy sidecar',
  category: 'prometheus',
  codes: ['SIDECAR_NOT_INJECTED'],
  needs: ['prometheusPods'],
  uses: ['namespaces', 'scrapeConfigs', 'services', 'workloads', 'rawJobTargets'],
  async run(ctx) {
    const namespaces = await ctx.tryGet('namespaces');
    for (const pp of await meshScrapers(ctx)) {
      const cause = missingSidecarCause(pp, namespaces);
      if (cause) ctx.report('SIDECAR_NOT_INJECTED', { cause, namespace: pp.namespace }, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
