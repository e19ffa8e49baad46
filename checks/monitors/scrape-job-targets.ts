import { defineCheck } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { rawJobTarget, resolveRawJobs } from './raw-jobs.js';

/**
 * A raw job whose discovery and relabelling keep no target. Judged only where the inventory holds
 * every namespace the job discovers in: offline, the namespaces among the inputs (a job over all
 * namespaces is judged live only); live, Prometheus's own targets are judged by
 * prometheus-api.scrape-pools (SCRAPE_POOL_MISSING), as the cluster source lists only monitored pods.
 */
export default defineCheck({
  id: 'monitors.scrape-job-targets',
  title: 'raw scrape jobs keep at least one target',
  category: 'monitors',
  codes: ['SCRAPE_JOB_NO_TARGETS'],
  needs: ['scrapeConfigs', 'objects'],
  uses: ['services', 'workloads', 'namespaces', 'rawJobTargets'],
  async run(ctx) {
    const objects = await ctx.get('objects');
    // the namespaces of the inputs' objects (a prometheus.yml document has no kind and no namespace)
    const known = new Set(objects.filter((o) => o.kind).map((o) => (o.kind === 'Namespace' ? nameOf(o) : namespaceOf(o))));
    let judged = false;
    const reasons = new Set<string>();
    for (const job of await resolveRawJobs(ctx)) {
      if (job.opaque || !job.entry.job.kubernetesSd.length) continue;
      if (job.namespaces === 'all') {
        reasons.add('a job that discovers in every namespace is judged live only');
        continue;
      }
      const unknown = job.namespaces.filter((ns) => !known.has(ns));
      if (unknown.length) {
        reasons.add(`namespace ${unknown.join(', ')} is not among the inputs`);
        continue;
      }
      judged = true;
      if (job.targets.length) continue;
      ctx.report('SCRAPE_JOB_NO_TARGETS', { job: job.entry.job.name, namespaces: job.namespaces, discovered: job.discovered }, rawJobTarget(job));
    }
    if (!judged && reasons.size) throw new Unavailable([...reasons].join('; '));
  },
});
