import { defineCheck } from '../../src/core/check.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { MONITOR_API_VERSION, validateMonitor, type SchemaKind } from '../../src/model/monitor-schema.js';
import { isMonitorKind, type MonitorKind } from '../../src/model/selectors.js';
import { loadMonitors } from './endpoints.js';

/**
 * A kind that is meant to be a monitor but is misspelt (`Servicemonitor`, `PodMonitors`) in the
 * operator's group: no resource list holds it, so it is found among all the input objects.
 */
function intendedMonitorKind(object: KubeObject): MonitorKind | undefined {
  if (typeof object.kind !== 'string' || isMonitorKind(object.kind)) return undefined;
  const inOperatorGroup = typeof object.apiVersion === 'string' && object.apiVersion.startsWith('monitoring.coreos.com/');
  const normalised = object.kind.toLowerCase().replace(/s$/, '');
  const intended = normalised === 'servicemonitor' ? 'ServiceMonitor' : normalised === 'podmonitor' ? 'PodMonitor' : undefined;
  return intended && (inOperatorGroup || object.apiVersion === undefined || object.apiVersion === MONITOR_API_VERSION) ? intended : undefined;
}

export default defineCheck({
  id: 'monitors.schema',
  title: "ServiceMonitors, PodMonitors and ScrapeConfigs pass the operator's CRD schema",
  category: 'monitors',
  codes: ['MONITOR_INVALID'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'scrapeConfigObjects', 'objects'],
  async run(ctx) {
    const misspelt = ((await ctx.tryGet('objects')) ?? []).flatMap((object) => {
      const kind = intendedMonitorKind(object);
      return kind ? [{ object, kind }] : [];
    });
    const monitors: { object: KubeObject; kind: SchemaKind }[] = (await loadMonitors(ctx).catch(async (error: unknown) => {
      if (!(await ctx.tryGet('scrapeConfigObjects'))?.length) throw error;
      return [];
    })).map((object) => ({ object, kind: object.kind as MonitorKind }));
    for (const object of (await ctx.tryGet('scrapeConfigObjects')) ?? []) monitors.push({ object, kind: 'ScrapeConfig' });
    for (const { object, kind } of [...monitors, ...misspelt]) {
      const errors = validateMonitor(kind, ctx.asWritten(object));
      if (errors.length) ctx.report('MONITOR_INVALID', { errors }, { subject: ctx.subjectOf(object) });
    }
  },
});
