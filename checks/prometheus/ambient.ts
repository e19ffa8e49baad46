import { defineCheck } from '../../src/core/check.js';
import { labelsOf } from '../../src/model/k8s.js';
import { LABEL } from '../../src/model/istio.js';
import { knownNamespaceLabels, runsWithSidecar } from './injection.js';

export default defineCheck({
  id: 'prometheus.ambient',
  title: 'Prometheus is not in ambient mode, where no sidecar writes certificates',
  category: 'prometheus',
  codes: ['AMBIENT_NAMESPACE'],
  needs: ['prometheusPods'],
  uses: ['namespaces'],
  async run(ctx) {
    const namespaces = await ctx.tryGet('namespaces');
    for (const pp of await ctx.get('prometheusPods')) {
      // A pod with a sidecar is left alone by ztunnel: ambient matters only without one.
      if (runsWithSidecar(pp, namespaces)) continue;
      // A pod's own label overrides its namespace's (istio.io/dataplane-mode=none opts a pod out).
      const podMode = labelsOf(pp.pod)[LABEL.dataplaneMode];
      const labelledOn = podMode !== undefined ? 'Pod' : 'Namespace';
      const mode = podMode ?? knownNamespaceLabels(namespaces, pp.namespace)?.[LABEL.dataplaneMode];
      if (mode === 'ambient') ctx.report('AMBIENT_NAMESPACE', { namespace: pp.namespace, labelledOn }, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
