/**
 * The inputs checks in-process: what the sources noticed while reading (a document that does not
 * parse, a forbidden list, an unreachable API server, no Prometheus where one was named) comes out
 * through the catalogue, each code only from the check whose input it is, on the source's subject.
 */
import { describe, expect, it } from 'vitest';
import { inputsChecks } from '../../checks/inputs/index.js';
import { runDoctor } from '../../src/index.js';
import { ResourceStore } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';

const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 10_000 };

const PROMETHEUS_ELSEWHERE = `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: { name: other, namespace: monitoring }
spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata: { name: broken
`;

describe('inputs.manifests', () => {
  it('a document that does not parse and a --prometheus the manifests lack: both, on the file and on the Prometheus asked for', async () => {
    const summary = await runDoctor({ filenames: ['-'], stdin: PROMETHEUS_ELSEWHERE, prometheus: 'k8s', namespace: 'monitoring' });
    const mine = summary.findings.filter((f) => f.check === 'inputs.manifests');
    expect(mine.map((f) => [f.code, f.subject])).toEqual([
      ['MANIFEST_PARSE_ERROR', { kind: 'File', file: '-', line: 9 }],
      ['PROMETHEUS_NOT_FOUND', { kind: 'Prometheus', namespace: 'monitoring' }],
    ]);
    expect(mine[0]!.message).toMatch(/^-:9 is not valid YAML\/JSON: /);
    expect(mine[0]!.evidence).toMatchObject({ file: '-', line: 9 });
    expect(mine[1]!.message).toMatch(/^no Prometheus custom resource or pod found .*k8s.* of the manifests$/);
    expect(summary.checks.find((c) => c.id === 'inputs.manifests')!.status).toBe('fail');
    expect(summary.checks.find((c) => c.id === 'inputs.cluster')).toMatchObject({ status: 'skip', skipReason: 'offline: no Kubernetes API is contacted (-f or --offline)' });
  });

  it('manifests that parse and hold the Prometheus: a pass', async () => {
    const summary = await runDoctor({ filenames: ['-'], stdin: PROMETHEUS_ELSEWHERE.split('---')[0]!, prometheus: 'other' });
    expect(summary.checks.find((c) => c.id === 'inputs.manifests')!.status).toBe('pass');
    expect(summary.findings.filter((f) => f.check.startsWith('inputs.'))).toEqual([]);
  });
});

describe('inputs.cluster', () => {
  /** A store as the cluster source leaves it: the API server's address and what its reads ran into. */
  const clusterStore = () => {
    const store = new ResourceStore({ clusterServer: () => 'https://k8s.test:6443' });
    store.diagnose('CLUSTER_UNREACHABLE', { server: 'https://k8s.test:6443', reason: 'connect ECONNREFUSED 10.0.0.1:6443' }, { kind: 'Cluster', name: 'https://k8s.test:6443' });
    store.diagnose('ACCESS_DENIED', { verb: 'list', resource: 'servicemonitors', namespace: 'apps', skipped: 'monitors.*' }, { kind: 'APIResource', name: 'servicemonitors', namespace: 'apps' }, { status: 403 });
    store.diagnose('PROMETHEUS_NOT_FOUND', { scope: 'in namespace monitoring' }, { kind: 'Prometheus', namespace: 'monitoring' });
    // the manifests' own: not this check's to report
    store.diagnose('MANIFEST_PARSE_ERROR', { file: 'a.yaml', line: 3, reason: 'bad indentation' }, { kind: 'File', file: 'a.yaml', line: 3 });
    return store;
  };

  it("reports the cluster source's diagnostics, each on its subject with its evidence, and only those", async () => {
    const { findings, checks } = await runChecks(inputsChecks, clusterStore(), RUN);
    expect(checks.map((c) => [c.id, c.status, c.skipReason])).toEqual([
      ['inputs.manifests', 'skip', 'no -f manifests'],
      ['inputs.cluster', 'fail', undefined],
    ]);
    expect(findings.map((f) => [f.code, f.subject, f.message])).toEqual([
      ['CLUSTER_UNREACHABLE', { kind: 'Cluster', name: 'https://k8s.test:6443' }, 'the Kubernetes API at https://k8s.test:6443 cannot be reached: connect ECONNREFUSED 10.0.0.1:6443'],
      ['ACCESS_DENIED', { kind: 'APIResource', name: 'servicemonitors', namespace: 'apps' }, 'forbidden: list servicemonitors in namespace apps; skipped: monitors.*'],
      ['PROMETHEUS_NOT_FOUND', { kind: 'Prometheus', namespace: 'monitoring' }, 'no Prometheus custom resource or pod found in namespace monitoring'],
    ]);
    expect(findings[1]!.evidence).toEqual({ verb: 'list', resource: 'servicemonitors', namespace: 'apps', skipped: 'monitors.*', status: 403 });
  });

  it('nothing noticed: a pass; and the manifests check reports only its own codes', async () => {
    const quiet = await runChecks(inputsChecks, new ResourceStore({ clusterServer: () => 'https://k8s.test:6443' }), RUN);
    expect(quiet.checks.map((c) => c.status)).toEqual(['skip', 'pass']);
    const store = new ResourceStore({ manifestFiles: () => ['a.yaml'] });
    store.diagnose('ACCESS_DENIED', { verb: 'list', resource: 'pods', skipped: 'prometheus.*' }, { kind: 'APIResource', name: 'pods' });
    store.diagnose('MANIFEST_PARSE_ERROR', { file: 'a.yaml', line: 3, reason: 'bad indentation' }, { kind: 'File', file: 'a.yaml', line: 3 });
    const { findings, checks } = await runChecks(inputsChecks, store, RUN);
    expect(checks.map((c) => c.status)).toEqual(['fail', 'skip']);
    expect(findings.map((f) => [f.check, f.code, f.subject])).toEqual([['inputs.manifests', 'MANIFEST_PARSE_ERROR', { kind: 'File', file: 'a.yaml', line: 3 }]]);
  });
});
