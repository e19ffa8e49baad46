/**
 * prometheus.annotations-on-pod on live pods (layers resource → StatefulSet → Pod, given through a
 * store as the cluster source does): only Istio's keys are traced, the outermost layer that lost
 * some is named with those keys alone, and a PrometheusAgent's StatefulSet, like a Prometheus's,
 * is not blamed for the annotations the operator copied onto it.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusChecks } from '../../checks/prometheus/index.js';
import { ResourceStore } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { PodLayer, PrometheusPod } from '../../src/model/inventory.js';
import type { KubeObject, Pod } from '../../src/model/k8s.js';

const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 4, verbose: false, only: ['prometheus.annotations-on-pod'], skip: [], deadlineMs: 10_000 };

const POD = parse(`
apiVersion: v1
kind: Pod
metadata:
  name: prom-agent-k8s-0
  namespace: monitoring
  labels: {app.kubernetes.io/name: prometheus-agent, sidecar.istio.io/inject: "true"}
  annotations:
    kubectl.kubernetes.io/default-container: prometheus
    traffic.sidecar.istio.io/includeOutboundIPRanges: ""
spec:
  containers:
  - name: prometheus
    image: quay.io/prometheus/prometheus:v3.10.0
`) as Pod;

async function findings(layers: PodLayer[]) {
  const pp: PrometheusPod = { subject: POD, namespace: 'monitoring', pod: POD, admitted: true, prometheusContainer: 'prometheus', layers: [...layers, { kind: 'Pod', object: POD }] };
  const run = await runChecks(prometheusChecks, new ResourceStore({ prometheusPods: () => [pp], namespaces: () => [] }), RUN);
  expect(run.checks.filter((c) => c.status === 'crash')).toEqual([]);
  return run.findings.map((f) => ({ subject: `${f.subject.kind}/${f.subject.name}`, keys: f.evidence.keys, layer: f.evidence.layer, lostAt: f.evidence.lostAt && String(f.evidence.lostAt).split(' ')[0] }));
}
const agent = (annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'monitoring.coreos.com/v1alpha1', kind: 'PrometheusAgent', metadata: { name: 'k8s', namespace: 'monitoring', annotations } });
const statefulSet = (annotations: Record<string, string> = {}): KubeObject => ({ kind: 'StatefulSet', metadata: { name: 'prom-agent-k8s', namespace: 'monitoring', annotations } });

describe('podMetadata traced to the running pod', () => {
  it("keys that are not Istio's are not traced, even when the pod lacks them", async () => {
    const asked = { labels: { 'sidecar.istio.io/inject': 'true', team: 'platform' }, annotations: { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '', 'example.com/owner': 'platform' } };
    expect(await findings([{ kind: 'PrometheusAgent', object: agent(), podMetadata: asked }, { kind: 'StatefulSet', object: statefulSet(), podMetadata: asked }])).toEqual([]);
  });

  it('the outermost layer that lost keys is named with those keys only', async () => {
    const asked = { labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '', 'sidecar.istio.io/userVolumeMount': '[]' } };
    // The template lacks the inject label; the userVolumeMount annotation reached the template but not the (older) pod.
    const template = { labels: {}, annotations: asked.annotations };
    expect(await findings([{ kind: 'PrometheusAgent', object: agent(), podMetadata: asked }, { kind: 'StatefulSet', object: statefulSet(), podMetadata: template }])).toEqual([
      { subject: 'Pod/prom-agent-k8s-0', keys: ['sidecar.istio.io/inject'], layer: 'PrometheusAgent', lostAt: 'StatefulSet' },
    ]);
    // With the template fixed, the pod (older than its template) is where the annotation is missing.
    expect(await findings([{ kind: 'PrometheusAgent', object: agent(), podMetadata: asked }, { kind: 'StatefulSet', object: statefulSet(), podMetadata: asked }])).toEqual([
      { subject: 'Pod/prom-agent-k8s-0', keys: ['sidecar.istio.io/userVolumeMount'], layer: 'PrometheusAgent', lostAt: 'pod' },
    ]);
  });

  it("a PrometheusAgent's own annotations, which the operator copies onto its StatefulSet, are reported on the resource alone", async () => {
    const stranded = { 'sidecar.istio.io/userVolumeMount': '[]' };
    const podMetadata = { labels: POD.metadata!.labels, annotations: POD.metadata!.annotations };
    expect(await findings([{ kind: 'PrometheusAgent', object: agent(stranded), podMetadata }, { kind: 'StatefulSet', object: statefulSet(stranded), podMetadata }])).toEqual([
      { subject: 'PrometheusAgent/k8s', keys: ['sidecar.istio.io/userVolumeMount'], layer: 'PrometheusAgent', lostAt: undefined },
    ]);
  });

  it('a resource without podMetadata asks nothing of its pod', async () => {
    expect(await findings([{ kind: 'PrometheusAgent', object: agent() }, { kind: 'StatefulSet', object: statefulSet(), podMetadata: { labels: {} } }])).toEqual([]);
  });

  it('without its StatefulSet among the inputs, the loss is traced straight to the pod', async () => {
    const asked = { annotations: { 'sidecar.istio.io/userVolumeMount': '[]' } };
    expect(await findings([{ kind: 'PrometheusAgent', object: agent(), podMetadata: asked }])).toEqual([
      { subject: 'Pod/prom-agent-k8s-0', keys: ['sidecar.istio.io/userVolumeMount'], layer: 'PrometheusAgent', lostAt: 'pod' },
    ]);
  });

  it('no running pod, no trace: the layers end at the StatefulSet', async () => {
    const pp: PrometheusPod = {
      subject: POD, namespace: 'monitoring', pod: POD, admitted: false, prometheusContainer: 'prometheus',
      layers: [{ kind: 'PrometheusAgent', object: agent(), podMetadata: { annotations: { 'sidecar.istio.io/userVolumeMount': '[]' } } }, { kind: 'StatefulSet', object: statefulSet(), podMetadata: { labels: {} } }],
    };
    const run = await runChecks(prometheusChecks, new ResourceStore({ prometheusPods: () => [pp], namespaces: () => [] }), RUN);
    expect(run.checks.filter((c) => c.status === 'crash')).toEqual([]);
    expect(run.findings).toEqual([]);
  });
});
