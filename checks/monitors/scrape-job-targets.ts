import { defineCheck } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { discoverKubernetes } from '../../src/model/kubernetes-sd.js';
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
    const known = new Set(objects.flatMap((o) => (o.kind === 'Namespace' ? [nameOf(o)] : o.kind ? [namespaceOf(o)] : [])));
    const [services, workloads, namespaces] = await Promise.all([ctx.tryGet('services'), ctx.tryGet('workloads'), ctx.tryGet('namespaces')]);
    let judged = 0;
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
      judged++;
      if (job.targets.length) continue;
      const inventory = { workloads: workloads ?? [], services: services ?? [], namespaces };
      const discovered = job.entry.job.kubernetesSd.reduce((n, sd) => n + discoverKubernetes(sd, job.entry.scraper?.namespace, inventory).length, 0);
      ctx.report('SCRAPE_JOB_NO_TARGETS', { job: job.entry.job.name, namespaces: job.namespaces, discovered }, rawJobTarget(job));
    }
    if (!judged && reasons.size) throw new Unavailable([...reasons].join('; '));
  },
});
