import { defineCheck } from '../../src/core/check.js';
import { viewSubject } from './subjects.js';

export default defineCheck({
  id: 'prometheus-api.reachable',
  title: "Prometheus's HTTP API answers (targets and loaded configuration)",
  category: 'prometheus-api',
  codes: ['PROMETHEUS_API_UNREACHABLE'],
  needs: ['prometheusViews'],
  async run(ctx) {
    for (const view of await ctx.get('prometheusViews')) {
      for (const part of view.unreadable) {
        ctx.report('PROMETHEUS_API_UNREACHABLE', { url: `${view.source}${part.path}`, reason: part.reason }, { subject: viewSubject(ctx, view) });
      }
    }
  },
});
