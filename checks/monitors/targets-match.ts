import { defineCheck } from '../../src/core/check.js';
import { describeSelector, monitorNamespaces } from '../../src/model/selectors.js';
import { loadMonitors } from './endpoints.js';
import { resolveTargets } from './scrape-targets.js';

export default defineCheck({
  id: 'monitors.targets-match',
  title: 'monitors match Services or Pods, and their ports by name',
  category: 'monitors',
  codes: ['MONITOR_NO_MATCHING_SERVICE', 'MONITOR_PORT_NOT_FOUND'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'services', 'workloads'],
  async run(ctx) {
    const monitors = await loadMonitors(ctx);
    const services = await ctx.tryGet('services');
    const workloads = await ctx.tryGet('workloads');
    let missing: 'services' | 'workloads' | undefined;
    let judged = 0;
    for (const monitor of monitors) {
      // Without a selector the object is invalid (MONITOR_INVALID), not unmatched.
      if (!monitor.spec?.selector) continue;
      const resolved = resolveTargets(monitor, services, workloads);
      if ('unknown' in resolved) {
        missing = resolved.unknown;
        continue;
      }
      judged++;
      const subject = ctx.subjectOf(monitor);
      if (!resolved.matched.length) {
        const scope = monitorNamespaces(monitor);
        ctx.report('MONITOR_NO_MATCHING_SERVICE', {
          selector: describeSelector(monitor.spec.selector),
          namespaces: scope.any ? [] : scope.names,
          target: resolved.kind,
        }, { subject });
      }
      for (const missing of resolved.missingPorts) {
        ctx.report('MONITOR_PORT_NOT_FOUND', { endpoint: missing.endpoint.path, port: missing.port, available: missing.available, target: resolved.kind }, { subject });
      }
    }
    // Nothing could be judged: skip with the source's own reason ("no Service in the manifests").
    if (!judged && missing) await ctx.get(missing);
  },
});
