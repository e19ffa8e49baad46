import { defineCheck } from '../../src/core/check.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { MONITOR_API_VERSION, validateMonitor } from '../../src/model/monitor-schema.js';
import { validateVMMonitor } from '../../src/model/vm-monitor-schema.js';
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
  title: "ServiceMonitors and PodMonitors pass the operator's CRD schema",
  category: 'monitors',
  codes: ['MONITOR_INVALID'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'objects'],
  async run(ctx) {
    const misspelt = ((await ctx.tryGet('objects')) ?? []).flatMap((object) => {
      const kind = intendedMonitorKind(object);
      return kind ? [{ object, kind }] : [];
    });
    const monitors = (await loadMonitors(ctx)).map((object) => ({ object, kind: object.kind as MonitorKind }));
    for (const { object, kind } of [...monitors, ...misspelt]) {
      const k = kind as string;
      const errors = k === 'VMServiceScrape' || k === 'VMPodScrape' ? validateVMMonitor(k, ctx.asWritten(object)) : validateMonitor(kind, ctx.asWritten(object));
      if (errors.length) ctx.report('MONITOR_INVALID', { errors }, { subject: ctx.subjectOf(object) });
    }
  },
});
