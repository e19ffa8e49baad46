import { defineCheck } from '../../src/core/check.js';
import type { KubeObject, Monitor, PrometheusResource } from '../../src/model/k8s.js';
import { prometheusSelects, type Selection } from '../../src/model/selectors.js';
import { label, loadMonitors, scrapeClassFor } from './endpoints.js';

/** Selection by labels and namespaces, then the operator's rejection of an undefined scrape class. */
function selection(prometheus: PrometheusResource, monitor: Monitor, namespaces: readonly KubeObject[] | undefined): Selection {
  const selected = prometheusSelects(prometheus, monitor, namespaces);
  if (selected.selected !== true) return selected;
  const { notFound } = scrapeClassFor(prometheus, monitor);
  return notFound
    ? { selected: false, reason: `${label(prometheus)} rejects it: scrapeClass "${notFound}" is not among its scrapeClasses` }
    : selected;
}

export default defineCheck({
  id: 'monitors.selected',
  title: 'every monitor and ScrapeConfig is selected by a Prometheus',
  category: 'monitors',
  codes: ['MONITOR_NOT_SELECTED'],
  needs: ['prometheusResources'],
  uses: ['serviceMonitors', 'podMonitors', 'scrapeConfigObjects', 'namespaces'],
  async run(ctx) {
    const prometheuses = await ctx.get('prometheusResources');
    const namespaces = await ctx.tryGet('namespaces');
    if (!prometheuses.length) return;
    const scrapeConfigs = (await ctx.tryGet('scrapeConfigObjects')) ?? [];
    const monitors = await loadMonitors(ctx).catch((error: unknown) => {
      if (!scrapeConfigs.length) throw error;
      return [];
    });
    for (const monitor of [...monitors, ...scrapeConfigs]) {
      const selections = prometheuses.map((p) => selection(p, monitor, namespaces));
      // Unknown namespace labels may hide a match: claim nothing then.
      if (selections.some((s) => s.selected !== false)) continue;
      ctx.report('MONITOR_NOT_SELECTED', {
        prometheuses: prometheuses.map(label),
        reasons: selections.map((s) => s.reason ?? ''),
      }, { subject: ctx.subjectOf(monitor) });
    }
  },
});
