import { defineCheck } from '../../src/core/check.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { annotationsOf, labelsOf } from '../../src/model/k8s.js';
import { LABEL } from '../../src/model/istio.js';
import type { PodLayer } from '../../src/model/inventory.js';

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

type PodMetadata = PodLayer['podMetadata'];

interface AskedKey {
  field: 'annotations' | 'labels';
  key: string;
  value: string;
}

/** The Istio keys (and values) a layer asks its pods to carry. */
function istioKeysAskedFor(meta: PodMetadata): AskedKey[] {
  const pick = (field: AskedKey['field'], keep: (key: string) => boolean): AskedKey[] =>
    Object.entries(meta?.[field] ?? {}).filter(([key]) => keep(key)).map(([key, value]) => ({ field, key, value }));
  return [...pick('annotations', (k) => ISTIO_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))), ...pick('labels', (k) => ISTIO_POD_LABELS.includes(k))];
}

/** Where a running pod lost what an outer layer asked for: the first inner layer that lacks it. */
const LOST_AT: Partial<Record<PodLayer['kind'], string>> = {
  StatefulSet: 'StatefulSet template (the operator did not carry it over)',
  Pod: 'pod (admission changed it, or the pod is older than its template: restart it)',
};

/** What a layer gives its pods; a pod's own metadata is what it carries. */
const metadataOf = (l: PodLayer): PodMetadata => l.podMetadata ?? (l.kind === 'Pod' ? l.object.metadata : undefined);

function traceLoss(layers: readonly PodLayer[]): { keys: string[]; layer: PodLayer; lostAt: string } | undefined {
  const [outer, ...inner] = layers;
  if (!outer || outer.kind === 'Pod' || inner.at(-1)?.kind !== 'Pod') return undefined;
  const lost = new Map<string, PodLayer>();
  for (const { field, key, value } of istioKeysAskedFor(outer.podMetadata)) {
    const at = inner.find((l) => metadataOf(l)?.[field]?.[key] !== value);
    if (at) lost.set(key, at);
  }
  if (!lost.size) return undefined;
  // Report the outermost loss: fixing that layer is what lets the keys through to the pod.
  const first = inner.find((l) => [...lost.values()].includes(l))!;
  return { keys: [...lost].filter(([, l]) => l === first).map(([k]) => k), layer: outer, lostAt: LOST_AT[first.kind] ?? first.kind };
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
      const operatorManaged = pp.layers.some((l) => l.kind === 'Prometheus' || l.kind === 'PrometheusAgent');
      for (const layer of pp.layers) {
        if (layer.kind === 'Pod' || (operatorManaged && layer.kind === 'StatefulSet') || judged.has(layer.object)) continue;
        judged.add(layer.object);
        const keys = strandedKeys(layer.object, layer.podMetadata);
        if (keys.length) ctx.report('ANNOTATIONS_NOT_ON_POD', { keys, layer: layer.kind }, { subject: ctx.subjectOf(layer.object) });
      }
      // Live pods: what the resource asks for in podMetadata must reach the running pod.
      const loss = traceLoss(pp.layers);
      if (loss) ctx.report('ANNOTATIONS_NOT_ON_POD', { keys: loss.keys, layer: loss.layer.kind, lostAt: loss.lostAt }, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
