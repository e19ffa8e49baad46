import { defineCheck } from '../../src/core/check.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, outputCertsDir, parseProxyConfig, sidecarOutputCertsDir } from '../../src/model/istio.js';
import { hasSidecar } from '../../src/model/prometheus.js';
import { MESH_INTENT_USES, sidecarRecipeScrapers } from './mesh-intent.js';

/**
 * Where OUTPUT_CERTS must be for this pod. Once a sidecar runs, only what reached it counts: its env,
 * or the PROXY_CONFIG the injector gave it (an injector template without the proxyMetadata env loop
 * drops the annotation's value). Before that, the annotation (or a hand-written istio-proxy env).
 */
function configuredOutputCerts(pp: PrometheusPod): string | undefined {
  return pp.admitted && hasSidecar(pp.pod.spec) ? sidecarOutputCertsDir(pp.pod) : outputCertsDir(pp.pod);
}

export default defineCheck({
  id: 'prometheus.output-certs',
  title: 'the sidecar is told to write its certificates (proxyMetadata.OUTPUT_CERTS)',
  category: 'prometheus',
  codes: ['OUTPUT_CERTS_MISSING'],
  needs: ['prometheusPods'],
  uses: [...MESH_INTENT_USES],
  async run(ctx) {
    for (const pp of await sidecarRecipeScrapers(ctx)) {
      const text = annotationsOf(pp.pod)[ANNOTATION.proxyConfig];
      // An unreadable annotation is PROXY_CONFIG_INVALID: whether it names OUTPUT_CERTS is unknown.
      if (text !== undefined && !parseProxyConfig(text).ok) continue;
      if (configuredOutputCerts(pp) !== undefined) continue;
      const annotated = outputCertsDir(pp.pod);
      ctx.report('OUTPUT_CERTS_MISSING', annotated ? { annotated } : {}, {
        subject: ctx.subjectOf(pp.subject),
        // The annotation names it, but the running sidecar never got it.
        ...(annotated ? { evidence: { annotationOutputCerts: annotated, sidecarOutputCerts: null } } : {}),
      });
    }
  },
});
