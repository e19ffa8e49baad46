import { defineCheck } from '../../src/core/check.js';
import { trafficCapture } from '../../src/model/istio.js';
import { MESH_INTENT_USES, meshScrapers } from './mesh-intent.js';

export default defineCheck({
  id: 'prometheus.traffic-capture',
  title: "Prometheus's own sidecar captures neither its scrapes nor its inbound traffic",
  category: 'prometheus',
  codes: ['OUTBOUND_CAPTURED', 'INBOUND_CAPTURED'],
  needs: ['prometheusPods'],
  uses: [...MESH_INTENT_USES],
  async run(ctx) {
    for (const pp of await meshScrapers(ctx)) {
      const subject = ctx.subjectOf(pp.subject);
      // Prometheus makes the mTLS handshake itself: through its own Envoy, a scrape fails (failure mode 17).
      const outbound = trafficCapture(pp.pod, 'outbound');
      if (outbound !== '') ctx.report('OUTBOUND_CAPTURED', { value: outbound }, { subject });
      // Meshed clients (Grafana, Kiali) then send mTLS that nothing terminates (failure mode 22).
      const inbound = trafficCapture(pp.pod, 'inbound');
      if (inbound !== '') ctx.report('INBOUND_CAPTURED', { value: inbound }, { subject });
    }
  },
});
