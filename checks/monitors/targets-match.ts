import { defineCheck } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { Monitor } from '../../src/model/k8s.js';
import { namespacesAmongInputs } from '../../src/model/inputs.js';
import { describeSelector, monitorNamespaces } from '../../src/model/selectors.js';
import { loadMonitors } from './endpoints.js';
import { judgeMonitorTargets } from './scrape-targets.js';

/**
 * Why "matches nothing" cannot be said of a monitor offline: it looks in a namespace the manifests
 * say nothing about (or in every namespace), where its Services or Pods may well be. Live, undefined.
 */
function unknownScope(monitor: Monitor, known: Set<string> | undefined): string | undefined {
  if (!known) return undefined;
  const scope = monitorNamespaces(monitor);
  if (scope.any) return 'it looks in every namespace, and the manifests are not the whole cluster';
  const unknown = scope.names.filter((n) => !known.has(n));
  return unknown.length ? `the manifests say nothing about namespace${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, where it looks` : undefined;
}

export default defineCheck({
  id: 'monitors.targets-match',
  title: 'monitors match Services or Pods, and their ports by name',
  category: 'monitors',
  codes: ['MONITOR_NO_MATCHING_SERVICE', 'MONITOR_PORT_NOT_FOUND'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'services', 'workloads', 'manifestFiles', 'objects'],
  async run(ctx) {
    // Offline, only the namespaces among the inputs are judged (partial inputs); live, every one is known.
    const offline = (await ctx.tryGet('manifestFiles')) !== undefined;
    const known = offline ? namespacesAmongInputs((await ctx.tryGet('objects')) ?? []) : undefined;
    // Without a selector the object is invalid (MONITOR_INVALID), not unmatched.
    const monitors = (await loadMonitors(ctx)).filter((monitor) => monitor.spec?.selector);
    const notJudged: string[] = [];
    let judged = 0;
    await judgeMonitorTargets(ctx, monitors, (monitor, resolved) => {
      const subject = ctx.subjectOf(monitor);
      if (!resolved.matched.length) {
        const unknown = unknownScope(monitor, known);
        if (unknown) {
          notJudged.push(`${monitor.kind} ${monitor.metadata?.namespace ?? 'default'}/${monitor.metadata?.name ?? ''}: ${unknown}`);
          return;
        }
        const scope = monitorNamespaces(monitor);
        ctx.report('MONITOR_NO_MATCHING_SERVICE', {
          selector: describeSelector(monitor.spec?.selector),
          namespaces: scope.any ? [] : scope.names,
          target: resolved.kind,
        }, { subject });
      }
      judged++;
      for (const missing of resolved.missingPorts) {
        ctx.report('MONITOR_PORT_NOT_FOUND', { endpoint: missing.endpoint.path, port: missing.port, available: missing.available, target: resolved.kind }, { subject });
      }
    });
    if (notJudged.length) {
      if (!judged) throw new Unavailable(`whether the monitors match anything is unknown: ${notJudged.join('; ')}`);
      ctx.fact('notJudged', notJudged);
    }
  },
});
