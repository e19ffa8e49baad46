import { defineCheck, type CheckContext } from '../../src/core/check.js';
import type { Monitor, PrometheusResource } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { isPrometheusResource } from '../../src/model/prometheus.js';
import { prometheusSelects } from '../../src/model/selectors.js';
import { jobOfMonitor, type PrometheusView, type ScrapeJob } from '../../src/probes/prometheus-api.js';
import { jobSubject, readableViews, scraperName, viewLabel } from './subjects.js';

/**
 * Jobs that yield no target in Prometheus: a job of the loaded configuration with no active target,
 * and a selected monitor endpoint whose job the configuration lacks. The reason says which of the
 * look-alikes it is: a pool that failed to build (TLS files missing at start: no pool, nothing
 * dropped), discovery that found nothing, or relabelling that dropped everything.
 */
export default defineCheck({
  id: 'prometheus-api.scrape-pools',
  title: 'every job of Prometheus and every selected monitor has targets',
  category: 'prometheus-api',
  codes: ['SCRAPE_POOL_MISSING'],
  needs: ['prometheusViews'],
  uses: ['serviceMonitors', 'podMonitors', 'prometheusResources', 'namespaces'],
  async run(ctx) {
    const views = await ctx.get('prometheusViews');
    const monitors = [...((await ctx.tryGet('serviceMonitors')) ?? []), ...((await ctx.tryGet('podMonitors')) ?? [])];
    for (const view of readableViews(views, 'jobs', 'activeTargets')) {
      for (const job of view.jobs) {
        if (view.activeTargets.some((t) => t.scrapePool === job.name)) continue;
        const { reason, evidence } = whyNoTargets(view, job);
        ctx.report('SCRAPE_POOL_MISSING', { scraper: scraperName(view), job: job.name, reason }, { subject: jobSubject(ctx, job.name, monitors), evidence: { prometheus: viewLabel(view), ...evidence } });
      }
      for (const { monitor, job } of await jobsExpectedOf(ctx, view, monitors)) {
        if (view.jobs.some((j) => j.name === job)) continue;
        ctx.report('SCRAPE_POOL_MISSING', {
          scraper: scraperName(view),
          job,
          reason: "the loaded configuration has no such job: the operator did not generate it (it rejected the monitor, e.g. arbitraryFSAccessThroughSMs, or has not reconciled it yet), or Prometheus has not reloaded",
        }, { subject: ctx.subjectOf(monitor), evidence: { prometheus: viewLabel(view), configuredJobs: view.jobs.length } });
      }
    }
  },
});

function whyNoTargets(view: PrometheusView, job: ScrapeJob): { reason: string; evidence: Record<string, unknown> } {
  const dropped = (view.droppedTargets ?? []).filter((t) => (t.scrapePool ?? t.discoveredLabels.job) === job.name).length;
  const poolExists = view.scrapePools?.includes(job.name);
  const tlsFiles = Object.values(job.tlsFiles);
  const evidence: Record<string, unknown> = { activeTargets: 0, droppedTargets: dropped };
  if (poolExists !== undefined) evidence.scrapePoolExists = poolExists;
  if (view.scrapePoolsFailed !== undefined) evidence.scrapePoolsFailedTotal = view.scrapePoolsFailed;
  if (tlsFiles.length) evidence.tlsFiles = tlsFiles;

  if (dropped > 0) {
    return { evidence, reason: `the pool exists, but relabelling dropped all ${dropped} discovered target(s): the monitor's selector, port name or relabelings match nothing scrapable` };
  }
  if (poolExists) {
    return { evidence, reason: 'the pool exists, but service discovery found no target (no matching Service, Pod or endpoint)' };
  }
  const failedPools = view.scrapePoolsFailed ?? 0;
  const files = tlsFiles.length ? ` (it reads ${tlsFiles.join(', ')})` : '';
  if (failedPools > 0) {
    return { evidence, reason: `no scrape pool and nothing discovered, and Prometheus counts ${failedPools} failed pool creation(s) (prometheus_target_scrape_pools_failed_total): the pool failed to build, typically because a TLS file was missing when it was built${files}` };
  }
  if (view.scrapePoolsFailed === 0) {
    return { evidence, reason: 'no scrape pool, nothing discovered and no failed pool creation: service discovery has found nothing for this job yet' };
  }
  return { evidence, reason: `no scrape pool and nothing discovered: either the pool failed to build (a TLS file missing when it was built${files}; Prometheus logs "error creating new scrape pool") or service discovery found nothing` };
}

/**
 * The operator's job of every endpoint of each monitor this Prometheus selects: by its own resource
 * when the view belongs to one; for --prometheus-url, by any Prometheus resource among the inputs.
 * Without any Prometheus resource, which monitors are selected is unknown, and nothing is expected.
 */
async function jobsExpectedOf(ctx: CheckContext, view: PrometheusView, monitors: readonly Monitor[]): Promise<{ monitor: Monitor; job: string }[]> {
  if (!monitors.length) return [];
  const resources: PrometheusResource[] = !view.prometheus
    ? (await ctx.tryGet('prometheusResources')) ?? []
    : isPrometheusResource(view.prometheus) ? [view.prometheus] : []; // a Prometheus without the operator reads no monitors
  if (!resources.length) return [];
  const namespaces = await ctx.tryGet('namespaces');
  return monitors
    .filter((m) => resources.some((p) => prometheusSelects(p, m, namespaces).selected === true))
    .flatMap((monitor) => {
      const endpoints = (monitor.kind === 'PodMonitor' ? monitor.spec?.podMetricsEndpoints : monitor.spec?.endpoints) ?? [];
      const kind = monitor.kind === 'PodMonitor' ? 'PodMonitor' : 'ServiceMonitor';
      return endpoints.map((_, endpoint) => ({ monitor, job: jobOfMonitor({ kind, namespace: namespaceOf(monitor), name: nameOf(monitor), endpoint }) }));
    });
}
