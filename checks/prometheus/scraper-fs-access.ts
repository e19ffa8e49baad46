import { defineCheck } from '../../src/core/check.js';
import type { Monitor, SafeTLSConfig } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { selectingRule } from '../../src/model/scraper.js';

const readsFiles = (tls: SafeTLSConfig | undefined) => Boolean(tls?.caFile || tls?.certFile || tls?.keyFile);
const endpointsOf = (m: Monitor) => (m.kind === 'PodMonitor' || m.kind === 'VMPodScrape' ? m.spec?.podMetricsEndpoints : m.spec?.endpoints) ?? [];

/**
 * The file-access rules of scrapers other than Prometheus (prometheus.fs-access judges the
 * operator's): VMAgent's spec.arbitraryFSAccessThroughSMs.deny (the VM operator drops endpoints
 * whose tlsConfig names files), and Alloy ≥ 1.19's prometheus.operator.* components, which reject
 * such endpoints unless allow_arbitrary_file_access = true (grafana/alloy#6885), and the
 * OpenTelemetry target allocator's prometheusCR.denyFSAccessThroughSMs (operator ≥ v0.153), which
 * drops the jobs whose TLS settings name files.
 */
export default defineCheck({
  id: 'prometheus.scraper-fs-access',
  title: "VMAgent, Alloy and the OpenTelemetry target allocator let monitors read the TLS files (their own file-access rules)",
  category: 'prometheus',
  codes: ['FS_ACCESS_DENIED'],
  needs: ['prometheusPods'],
  uses: ['serviceMonitors', 'podMonitors', 'namespaces'],
  async run(ctx) {
    const [serviceMonitors, podMonitors, namespaces] = await Promise.all([ctx.tryGet('serviceMonitors'), ctx.tryGet('podMonitors'), ctx.tryGet('namespaces')]);
    const monitors = [...(serviceMonitors ?? []), ...(podMonitors ?? [])];
    const judged = new Set<string>();
    for (const pod of await ctx.get('prometheusPods')) {
      const selection = pod.selection;
      if (!selection || judged.has(selection.who)) continue;
      judged.add(selection.who);
      // one finding per rule that denies: each names the monitors it drops
      const dropped = new Map<string, { rule: NonNullable<ReturnType<typeof selectingRule>>; monitors: string[] }>();
      for (const monitor of monitors) {
        const rule = selectingRule(selection, monitor, namespaces);
        if (!rule?.filesDenied || !endpointsOf(monitor).some((e) => readsFiles(e.tlsConfig))) continue;
        const entry = dropped.get(rule.field) ?? { rule, monitors: [] };
        entry.monitors.push(`${monitor.kind} ${namespaceOf(monitor)}/${nameOf(monitor)}`);
        dropped.set(rule.field, entry);
      }
      for (const { rule, monitors: names } of dropped.values()) {
        ctx.report('FS_ACCESS_DENIED', {
          prometheus: `${pod.namespace}/${nameOf(pod.subject)}`, monitors: names, scraper: rule.filesDenied!.scraper, where: rule.filesDenied!.where,
        }, { subject: ctx.subjectOf(pod.subject) });
      }
    }
  },
});
