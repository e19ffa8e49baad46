/**
 * The prometheus.* checks on live pods (PrometheusPod.admitted: the sidecar is there or not), which
 * the manifest fixture grid cannot build: a Pod manifest counts as admitted only when it carries
 * istio-proxy. Pods are given to the runner through a store, as the cluster source will.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusChecks } from '../../checks/prometheus/index.js';
import { ResourceStore } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { PodLayer, PrometheusPod } from '../../src/model/inventory.js';
import type { KubeObject, Pod } from '../../src/model/k8s.js';

const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 10_000 };

function livePod(yaml: string, layers: PodLayer[] = []): PrometheusPod {
  const pod = parse(yaml) as Pod;
  return { subject: pod, namespace: pod.metadata?.namespace ?? 'default', pod, admitted: true, prometheusContainer: 'prometheus', layers: [...layers, { kind: 'Pod', object: pod }] };
}

async function codesFor(pods: PrometheusPod[], namespaces: KubeObject[] = []): Promise<string[]> {
  const store = new ResourceStore({ prometheusPods: () => pods, namespaces: () => namespaces });
  const { findings, checks } = await runChecks(prometheusChecks, store, RUN);
  expect(checks.filter((c) => c.status === 'crash')).toEqual([]);
  return findings.map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}${f.evidence.cause ? ` ${String(f.evidence.cause)}` : ''}`);
}

const WITHOUT_SIDECAR = `
apiVersion: v1
kind: Pod
metadata:
  name: prometheus-k8s-0
  namespace: monitoring
  labels: { sidecar.istio.io/inject: "false" }
  annotations:
    proxy.istio.io/config: '{"proxyMetadata": {"OUTPUT_CERTS": "/etc/istio-output-certs"}, "holdApplicationUntilProxyStarts": true}'
    sidecar.istio.io/userVolumeMount: '[{"name": "istio-certs", "mountPath": "/etc/istio-output-certs"}]'
    traffic.sidecar.istio.io/includeInboundPorts: ""
    traffic.sidecar.istio.io/includeOutboundIPRanges: ""
spec:
  containers:
  - name: prometheus
    volumeMounts: [{ name: istio-certs, mountPath: /etc/prom-certs/ }]
  volumes:
  - { name: istio-certs, emptyDir: { medium: Memory } }
`;

describe('prometheus.* on admitted pods', () => {
  it('names the visible cause of a missing sidecar, else says none is there', async () => {
    expect(await codesFor([livePod(WITHOUT_SIDECAR)])).toEqual(['SIDECAR_NOT_INJECTED Pod/prometheus-k8s-0 inject-false']);
    const unlabelled = WITHOUT_SIDECAR.replace('labels: { sidecar.istio.io/inject: "false" }', 'labels: {}');
    expect(await codesFor([livePod(unlabelled)])).toEqual(['SIDECAR_NOT_INJECTED Pod/prometheus-k8s-0 no-istio-proxy']);
  });

  it('reports ambient mode only for a pod that runs without a sidecar', async () => {
    const ambient = parse('{ kind: Namespace, metadata: { name: monitoring, labels: { istio.io/dataplane-mode: ambient } } }') as KubeObject;
    const unlabelled = WITHOUT_SIDECAR.replace('labels: { sidecar.istio.io/inject: "false" }', 'labels: {}');
    expect(await codesFor([livePod(unlabelled)], [ambient])).toContain('AMBIENT_NAMESPACE Pod/prometheus-k8s-0');
  });

  it('accepts a sidecar that mounts OUTPUT_CERTS without the userVolumeMount annotation (a customised injector)', async () => {
    const customised = `
apiVersion: v1
kind: Pod
metadata: { name: prometheus-k8s-0, namespace: monitoring, annotations: { traffic.sidecar.istio.io/includeInboundPorts: "", traffic.sidecar.istio.io/includeOutboundIPRanges: "" } }
spec:
  initContainers:
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.24.1
    restartPolicy: Always
    startupProbe: { httpGet: { path: /healthz/ready, port: 15021 } }
    env: [{ name: OUTPUT_CERTS, value: /etc/istio-output-certs }]
    volumeMounts: [{ name: istio-certs, mountPath: /etc/istio-output-certs }]
  containers:
  - name: prometheus
    volumeMounts: [{ name: istio-certs, mountPath: /etc/prom-certs }]
  volumes:
  - { name: istio-certs, emptyDir: { medium: Memory } }
`;
    expect(await codesFor([livePod(customised)])).toEqual([]);
  });

  it('reports metadata stranded on the resource once: not per replica, nor again on its StatefulSet', async () => {
    const resource = parse(`
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: { name: k8s, namespace: monitoring, annotations: { sidecar.istio.io/userVolumeMount: "[]" } }
`) as KubeObject;
    // The operator copies the resource's annotations onto its StatefulSet: only the resource is named.
    const statefulSet = { kind: 'StatefulSet', metadata: { name: 'prometheus-k8s', namespace: 'monitoring', annotations: resource.metadata?.annotations } };
    const layers: PodLayer[] = [{ kind: 'Prometheus', object: resource, podMetadata: {} }, { kind: 'StatefulSet', object: statefulSet, podMetadata: {} }];
    const replicas = [0, 1].map((i) => livePod(WITHOUT_SIDECAR.replace('prometheus-k8s-0', `prometheus-k8s-${i}`), layers));
    const stranded = (await codesFor(replicas)).filter((c) => c.startsWith('ANNOTATIONS_NOT_ON_POD'));
    expect(stranded).toEqual(['ANNOTATIONS_NOT_ON_POD Prometheus/k8s']);
  });

  it('traces podMetadata that did not reach the running pod to the layer that lost it', async () => {
    const resource = parse('{ apiVersion: monitoring.coreos.com/v1, kind: Prometheus, metadata: { name: k8s, namespace: monitoring } }') as KubeObject;
    const pod = parse(WITHOUT_SIDECAR) as Pod;
    const asked = { annotations: { ...pod.metadata!.annotations, 'traffic.sidecar.istio.io/includeOutboundIPRanges': '' }, labels: { 'sidecar.istio.io/inject': 'true' } };
    const statefulSet = { kind: 'StatefulSet', metadata: { name: 'prometheus-k8s', namespace: 'monitoring' } };
    const lossOf = async (templateMeta: PodLayer['podMetadata'], askedMeta: PodLayer['podMetadata'] = asked) => {
      const layers: PodLayer[] = [{ kind: 'Prometheus', object: resource, podMetadata: askedMeta }, { kind: 'StatefulSet', object: statefulSet, podMetadata: templateMeta }];
      const run = await runChecks(prometheusChecks, new ResourceStore({ prometheusPods: () => [livePod(WITHOUT_SIDECAR, layers)], namespaces: () => [] }), { ...RUN, only: ['prometheus.annotations-on-pod'] });
      return run.findings.map((f) => ({ subject: `${f.subject.kind}/${f.subject.name}`, keys: f.evidence.keys, lostAt: String(f.evidence.lostAt).split(' ')[0] }));
    };
    // The template has it all, the pod lacks the inject label (it says "false"): lost at admission or an old pod.
    expect(await lossOf(asked)).toEqual([{ subject: 'Pod/prometheus-k8s-0', keys: ['sidecar.istio.io/inject'], lostAt: 'pod' }]);
    // The template itself lacks them: the StatefulSet is where they were lost.
    expect(await lossOf({ annotations: pod.metadata!.annotations })).toEqual([{ subject: 'Pod/prometheus-k8s-0', keys: ['sidecar.istio.io/inject'], lostAt: 'StatefulSet' }]);
    // Everything asked for arrived: nothing to say.
    const arrived = pod.metadata as PodLayer['podMetadata'];
    expect(await lossOf(arrived, arrived)).toEqual([]);
  });
});
