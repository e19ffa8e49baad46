import { defineCheck } from '../../src/core/check.js';
import { AFTER_EVERYTHING, reportDiagnostics } from './report-diagnostics.js';

export default defineCheck({
  id: 'inputs.manifests',
  title: 'every -f document parses',
  category: 'inputs',
  codes: ['MANIFEST_PARSE_ERROR', 'PROMETHEUS_NOT_FOUND'],
  needs: ['manifestFiles'],
  after: AFTER_EVERYTHING,
  async run(ctx) {
    // Only where this input exists (cluster mode / -f): elsewhere the check is skipped, not passed.
    await ctx.get('manifestFiles');
    reportDiagnostics(ctx, ['MANIFEST_PARSE_ERROR', 'PROMETHEUS_NOT_FOUND']);
  },
});
