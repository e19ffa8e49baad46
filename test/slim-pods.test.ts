/**
 * Slimming live pods on ingest (src/sources/cluster/slim.ts) keeps exactly what the checks read:
 * for the pods of every simulated scenario (injected, running, with statuses), padded with what real
 * clusters add (managedFields, last-applied-configuration, probes, conditions), every check finds the
 * same on the slimmed pods as on the whole ones; and the padding is gone. A run's slimmer shares the
 * equal parts of its pods: the values are those of the pods slimmed one by one, the copies are gone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/index.js';
import type { Pod } from '../src/model/k8s.js';
import { ClusterState } from '../src/sim/cluster.js';
import { listScenarios, loadScenario } from '../src/sim/index.js';
import { podSlimmer, slimPod } from '../src/sources/cluster/slim.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('asm-prom-slim-');

/** What a real API server adds to a pod that no check reads. */
function asServed(pod: Pod): Pod {
  const clone = structuredClone(pod);
  clone.metadata = {
    ...clone.metadata,
    resourceVersion: '123456',
    managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
    annotations: { ...clone.metadata?.annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(pod) },
  } as Pod['metadata'];
  for (const c of clone.spec?.containers ?? []) Object.assign(c, { readinessProbe: { httpGet: { path: '/ready', port: 8080 } }, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent' });
  clone.spec = { ...clone.spec, tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }], dnsPolicy: 'ClusterFirst' };
  return clone;
}

async function findingsOf(objects: object[], name: string): Promise<string[]> {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  const summary = await runDoctor({ filenames: [path], offline: true, probe: 'off' });
  return summary.findings.map((f) => `${f.code} ${JSON.stringify({ ...f.subject, file: undefined })} ${f.message}`).sort();
}

describe('slimPod', () => {
  const scenarios = listScenarios().map((s) => s.name).filter((n) => n !== 'scale');

  it.each(scenarios)('%s: every check finds the same on slimmed pods as on whole ones', async (name) => {
    const scenario = await loadScenario(name);
    const state = new ClusterState(scenario, { meshRootPem: '', apiCaPem: '' });
    const others = scenario.objects.filter((o) => o.kind !== 'Pod');
    const whole = state.pods.map((p) => asServed(p.pod));
    expect(whole.length).toBeGreaterThan(0);
    const [before, after] = [await findingsOf([...others, ...whole], `${name}-whole`), await findingsOf([...others, ...whole.map(slimPod)], `${name}-slim`)];
    expect(after).toEqual(before);
  });

  it.each(scenarios)("%s: a run's slimmer gives every pod the value slimPod gives it, and does not change its input", async (name) => {
    const scenario = await loadScenario(name);
    const state = new ClusterState(scenario, { meshRootPem: '', apiCaPem: '' });
    const whole = state.pods.map((p) => asServed(p.pod));
    const copy = structuredClone(whole);
    const slimmer = podSlimmer();
    const shared = whole.map(slimmer);
    expect(shared).toEqual(whole.map(slimPod));
    expect(whole).toEqual(copy);
  });

  it('shares the parts replicas have in common, and keeps what is their own apart', async () => {
    const state = new ClusterState(await loadScenario('scale-3'), { meshRootPem: '', apiCaPem: '' });
    const slimmer = podSlimmer();
    const [a, b] = state.pods.filter((p) => p.pod.metadata?.namespace === 'shop').map((p) => slimmer(asServed(p.pod)));
    const proxy = (p: Pod) => p.spec!.initContainers!.find((c) => c.name === 'istio-proxy')!;
    expect(proxy(a!).env).toBe(proxy(b!).env);
    expect(proxy(a!).args).toBe(proxy(b!).args);
    expect(a!.metadata!.annotations).toBe(b!.metadata!.annotations);
    expect(a!.metadata!.ownerReferences).toBe(b!.metadata!.ownerReferences);
    // without each pod's own service-account token volume (kube-api-access-<random>), replicas' containers and volumes are one
    expect(a!.spec!.containers).toBe(b!.spec!.containers);
    expect(a!.spec!.volumes).toBe(b!.spec!.volumes);
    expect(a!.spec!.volumes!.map((v) => v.name)).not.toContainEqual(expect.stringMatching(/^kube-api-access-/));
    expect(a!.metadata!.name).not.toBe(b!.metadata!.name);
    expect(a!.status!.podIP).not.toBe(b!.status!.podIP);
  });

  it('drops what no check reads, and does not change its input', () => {
    const pod = asServed({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { app: 'a' }, annotations: { 'sidecar.istio.io/inject': 'true' } },
      spec: {
        containers: [{ name: 'app', image: 'app:1', ports: [{ name: 'http-metrics', containerPort: 8080 }], volumeMounts: [{ name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }, { name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }, { name: 'data', emptyDir: {} }],
      },
      status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', image: 'app:1', ready: true, restartCount: 0 } as never] },
    });
    const copy = structuredClone(pod);
    const slim = slimPod(pod);
    expect(pod).toEqual(copy);
    expect(slim).toEqual({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { app: 'a' }, annotations: { 'sidecar.istio.io/inject': 'true' } },
      spec: { containers: [{ name: 'app', image: 'app:1', ports: [{ name: 'http-metrics', containerPort: 8080 }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }], volumes: [{ name: 'data', emptyDir: {} }] },
      status: { phase: 'Running', podIP: '10.0.0.1', containerStatuses: [{ name: 'app', image: 'app:1', ready: true }] },
    });
  });
});
