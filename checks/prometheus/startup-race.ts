import { defineCheck } from '../../src/core/check.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, isHeldByPostStart, isNativeSidecar, podHoldApplicationUntilProxyStarts } from '../../src/model/istio.js';
import { meshHoldDefault, type MeshDefault } from '../../src/model/mesh-config.js';
import { hasSidecar } from '../../src/model/prometheus.js';
import { getsSidecar } from './injection.js';
import { MESH_INTENT_USES, meshScrapers } from './mesh-intent.js';

/**
 * Judged on the pod as injected: Prometheus starts only once the sidecar is ready when istio-proxy is
 * a native sidecar (an init container with restartPolicy Always), or a classic one that holds the app
 * (holdApplicationUntilProxyStarts on the pod, or the mesh default where the inputs show it; the
 * injected pod shows it as a postStart `pilot-agent wait`). A manifest can also ask for a native
 * sidecar with sidecar.istio.io/nativeSidecar: "true".
 */
function startsAfterProxy(pp: PrometheusPod, meshDefault: MeshDefault<boolean> | undefined): boolean {
  const pod = pp.pod;
  if (isNativeSidecar(pod) || isHeldByPostStart(pod)) return true;
  const own = podHoldApplicationUntilProxyStarts(pod);
  if (own !== undefined) return own;
  if (meshDefault?.value) return true;
  return !hasSidecar(pod.spec) && annotationsOf(pod)[ANNOTATION.nativeSidecar] === 'true';
}

/**
 * Offline, a template the injector has not seen: whether istio-proxy becomes a native sidecar is
 * unknown (Istio ≥ 1.27 injects native sidecars by default on Kubernetes ≥ 1.33, istio/istio#56428),
 * unless the pod says nativeSidecar "false". A pod with istio-proxy already written shows its kind.
 */
function sidecarKindUnknown(pp: PrometheusPod): boolean {
  return !pp.admitted && !hasSidecar(pp.pod.spec) && annotationsOf(pp.pod)[ANNOTATION.nativeSidecar] !== 'false';
}

export default defineCheck({
  id: 'prometheus.startup-race',
  title: 'Prometheus starts only after the sidecar has written the certificate files',
  category: 'prometheus',
  codes: ['STARTUP_RACE'],
  needs: ['prometheusPods'],
  uses: ['objects', ...MESH_INTENT_USES],
  async run(ctx) {
    const namespaces = await ctx.tryGet('namespaces');
    // As written: the sanitiser reads a ConfigMap's `values` key as a list of strings.
    const meshDefault = meshHoldDefault(((await ctx.tryGet('objects')) ?? []).map((o: KubeObject) => ctx.asWritten(o)));
    for (const pp of await meshScrapers(ctx)) {
      if (!getsSidecar(pp, namespaces)) continue; // never on a pod without a sidecar
      if (startsAfterProxy(pp, meshDefault)) continue;
      ctx.report('STARTUP_RACE', {}, {
        subject: ctx.subjectOf(pp.subject),
        evidence: {
          ...(meshDefault ? { meshDefault: meshDefault.source, meshDefaultHold: meshDefault.value } : {}),
          ...(sidecarKindUnknown(pp) ? { nativeSidecarPossible: true } : {}),
        },
      });
    }
  },
});
