/**
 * The certs.* checks on sets read from a pod through exec (given through a store, as the cluster
 * source does): what the sidecar wrote into OUTPUT_CERTS tells "never written" from "not shared",
 * a pod's set is keyed and labelled by the pod, the mesh root from the istio-ca-root-cert ConfigMap
 * is named as that ConfigMap, and the pod's expected identity includes the mesh's trust domain.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certsChecks } from '../../checks/certs/index.js';
import { ResourceStore } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { CertFileName, CertFileSet, MeshRoot } from '../../src/model/inventory.js';
import { upstream } from '../helpers/fixtures.js';

const SAMPLES = upstream('istio/samples/certs');
const pem = (name: string) => readFileSync(join(SAMPLES, name), 'utf8');
const RUN = { now: new Date('2026-11-25T00:00:00Z'), timeoutMs: 5000, concurrency: 4, verbose: false, skip: [], deadlineMs: 10_000 };
const POD = { kind: 'Pod', namespace: 'foo', name: 'prometheus-0' };

function podSet(files: Partial<Record<CertFileName, string | null>>, extra: Partial<CertFileSet> = {}): CertFileSet {
  const file = (name: CertFileName) => {
    const content = files[name];
    return { name, path: `/etc/prom-certs/${name}`, ...(content === null || content === undefined ? { state: 'absent' as const } : { state: 'ok' as const, content }) };
  };
  return { subject: POD, dir: '/etc/prom-certs', files: { 'root-cert.pem': file('root-cert.pem'), 'cert-chain.pem': file('cert-chain.pem'), 'key.pem': file('key.pem') }, ...extra };
}
const FOO = { 'root-cert.pem': pem('root-cert.pem'), 'cert-chain.pem': pem('workload-foo-cert.pem') + pem('ca-cert.pem'), 'key.pem': pem('workload-foo-key.pem') };
const MESH_ROOT: MeshRoot = { source: 'ConfigMap foo/istio-ca-root-cert', pem: pem('root-cert.pem') };

async function run(only: string, certFiles: CertFileSet[], meshRoot: MeshRoot = MESH_ROOT) {
  const result = await runChecks(certsChecks, new ResourceStore({ certFiles: () => certFiles, meshRoot: () => meshRoot }), { ...RUN, only: [only] });
  expect(result.checks.filter((c) => c.status === 'crash')).toEqual([]);
  return result;
}

describe('certs.* on a pod', () => {
  it('CERT_FILE_MISSING says whether the sidecar wrote the file into OUTPUT_CERTS, and where', async () => {
    const shared = podSet({ ...FOO, 'key.pem': null }, { outputCerts: { dir: '/etc/istio-output-certs', present: ['root-cert.pem', 'cert-chain.pem', 'key.pem'] } });
    const { findings } = await run('certs.files', [shared]);
    expect(findings.map((f) => ({ code: f.code, path: f.subject.path, evidence: f.evidence }))).toEqual([
      { code: 'CERT_FILE_MISSING', path: '/etc/prom-certs/key.pem', evidence: { file: 'key.pem', state: 'absent', outputCertsHas: true, outputCertsDir: '/etc/istio-output-certs' } },
    ]);
    const unwritten = podSet({ ...FOO, 'key.pem': null }, { outputCerts: { dir: '/etc/istio-output-certs', present: [] } });
    expect((await run('certs.files', [unwritten])).findings[0]!.evidence).toMatchObject({ outputCertsHas: false });
    const unknown = (await run('certs.files', [podSet({ ...FOO, 'key.pem': null })])).findings[0]!.evidence;
    expect(unknown).not.toHaveProperty('outputCertsHas');
    expect(unknown).not.toHaveProperty('outputCertsDir');
  });

  it("certs.parse keys the facts by the pod and names it in the validity facts", async () => {
    const { checks } = await run('certs.parse', [podSet(FOO)]);
    const facts = checks.find((c) => c.id === 'certs.parse')!.facts!;
    expect(Object.keys(facts)).toEqual(['foo/prometheus-0 /etc/prom-certs']);
    expect(facts['foo/prometheus-0 /etc/prom-certs']).toMatchObject({ namespace: 'foo', pod: 'prometheus-0', spiffeId: 'spiffe://trust-domain-foo/ns/foo/sa/foo' });
  });

  it('a mesh root from the ConfigMap that does not parse is reported on that ConfigMap', async () => {
    const { findings } = await run('certs.parse', [podSet(FOO)], { source: 'ConfigMap foo/istio-ca-root-cert', pem: 'not a certificate' });
    expect(findings.map((f) => f.subject)).toEqual([{ kind: 'ConfigMap', namespace: 'foo', name: 'istio-ca-root-cert', path: 'root-cert.pem' }]);
  });

  it("the pod's expected identity holds the mesh's trust domain: another one is a mismatch", async () => {
    const expected = (trustDomain: string) => podSet(FOO, { expectedIdentity: { namespace: 'foo', serviceAccount: 'foo', trustDomain } });
    expect((await run('certs.identity', [expected('trust-domain-foo')])).findings).toEqual([]);
    const other = (await run('certs.identity', [expected('cluster.local')])).findings;
    expect(other.map((f) => f.message)).toEqual([expect.stringContaining('is not spiffe://cluster.local/ns/foo/sa/foo')]);
  });
});
