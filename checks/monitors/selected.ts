import { defineCheck } from '../../src/core/check.js';
import type { KubeObject, Monitor, PrometheusResource } from '../../src/model/k8s.js';
import { prometheusSelects, type Selection } from '../../src/model/selectors.js';
import { scraperSelects } from '../../src/model/scraper.js';
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
  title: 'every monitor and ScrapeConfig is selected by a Prometheus (or another scraper)',
  category: 'monitors',
  codes: ['MONITOR_NOT_SELECTED'],
  needs: [],
  uses: ['prometheusResources', 'prometheusPods', 'serviceMonitors', 'podMonitors', 'scrapeConfigObjects', 'namespaces'],
  async run(ctx) {
    const [prometheuses, pods] = await Promise.all([ctx.tryGet('prometheusResources'), ctx.tryGet('prometheusPods')]);
    // VMAgent, Alloy, a target allocator: their own selection rules, once per scraper
    const scrapers = [...new Map((pods ?? []).flatMap((p) => (p.selection ? [[p.selection.who, p.selection] as const] : []))).values()];
    if (!prometheuses?.length && !scrapers.length) {
      if (!prometheuses) await ctx.get('prometheusResources'); // unknown: skipped with the source's reason
      return;
    }
    const namespaces = await ctx.tryGet('namespaces');
    const scrapeConfigs = (await ctx.tryGet('scrapeConfigObjects')) ?? [];
    const monitors = await loadMonitors(ctx).catch((error: unknown) => {
      if (!scrapeConfigs.length) throw error;
      return [];
    });
    for (const monitor of [...monitors, ...scrapeConfigs]) {
      const selections = [
        ...(prometheuses ?? []).map((p) => selection(p, monitor, namespaces)),
        // only the operator's Prometheus resources select ScrapeConfigs
        ...(monitor.kind === 'ScrapeConfig' ? [] : scrapers.map((s) => scraperSelects(s, monitor as Monitor, namespaces))),
      ];
      // Unknown namespace labels may hide a match: claim nothing then.
      if (selections.some((s) => s.selected !== false)) continue;
      ctx.report('MONITOR_NOT_SELECTED', {
        prometheuses: [...(prometheuses ?? []).map(label), ...scrapers.map((s) => s.who)],
        reasons: selections.map((s) => s.reason ?? ''),
      }, { subject: ctx.subjectOf(monitor) });
    }
  },
});
