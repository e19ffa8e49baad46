import { defineCheck } from '../../src/core/check.js';
import { AFTER_EVERYTHING, reportDiagnostics } from './report-diagnostics.js';

export default defineCheck({
  id: 'inputs.cluster',
  title: 'the Kubernetes API answers and lets us read what we need',
  category: 'inputs',
  codes: ['CLUSTER_UNREACHABLE', 'ACCESS_DENIED', 'PROMETHEUS_NOT_FOUND'],
  needs: [],
  after: AFTER_EVERYTHING,
  run: (ctx) => reportDiagnostics(ctx, ['CLUSTER_UNREACHABLE', 'ACCESS_DENIED', 'PROMETHEUS_NOT_FOUND']),
});
