import { defineCheck } from '../../src/core/check.js';

/** Raw Prometheus configuration that Prometheus would refuse to load (as `promtool check config`). */
export default defineCheck({
  id: 'prometheus.scrape-config',
  title: 'raw Prometheus configuration (scrape_configs) loads',
  category: 'prometheus',
  codes: ['SCRAPE_CONFIG_INVALID'],
  needs: ['scrapeConfigs'],
  async run(ctx) {
    for (const config of await ctx.get('scrapeConfigs')) {
      for (const error of config.errors) {
        const subject = { ...config.subject, ...(config.subject.file ? { line: error.line } : {}) };
        ctx.report('SCRAPE_CONFIG_INVALID', { source: config.source, line: error.line, reason: error.reason }, { subject });
      }
    }
  },
});
