import { defineCheck } from '../../src/core/check.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import type { Monitor, Service } from '../../src/model/k8s.js';
import { annotationsOf } from '../../src/model/k8s.js';
import type { TargetWorkload } from '../../src/model/inventory.js';
import { trafficCapture } from '../../src/model/istio.js';
import { prometheusSelects } from '../../src/model/selectors.js';
import { resolveTargets } from '../monitors/scrape-targets.js';
import { getsTrafficCapture } from './injection.js';
import { MESH_INTENT_USES, meshScrapers } from './mesh-intent.js';

const INCLUDE_OUTBOUND_PORTS = 'traffic.sidecar.istio.io/includeOutboundPorts';
const EXCLUDE_OUTBOUND_PORTS = 'traffic.sidecar.istio.io/excludeOutboundPorts';

const portList = (text: string | undefined) => (text ?? '').split(',').map((p) => p.trim()).filter((p) => /^\d+$/.test(p)).map(Number);

/** The target ports of the monitors this Prometheus scrapes (all monitors for a Prometheus without the operator). */
function scrapedPorts(pp: PrometheusPod, monitors: readonly Monitor[], services: Service[] | undefined, workloads: TargetWorkload[] | undefined): Set<number> {
  const ports = new Set<number>();
  for (const monitor of monitors) {
    if (pp.resource && prometheusSelects(pp.resource, monitor).selected === false) continue;
    const resolved = resolveTargets(monitor, services, workloads);
    if ('unknown' in resolved) continue;
    for (const target of resolved.targets) if (target.port !== undefined) ports.add(target.port);
  }
  return ports;
}

export default defineCheck({
  id: 'prometheus.traffic-capture',
  title: "Prometheus's own sidecar captures neither its scrapes nor its inbound traffic",
  category: 'prometheus',
  codes: ['OUTBOUND_CAPTURED', 'INBOUND_CAPTURED'],
  needs: ['prometheusPods'],
  uses: ['serviceMonitors', 'podMonitors', ...MESH_INTENT_USES],
  async run(ctx) {
    const namespaces = await ctx.tryGet('namespaces');
    for (const pp of await meshScrapers(ctx)) {
      // Judged on the pod as injected: without the injector's iptables (or CNI) nothing is captured.
      if (!getsTrafficCapture(pp, namespaces)) continue;
      const subject = ctx.subjectOf(pp.subject);
      // Prometheus makes the mTLS handshake itself: through its own Envoy, a scrape fails (failure mode 17).
      const outbound = trafficCapture(pp.pod, 'outbound');
      if (outbound !== '') ctx.report('OUTBOUND_CAPTURED', { value: outbound }, { subject });
      else {
        // includeOutboundPorts redirects those ports whatever the destination address.
        const annotations = annotationsOf(pp.pod);
        const excluded = portList(annotations[EXCLUDE_OUTBOUND_PORTS]);
        const included = portList(annotations[INCLUDE_OUTBOUND_PORTS]).filter((p) => !excluded.includes(p));
        if (included.length) {
          const monitors = [...((await ctx.tryGet('serviceMonitors')) ?? []), ...((await ctx.tryGet('podMonitors')) ?? [])];
          const scraped = scrapedPorts(pp, monitors, await ctx.tryGet('services'), await ctx.tryGet('workloads'));
          const ports = included.filter((p) => scraped.has(p));
          if (ports.length) ctx.report('OUTBOUND_CAPTURED', { value: outbound, ports }, { subject });
        }
      }
      // Meshed clients (Grafana, Kiali) then send mTLS that nothing terminates (failure mode 22).
      const inbound = trafficCapture(pp.pod, 'inbound');
      if (inbound !== '') ctx.report('INBOUND_CAPTURED', { value: inbound }, { subject });
    }
  },
});
