import { defineCheck } from '../../src/core/check.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, holdsApplicationUntilProxyStarts, isGatingNativeSidecar } from '../../src/model/istio.js';
import { MESH_INTENT_USES, meshScrapers } from './mesh-intent.js';

/**
 * Prometheus starts only once the sidecar has written the files when the pod holds it until the proxy
 * is ready: holdApplicationUntilProxyStarts, or a native sidecar with a startup probe (an admitted
 * pod shows it; a manifest can ask for it with sidecar.istio.io/nativeSidecar: "true"). The mesh-wide
 * default is not visible from the pod, so only the pod's own settings count.
 */
function startsAfterProxy(pp: PrometheusPod): boolean {
  if (holdsApplicationUntilProxyStarts(pp.pod)) return true;
  return pp.admitted ? isGatingNativeSidecar(pp.pod) : annotationsOf(pp.pod)[ANNOTATION.nativeSidecar] === 'true';
}

export default defineCheck({
  id: 'prometheus.startup-race',
  title: 'Prometheus starts only after the sidecar has written the certificate files',
  category: 'prometheus',
  codes: ['STARTUP_RACE'],
  needs: ['prometheusPods'],
  uses: [...MESH_INTENT_USES],
  async run(ctx) {
    for (const pp of await meshScrapers(ctx)) {
      if (!startsAfterProxy(pp)) ctx.report('STARTUP_RACE', {}, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
