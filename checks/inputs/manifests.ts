import { defineCheck } from '../../src/core/check.js';
import { AFTER_EVERYTHING, reportDiagnostics } from './report-diagnostics.js';

export default defineCheck({
  id: 'inputs.manifests',
  title: 'every -f document parses',
  category: 'inputs',
  codes: ['MANIFEST_PARSE_ERROR'],
  needs: [],
  after: AFTER_EVERYTHING,
  run: (ctx) => reportDiagnostics(ctx, ['MANIFEST_PARSE_ERROR']),
});
