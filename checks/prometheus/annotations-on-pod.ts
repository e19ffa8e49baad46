import { defineCheck } from '../../src/core/check.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { annotationsOf, labelsOf } from '../../src/model/k8s.js';
import { LABEL } from '../../src/model/istio.js';

/** Annotation prefixes the injector reads from the pod, and nowhere else. */
const ISTIO_ANNOTATION_PREFIXES = ['sidecar.istio.io/', 'traffic.sidecar.istio.io/', 'proxy.istio.io/'];
const ISTIO_POD_LABELS: readonly string[] = [LABEL.inject, LABEL.revision];

/** The Istio keys set on an object's own metadata that its pods do not also carry. */
function strandedKeys(object: KubeObject, podMetadata: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined): string[] {
  const annotations = Object.keys(annotationsOf(object)).filter(
    (key) => ISTIO_ANNOTATION_PREFIXES.some((p) => key.startsWith(p)) && podMetadata?.annotations?.[key] === undefined,
  );
  const labels = Object.keys(labelsOf(object)).filter((key) => ISTIO_POD_LABELS.includes(key) && podMetadata?.labels?.[key] === undefined);
  return [...annotations, ...labels];
}

export default defineCheck({
  id: 'prometheus.annotations-on-pod',
  title: "Istio annotations and labels are on Prometheus's pods, not on the objects that make them",
  category: 'prometheus',
  codes: ['ANNOTATIONS_NOT_ON_POD'],
  needs: ['prometheusPods'],
  async run(ctx) {
    // Replicas of one resource share its layers: judge each object once.
    const judged = new Set<KubeObject>();
    for (const pp of await ctx.get('prometheusPods')) {
      // The operator copies a Prometheus resource's own annotations onto its StatefulSet: the fix is on the resource.
      const operatorManaged = pp.layers.some((l) => l.kind === 'Prometheus');
      for (const layer of pp.layers) {
        if (layer.kind === 'Pod' || (operatorManaged && layer.kind === 'StatefulSet') || judged.has(layer.object)) continue;
        judged.add(layer.object);
        const keys = strandedKeys(layer.object, layer.podMetadata);
        if (keys.length) ctx.report('ANNOTATIONS_NOT_ON_POD', { keys, layer: layer.kind }, { subject: ctx.subjectOf(layer.object) });
      }
    }
  },
});
