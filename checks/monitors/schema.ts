import { defineCheck } from '../../src/core/check.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { validateMonitor, type SchemaKind } from '../../src/model/monitor-schema.js';
import { validateCollector } from '../../src/model/otel-collector-schema.js';
import { validateVM } from '../../src/model/vm-monitor-schema.js';
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
  return intended && (inOperatorGroup || object.apiVersion === undefined) ? intended : undefined;
}

export default defineCheck({
  id: 'monitors.schema',
  title: "Monitors, ScrapeConfigs, VMAgents and OpenTelemetryCollectors pass their operators' CRD schemas",
  category: 'monitors',
  codes: ['MONITOR_INVALID'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'scrapeConfigObjects', 'objects'],
  async run(ctx) {
    const objects = (await ctx.tryGet('objects')) ?? [];
    const misspelt = objects.flatMap((object) => {
      const kind = intendedMonitorKind(object);
      return kind ? [{ object, kind }] : [];
    });
    const monitors: { object: KubeObject; kind: SchemaKind }[] = (await loadMonitors(ctx).catch(async (error: unknown) => {
      if (!(await ctx.tryGet('scrapeConfigObjects'))?.length) throw error;
      return [];
    })).map((object) => ({ object, kind: object.kind as MonitorKind }));
    for (const object of (await ctx.tryGet('scrapeConfigObjects')) ?? []) monitors.push({ object, kind: 'ScrapeConfig' });
    // the scrapers whose resources decide which monitors are read and which pod reads them
    const scrapers = objects.filter((o) => o.kind === 'VMAgent' || o.kind === 'OpenTelemetryCollector');
    for (const { object, kind } of [...monitors, ...misspelt, ...scrapers.map((object) => ({ object, kind: object.kind as string }))]) {
      const written = ctx.asWritten(object);
      const subject = ctx.subjectOf(object);
      const otherOperator = kind === 'VMServiceScrape' || kind === 'VMPodScrape' || kind === 'VMAgent' || kind === 'OpenTelemetryCollector';
      let errors = kind === 'VMServiceScrape' || kind === 'VMPodScrape' || kind === 'VMAgent' ? validateVM(kind, written)
        : kind === 'OpenTelemetryCollector' ? validateCollector(written)
        : validateMonitor(kind as SchemaKind, written);
      // A live object has passed the installed CRD, which prunes unknown fields: a field asm-prom's
      // subset of these fast-moving CRDs does not know is a newer operator's, not a typo.
      if (otherOperator && subject.file === undefined) errors = errors.filter((e) => !e.includes(': unknown field'));
      if (errors.length) ctx.report('MONITOR_INVALID', { errors }, { subject });
    }
  },
});
