/**
 * The certs.* checks beyond the fixture grid: whose identity the leaf must carry (the one Prometheus
 * of the manifests, its deprecated serviceAccount field, the default account, a leaf without a
 * SPIFFE ID), the skip of each check when no set has the files it judges, a root-cert.pem mid-rotation
 * against the mesh root, and which certificate a validity finding names (leaf, intermediate, the root
 * in cert-chain.pem or in root-cert.pem, never an old root the chain does not hang from).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor, type RunSummary } from '../../src/index.js';
import { Mint, type Issued } from '../certs-mint.js';
import { upstream } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLES = upstream('istio/samples/certs');
const FOO = new URL('./certs.parse/pass-samples-foo/certs', import.meta.url).pathname;
const NOW = '2026-11-25T00:00:00Z';
const tmp = tempDir('asm-prom-certs-');

async function run(check: string, args: string[]): Promise<{ summary: RunSummary; status?: string; skipReason?: string; findings: { code: string; file?: string; message: string; evidence?: unknown }[] }> {
  const summary = await runDoctor(parseDoctorArgs(['--offline', ...args, '--only', check]));
  expect(summary.checks.filter((c) => c.status === 'crash')).toEqual([]);
  const result = summary.checks.find((c) => c.id === check);
  const findings = summary.findings.filter((f) => f.check === check && f.severity !== 'info')
    .map((f) => ({ code: f.code, file: f.subject.path?.split('/').pop(), message: f.message, evidence: f.evidence }));
  return { summary, status: result?.status, skipReason: result?.skipReason, findings };
}
const write = (name: string, text: string) => {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
};
/** A copy of the Istio sample's foo set, with some files replaced. */
function fooWith(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['root-cert.pem', 'cert-chain.pem', 'key.pem']) copyFileSync(join(FOO, f), join(dir, f));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe('certs.identity: the identity the leaf must carry', () => {
  // The Istio sample's leaf: spiffe://trust-domain-foo/ns/foo/sa/foo.
  const identity = (manifest: string) => run('certs.identity', ['--certs-dir', FOO, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW, '-f', write(`${Math.random()}.yaml`, manifest)]);
  const deployment = (namespace: string, spec: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: prometheus, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: prometheus}}
  template:
    metadata: {labels: {app: prometheus}}
    spec:
${spec}      containers:
      - {name: prometheus, image: quay.io/prometheus/prometheus:v3.10.0}
`;

  it('the right namespace with another service account is a mismatch', async () => {
    const { findings } = await identity(deployment('foo', '      serviceAccountName: prometheus\n'));
    expect(findings.map((f) => [f.code, f.message])).toEqual([['IDENTITY_MISMATCH', expect.stringContaining('identity spiffe://trust-domain-foo/ns/foo/sa/foo is not spiffe://trust-domain-foo/ns/foo/sa/prometheus')]]);
  });

  it('the right service account in another namespace is a mismatch', async () => {
    const { findings } = await identity(deployment('monitoring', '      serviceAccountName: foo\n'));
    expect(findings.map((f) => [f.code, f.message])).toEqual([['IDENTITY_MISMATCH', expect.stringContaining('is not spiffe://trust-domain-foo/ns/monitoring/sa/foo')]]);
  });

  it("an old manifest's deprecated serviceAccount field names the account", async () => {
    expect((await identity(deployment('foo', '      serviceAccount: foo\n'))).findings).toEqual([]);
  });

  it('without any service account the pod runs as default', async () => {
    const { findings } = await identity(deployment('foo', ''));
    expect(findings.map((f) => [f.code, f.message])).toEqual([['IDENTITY_MISMATCH', expect.stringContaining('is not spiffe://trust-domain-foo/ns/foo/sa/default')]]);
  });

  it('a leaf without a SPIFFE URI SAN (a DNS-only certificate) is a mismatch that says so', async () => {
    const dns = upstream('istio/tests/testdata/certs/dns');
    const file = write('dns.yaml', deployment('foo', '      serviceAccountName: foo\n'));
    const { findings } = await run('certs.identity', ['--certs-dir', dns, '--mesh-root', join(dns, 'root-cert.pem'), '--now', NOW, '-f', file]);
    expect(findings.map((f) => [f.code, f.message])).toEqual([['IDENTITY_MISMATCH', expect.stringMatching(/^the leaf's identity \(no SPIFFE URI SAN\) is not spiffe:\/\/cluster\.local\/ns\/foo\/sa\/foo/)]]);
  });

  it('without the Prometheus manifest, or with two, the check is skipped with the reason', async () => {
    const none = await run('certs.identity', ['--certs-dir', FOO, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW]);
    expect(none.status).toBe('skip');
    expect(none.skipReason).toMatch(/^the Prometheus pod's service account is unknown: give -f with its manifest \(exactly one Prometheus\)/);
    const two = await identity(`${deployment('foo', '      serviceAccountName: foo\n')}---\n${deployment('bar', '      serviceAccountName: bar\n')}`);
    expect(two.status).toBe('skip');
  });
});

describe('a check is skipped when no set has the files it judges', () => {
  const notPem = 'this is not a certificate\n';
  it.each([
    ['certs.identity', 'cert-chain.pem', 'cert-chain.pem'],
    ['certs.validity', 'cert-chain.pem', 'cert-chain.pem'],
    ['certs.chain', 'cert-chain.pem', 'cert-chain.pem and root-cert.pem'],
    ['certs.chain', 'root-cert.pem', 'cert-chain.pem and root-cert.pem'],
    ['certs.mesh-root', 'root-cert.pem', 'root-cert.pem'],
  ])('%s, with %s unparseable', async (check, broken, files) => {
    const dir = fooWith(`broken-${check}-${broken}`, { [broken]: notPem });
    const file = write('one-prometheus.yaml', 'apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: foo}\nspec: {serviceAccountName: foo}\n');
    const { status, skipReason } = await run(check, ['--certs-dir', dir, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW, '-f', file]);
    expect(status).toBe('skip');
    expect(skipReason).toBe(`no certificate set has a usable ${files} (see the CERT_FILE_MISSING, CERT_FILE_UNREADABLE and CERT_PARSE_ERROR findings)`);
  });
});

describe('certs.mesh-root', () => {
  it('a root-cert.pem mid-rotation (old and new root) matches a mesh root that has one of them', async () => {
    const dir = fooWith('rotation', { 'root-cert.pem': readFileSync(join(SAMPLES, 'root-cert-combined.pem'), 'utf8') });
    const { status, findings } = await run('certs.mesh-root', ['--certs-dir', dir, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW]);
    expect(status).toBe('pass');
    expect(findings).toEqual([]);
  });

  it('a mismatch gives both sides in its evidence', async () => {
    const dns = upstream('istio/tests/testdata/certs/dns');
    const { findings } = await run('certs.mesh-root', ['--certs-dir', dns, '--mesh-root', join(dns, 'fake-root-cert.pem'), '--now', NOW]);
    expect(findings).toHaveLength(1);
    const evidence = findings[0]!.evidence as { roots: { certificate: string; fingerprint256: string }[]; meshRoots: { certificate: string; fingerprint256: string }[] };
    expect(evidence.roots).toHaveLength(1);
    expect(evidence.meshRoots).toHaveLength(1);
    expect(evidence.roots[0]!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(evidence.roots[0]!.fingerprint256).not.toBe(evidence.meshRoots[0]!.fingerprint256);
    expect(evidence.roots[0]!.certificate).toEqual(expect.any(String));
  });

  it('a mesh root bundle that does not parse skips the check with the reason', async () => {
    const bundle = join(SAMPLES, 'README.md');
    const { status, skipReason } = await run('certs.mesh-root', ['--certs-dir', FOO, '--mesh-root', bundle, '--now', NOW]);
    expect(status).toBe('skip');
    expect(skipReason).toBe(`the mesh root bundle ${bundle} does not parse (see CERT_PARSE_ERROR)`);
  });
});

describe('certs.validity names the certificate', () => {
  const mint = new Mint();
  let root: Issued, oldRoot: Issued, ica: Issued, leaf: Issued;
  beforeAll(() => {
    root = mint.root('validity-root', 'p256', { days: 2 });
    oldRoot = mint.root('validity-old-root', 'p256', { days: 3650 });
    ica = mint.intermediate('validity-ica', root, { keyType: 'p256', days: 2 });
    leaf = mint.workload('validity-leaf', ica, { keyType: 'p256', days: 1 });
  });
  const after = (days: number) => new Date(Date.parse(leaf.x509.validFrom) + days * 86_400_000).toISOString();
  const validity = async (set: { dir: string; meshRoot: string }, now: string) =>
    (await run('certs.validity', ['--certs-dir', set.dir, '--mesh-root', set.meshRoot, '--now', now])).findings.map((f) => `${f.code} ${f.file}: ${f.message.split(' ').slice(0, 2).join(' ')}`).sort();

  it('leaf, intermediate and the root of root-cert.pem, not the old root still in the bundle', async () => {
    const set = mint.certsDir('validity-expired', { root: [oldRoot, root], chain: [leaf, ica], key: leaf.keyPem });
    expect(await validity(set, after(3))).toEqual([
      'CERT_EXPIRED cert-chain.pem: the intermediate',
      'CERT_EXPIRED cert-chain.pem: the leaf',
      'CERT_EXPIRED root-cert.pem: the root',
    ]);
  });

  it('the root in cert-chain.pem, as Istio writes it, is named there and once', async () => {
    const set = mint.certsDir('validity-chain-root', { root: [root], chain: [leaf, ica, root], key: leaf.keyPem });
    expect(await validity(set, after(3))).toEqual([
      'CERT_EXPIRED cert-chain.pem: the intermediate',
      'CERT_EXPIRED cert-chain.pem: the leaf',
      'CERT_EXPIRED cert-chain.pem: the root',
    ]);
  });
});


describe('certs.parse states the facts of a healthy set', () => {
  it("for the Istio sample's foo set: the leaf, the chain, the roots and each certificate's validity, keyed by the folder", async () => {
    const { summary } = await run('certs.parse', ['--certs-dir', FOO, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW]);
    // Strict: a --certs-dir set is no pod's, so its facts hold no namespace or pod key, not even an undefined one.
    expect(summary.checks.find((c) => c.id === 'certs.parse')?.facts).toStrictEqual({
      [FOO]: {
        spiffeId: 'spiffe://trust-domain-foo/ns/foo/sa/foo',
        serial: '56B993119A3099BBE3C6286ACB4B6A09BE820C91',
        notBefore: '2023-02-02T18:20:57.000Z',
        notAfter: '2033-01-30T18:20:57.000Z',
        timeLeft: '2258d 18h',
        keyType: 'RSA-2048',
        chain: ['spiffe://trust-domain-foo/ns/foo/sa/foo', '"Istio CA"'],
        roots: ['"Root CA"'],
        validity: [
          { file: 'cert-chain.pem', serialNumber: '56B993119A3099BBE3C6286ACB4B6A09BE820C91', spiffeId: 'spiffe://trust-domain-foo/ns/foo/sa/foo', notBefore: '2023-02-02T18:20:57.000Z', notAfter: '2033-01-30T18:20:57.000Z' },
          { file: 'cert-chain.pem', serialNumber: 'E37589FAC1676FC1', spiffeId: '', notBefore: '2018-01-24T19:15:51.000Z', notAfter: '2117-12-31T19:15:51.000Z' },
        ],
      },
    });
  });

  it('a DNS-only leaf has no SPIFFE ID, and a set without root-cert.pem no roots', async () => {
    const dns = upstream('istio/tests/testdata/certs/dns');
    const dir = join(tmp, 'dns-no-root');
    mkdirSync(dir, { recursive: true });
    for (const f of ['cert-chain.pem', 'key.pem']) copyFileSync(join(dns, f), join(dir, f));
    const { summary } = await run('certs.parse', ['--certs-dir', dir, '--mesh-root', join(dns, 'root-cert.pem'), '--now', NOW]);
    const facts = summary.checks.find((c) => c.id === 'certs.parse')?.facts?.[dir] as Record<string, unknown>;
    expect(facts).toMatchObject({ spiffeId: null, roots: null });
    expect((facts.validity as { spiffeId: string }[])[0]!.spiffeId).toBe('');
  });
});

describe('certs.validity: rotation overdue', () => {
  it('is said past 75% of the lifetime, not at 75% exactly', async () => {
    // The Istio sample's foo leaf: 2023-02-02T18:20:57Z to 2033-01-30T18:20:57Z.
    const start = Date.parse('2023-02-02T18:20:57Z');
    const at = (fraction: number) => new Date(start + fraction * (Date.parse('2033-01-30T18:20:57Z') - start)).toISOString();
    const codes = async (now: string) => (await run('certs.validity', ['--certs-dir', FOO, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', now])).findings.map((f) => f.code);
    expect(await codes(at(0.75))).toEqual([]);
    expect(await codes(at(0.76))).toEqual(['CERT_NOT_ROTATED']);
  });
});

describe('certs.chain evidence', () => {
  it("gives openssl's verdict for each error: its code, name, depth and text", async () => {
    const dir = new URL('./certs.chain/fail-intermediate-missing/certs', import.meta.url).pathname;
    const { findings } = await run('certs.chain', ['--certs-dir', dir, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW]);
    expect(findings).toHaveLength(1);
    const { openssl } = findings[0]!.evidence as { openssl: { code: number; name: string; depth: number; text: string }[] };
    expect(openssl.length).toBeGreaterThan(0);
    expect(openssl[0]).toEqual({ code: 20, name: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', depth: 0, text: 'unable to get local issuer certificate' });
  });
});

describe('certs.parse leaves missing files to certs.files', () => {
  it('an empty or absent file is not a parse error', async () => {
    const empty = fooWith('empty-root', { 'root-cert.pem': '' });
    expect((await run('certs.parse', ['--certs-dir', empty, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW])).findings).toEqual([]);
    const noKey = new URL('./certs.files/fail-no-key/certs', import.meta.url).pathname;
    expect((await run('certs.parse', ['--certs-dir', noKey, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', NOW])).findings).toEqual([]);
  });
});

describe('certs: what a finding carries', () => {
  const mint = new Mint();
  let root: Issued;
  beforeAll(() => { root = mint.root('carry-root', 'p256'); });

  it('CHAIN_BROKEN gives every error openssl reports, joined: a CA:FALSE intermediate and a server-only leaf', async () => {
    const notCa = mint.intermediate('carry-not-ca', root, { keyType: 'p256', extensions: 'basicConstraints=critical,CA:FALSE\n' });
    const serverOnly = mint.sign('carry-server-only', notCa, { keyType: 'p256', extensions: 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=critical,URI:spiffe://cluster.local/ns/monitoring/sa/prometheus\n' });
    const set = mint.certsDir('carry-two-errors', { root: [root], chain: [serverOnly, notCa], key: serverOnly.keyPem });
    const { findings } = await run('certs.chain', ['--certs-dir', set.dir, '--mesh-root', set.meshRoot, '--now', NOW]);
    expect(findings.map((f) => f.code)).toEqual(['CHAIN_BROKEN']);
    const { openssl } = findings[0]!.evidence as { openssl: { name: string }[] };
    expect([...new Set(openssl.map((e) => e.name))].sort()).toEqual(['INVALID_CA', 'INVALID_PURPOSE']);
    expect(findings[0]!.message).toMatch(/^cert-chain\.pem does not verify up to root-cert\.pem: .+; .+/);
  });

  it('KEY_MISMATCH gives the key types, the leaf and its serial, nothing of the key', async () => {
    const dir = new URL('./certs.key-match/fail-upstream-alt-2-pair', import.meta.url).pathname;
    const args = readFileSync(join(dir, 'case.txt'), 'utf8').match(/args:(.*)/)![1]!.trim().split(/\s+/).map((a) => a.replaceAll('{dir}', dir).replaceAll('{fixtures}', upstream('').replace(/\/upstream\/?$/, '')));
    const { findings } = await run('certs.key-match', args);
    expect(findings).toHaveLength(1);
    expect(Object.keys(findings[0]!.evidence as object).sort()).toEqual(['keyType', 'leafKeyType', 'leafSerial', 'leafSpiffeId']);
    expect(findings[0]!.evidence).toMatchObject({ leafKeyType: expect.any(String), keyType: expect.any(String), leafSerial: expect.stringMatching(/^[0-9A-F]+$/) });
  });

  it('CERT_EXPIRED and CERT_NOT_ROTATED give the fingerprint, --now, the leaf and when it began', async () => {
    const expired = await run('certs.validity', ['--certs-dir', FOO, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', '2034-01-01T00:00:00Z']);
    expect(expired.findings.map((f) => [f.code, f.evidence])).toEqual([['CERT_EXPIRED', expect.objectContaining({ fingerprint256: '13:EE:84:DE:BC:C7:F3:4D:97:4A:F2:28:77:89:D8:3D:1A:CC:E7:81:7A:CB:BD:BF:72:44:16:84:EF:EA:AE:9D', now: '2034-01-01T00:00:00.000Z' })]]);
    const old = await run('certs.validity', ['--certs-dir', FOO, '--mesh-root', join(SAMPLES, 'root-cert.pem'), '--now', '2031-01-01T00:00:00Z']);
    expect(old.findings.map((f) => [f.code, f.evidence])).toEqual([['CERT_NOT_ROTATED', expect.objectContaining({
      notBefore: '2023-02-02T18:20:57.000Z', now: '2031-01-01T00:00:00.000Z', leaf: 'spiffe://trust-domain-foo/ns/foo/sa/foo',
    })]]);
  });

  it('certs.validity judges a set without root-cert.pem by its chain alone', async () => {
    const leaf = mint.workload('carry-leaf', root, { keyType: 'p256', days: 1 });
    const set = mint.certsDir('carry-no-root', { chain: [leaf], key: leaf.keyPem, meshRoot: [root] });
    const now = new Date(Date.parse(leaf.x509.validFrom) + 3 * 86_400_000).toISOString();
    const { status, findings } = await run('certs.validity', ['--certs-dir', set.dir, '--mesh-root', set.meshRoot, '--now', now]);
    expect(status).toBe('fail');
    expect(findings.map((f) => `${f.code} ${f.file}`)).toEqual(['CERT_EXPIRED cert-chain.pem']);
  });
});

describe('certs.parse: the subject of a mesh root bundle that does not parse', () => {
  it('a file whose path holds "ConfigMap ns/name" is still the file, not a ConfigMap', async () => {
    for (const path of [join(tmp, 'saved ConfigMap istio-system', 'istio-ca-root-cert'), join(tmp, 'ConfigMap istio-system', 'istio-ca-root-cert old')]) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, 'not a certificate\n');
      const summary = await runDoctor(parseDoctorArgs(['--offline', '--certs-dir', FOO, '--mesh-root', path, '--now', NOW, '--only', 'certs.parse']));
      expect(summary.findings.filter((f) => f.code === 'CERT_PARSE_ERROR').map((f) => f.subject)).toEqual([{ kind: 'MeshRoot', path }]);
    }
  });
});
