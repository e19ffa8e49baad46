import { defineCheck } from '../../src/core/check.js';
import { AFTER_EVERYTHING, reportDiagnostics } from './report-diagnostics.js';

export default defineCheck({
  id: 'inputs.cluster',
  title: 'the Kubernetes API answers and lets us read what we need',
  category: 'inputs',
  codes: ['CLUSTER_UNREACHABLE', 'ACCESS_DENIED', 'PROMETHEUS_NOT_FOUND'],
  needs: ['clusterServer'],
  after: AFTER_EVERYTHING,
  async run(ctx) {
    // Only where this input exists (cluster mode / -f): elsewhere the check is skipped, not passed.
    await ctx.get('clusterServer');
    reportDiagnostics(ctx, ['CLUSTER_UNREACHABLE', 'ACCESS_DENIED', 'PROMETHEUS_NOT_FOUND']);
  },
});
