import { defineCheck } from '../../src/core/check.js';
import { describeSelector, monitorNamespaces } from '../../src/model/selectors.js';
import { loadMonitors } from './endpoints.js';
import { judgeMonitorTargets } from './scrape-targets.js';

export default defineCheck({
  id: 'monitors.targets-match',
  title: 'monitors match Services or Pods, and their ports by name',
  category: 'monitors',
  codes: ['MONITOR_NO_MATCHING_SERVICE', 'MONITOR_PORT_NOT_FOUND'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'services', 'workloads'],
  async run(ctx) {
    // Without a selector the object is invalid (MONITOR_INVALID), not unmatched.
    const monitors = (await loadMonitors(ctx)).filter((monitor) => monitor.spec?.selector);
    await judgeMonitorTargets(ctx, monitors, (monitor, resolved) => {
      const subject = ctx.subjectOf(monitor);
      if (!resolved.matched.length) {
        const scope = monitorNamespaces(monitor);
        ctx.report('MONITOR_NO_MATCHING_SERVICE', {
          selector: describeSelector(monitor.spec?.selector),
          namespaces: scope.any ? [] : scope.names,
          target: resolved.kind,
        }, { subject });
      }
      for (const missing of resolved.missingPorts) {
        ctx.report('MONITOR_PORT_NOT_FOUND', { endpoint: missing.endpoint.path, port: missing.port, available: missing.available, target: resolved.kind }, { subject });
      }
    });
  },
});
