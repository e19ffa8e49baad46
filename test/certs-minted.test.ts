/**
 * The certs.* checks on certificates minted at test time (RSA and ECDSA, Istio-shaped leaves), with
 * --now pinned relative to the minted validity; and the rule that no key byte reaches any reporter.
 */
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { REPORTERS } from '../src/reporters/index.js';
import { runDoctor, type RunSummary } from '../src/index.js';
import { Mint, type Issued, type KeyType } from './certs-mint.js';

const mint = new Mint();

async function doctor(set: { dir: string; meshRoot: string }, now: Date, ...extra: string[]): Promise<RunSummary> {
  return runDoctor(parseDoctorArgs(['--offline', '--certs-dir', set.dir, '--mesh-root', set.meshRoot, '--now', now.toISOString(), '--only', 'certs.*', ...extra]));
}

/** `CODE file` of every warning and error, for compact expectations. */
function problems(summary: RunSummary): string[] {
  expect(summary.checks.filter((c) => c.status === 'crash')).toEqual([]);
  return summary.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.subject.path?.split('/').pop()}`).sort();
}

const at = (cert: X509Certificate, fraction: number) => {
  const start = new Date(cert.validFrom).getTime();
  return new Date(start + fraction * (new Date(cert.validTo).getTime() - start));
};

describe.each<[string, KeyType]>([['RSA', 'rsa'], ['ECDSA P-256', 'p256'], ['ECDSA P-384', 'p384']])('a healthy %s mesh', (_label, keyType) => {
  let root: Issued, ica: Issued, leaf: Issued;
  beforeAll(() => {
    root = mint.root(`root-${keyType}`, keyType);
    ica = mint.intermediate(`ica-${keyType}`, root, { keyType });
    leaf = mint.workload(`leaf-${keyType}`, ica, { keyType });
  });

  it('gives no finding, with the root in cert-chain.pem as Istio writes it, or without', async () => {
    const withRoot = mint.certsDir(`ok-root-${keyType}`, { root: [root], chain: [leaf, ica, root], key: leaf.keyPem });
    const withoutRoot = mint.certsDir(`ok-noroot-${keyType}`, { root: [root], chain: [leaf, ica], key: mint.traditionalKey(leaf) });
    expect(problems(await doctor(withRoot, at(leaf.x509, 0.3)))).toEqual([]);
    expect(problems(await doctor(withoutRoot, at(leaf.x509, 0.3)))).toEqual([]);
  });

  it('states the leaf facts in JSON', async () => {
    const set = mint.certsDir(`facts-${keyType}`, { root: [root], chain: [leaf, ica, root], key: leaf.keyPem });
    const summary = await doctor(set, at(leaf.x509, 0.5));
    const facts = summary.checks.find((c) => c.id === 'certs.parse')?.facts?.[set.dir] as Record<string, unknown>;
    expect(facts).toMatchObject({
      spiffeId: 'spiffe://cluster.local/ns/monitoring/sa/prometheus',
      keyType: keyType === 'rsa' ? 'RSA-2048' : keyType === 'p256' ? 'ECDSA P-256' : 'ECDSA P-384',
      timeLeft: '12h 0m',
    });
  });

  it('judges validity at --now: expired, not yet valid, rotation overdue', async () => {
    const set = mint.certsDir(`dates-${keyType}`, { root: [root], chain: [leaf, ica], key: leaf.keyPem });
    expect(problems(await doctor(set, at(leaf.x509, 1.1)))).toEqual(['CERT_EXPIRED cert-chain.pem']);
    // Root, intermediate and leaf were minted in the same second: before it, none is valid yet.
    expect(problems(await doctor(set, at(leaf.x509, -0.1)))).toEqual(['CERT_NOT_YET_VALID cert-chain.pem', 'CERT_NOT_YET_VALID cert-chain.pem', 'CERT_NOT_YET_VALID root-cert.pem']);
    expect(problems(await doctor(set, at(leaf.x509, 0.8)))).toEqual(['CERT_NOT_ROTATED cert-chain.pem']);
    expect(problems(await doctor(set, at(leaf.x509, 0.7)))).toEqual([]);
  });
});

describe('broken sets', () => {
  let root: Issued, otherRoot: Issued, ica: Issued, leaf: Issued;
  beforeAll(() => {
    root = mint.root('b-root');
    otherRoot = mint.root('b-root-other', 'p256', { subject: '/O=cluster.local/CN=b-root' });
    ica = mint.intermediate('b-ica', root);
    leaf = mint.workload('b-leaf', ica);
  });

  it('an intermediate missing from cert-chain.pem', async () => {
    const summary = await doctor(mint.certsDir('no-ica', { root: [root], chain: [leaf], key: leaf.keyPem }), at(leaf.x509, 0.2));
    expect(problems(summary)).toEqual(['CHAIN_BROKEN cert-chain.pem']);
    expect(summary.findings[0]!.evidence.reason).toMatch(/unknown issuer.*intermediate missing/);
  });

  it('an intermediate that is not a CA', async () => {
    const notCa = mint.intermediate('b-ica-not-ca', root, { extensions: 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign,digitalSignature\n' });
    const badLeaf = mint.workload('b-leaf-under-not-ca', notCa);
    const summary = await doctor(mint.certsDir('not-ca', { root: [root], chain: [badLeaf, notCa], key: badLeaf.keyPem }), at(badLeaf.x509, 0.2));
    expect(problems(summary)).toEqual(['CHAIN_BROKEN cert-chain.pem']);
    expect(summary.findings[0]!.evidence.reason).toMatch(/not a CA/);
  });

  it('a wrong root with the same name: ROOT_MISMATCH and CHAIN_BROKEN, found by key, not by name', async () => {
    const summary = await doctor(mint.certsDir('wrong-root', { root: [otherRoot], chain: [leaf, ica], key: leaf.keyPem, meshRoot: [root] }), at(leaf.x509, 0.2));
    expect(problems(summary)).toEqual(['CHAIN_BROKEN cert-chain.pem', 'ROOT_MISMATCH root-cert.pem']);
  });

  it('a multi-root bundle during a rotation is fine, on either side', async () => {
    const newRoot = mint.root('b-root-new', 'p384');
    const newIca = mint.intermediate('b-ica-new', newRoot, { keyType: 'p384' });
    const newLeaf = mint.workload('b-leaf-new', newIca, { keyType: 'p256' });
    const set = mint.certsDir('rotation', { root: [root, newRoot], chain: [newLeaf, newIca, newRoot], key: newLeaf.keyPem, meshRoot: [root] });
    expect(problems(await doctor(set, at(newLeaf.x509, 0.2)))).toEqual([]);
  });

  it('an expired intermediate under a valid leaf', async () => {
    const shortIca = mint.intermediate('b-ica-short', root, { days: 1 });
    const longLeaf = mint.workload('b-leaf-long', shortIca, { days: 2 });
    const summary = await doctor(mint.certsDir('expired-ica', { root: [root], chain: [longLeaf, shortIca], key: longLeaf.keyPem }), at(longLeaf.x509, 0.7));
    expect(problems(summary)).toEqual(['CERT_EXPIRED cert-chain.pem']);
    expect(summary.findings[0]!.message).toMatch(/^the intermediate "b-ica-short" expired/);
  });

  it('a key of another pair, and of another type', async () => {
    const other = mint.workload('b-leaf-other', ica, { keyType: 'p256' });
    const summary = await doctor(mint.certsDir('mismatch', { root: [root], chain: [leaf, ica], key: other.keyPem }), at(leaf.x509, 0.2));
    expect(problems(summary)).toEqual(['KEY_MISMATCH key.pem']);
    expect(summary.findings[0]!.evidence).toMatchObject({ leafKeyType: 'RSA-2048', keyType: 'ECDSA P-256' });
  });

  it('missing and empty files, naming which', async () => {
    const set = mint.certsDir('missing', { chain: [leaf, ica], key: '  \n', meshRoot: [root] });
    expect(problems(await doctor(set, at(leaf.x509, 0.2)))).toEqual(['CERT_FILE_MISSING key.pem', 'CERT_FILE_MISSING root-cert.pem']);
  });
});

describe('key material never reaches a report', () => {
  it('in no reporter, whatever is wrong with key.pem', async () => {
    const root = mint.root('k-root');
    const leaf = mint.workload('k-leaf', root);
    const other = mint.workload('k-other', root, { keyType: 'p256' });
    const bodyLines = (pem: string) => pem.split('\n').filter((l) => /^[A-Za-z0-9+/=]{16,}$/.test(l));
    const [first, ...rest] = bodyLines(leaf.keyPem);
    const brokenKeys = {
      mismatched: other.keyPem,
      traditional: mint.traditionalKey(other),
      corrupted: leaf.keyPem.replace(first!, `${first!.slice(0, 10)}!!${first!.slice(12)}`),
      truncated: leaf.keyPem.slice(0, leaf.keyPem.length / 2),
      notDer: `-----BEGIN PRIVATE KEY-----\n${rest.join('\n')}\n-----END PRIVATE KEY-----\n`,
      encrypted: `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${rest.join('\n')}\n-----END RSA PRIVATE KEY-----\n`,
      inTheChain: leaf.pem + leaf.keyPem,
    };
    // What each key file is, as Go's tls.X509KeyPair judges it: a key that is not the certificate's
    // is KEY_MISMATCH, bytes that are no usable key are CERT_PARSE_ERROR; a key block inside
    // cert-chain.pem is skipped by Go (non-CERTIFICATE blocks), so that set is sound.
    const KEY_PROBLEMS: Record<keyof typeof brokenKeys, string[]> = {
      mismatched: ['KEY_MISMATCH key.pem'],
      traditional: ['KEY_MISMATCH key.pem'],
      corrupted: ['CERT_PARSE_ERROR key.pem'],
      truncated: ['CERT_PARSE_ERROR key.pem'],
      notDer: ['CERT_PARSE_ERROR key.pem'],
      encrypted: ['CERT_PARSE_ERROR key.pem'],
      inTheChain: [],
    };
    for (const [name, keyPem] of Object.entries(brokenKeys) as [keyof typeof brokenKeys, string][]) {
      const chain = name === 'inTheChain' ? keyPem : leaf.pem;
      const set = mint.certsDir(`keys-${name}`, { root: [root], key: name === 'inTheChain' ? leaf.keyPem : keyPem });
      await import('node:fs').then((fs) => fs.writeFileSync(`${set.dir}/cert-chain.pem`, chain));
      const summary = await doctor(set, at(leaf.x509, 0.2), '--verbose');
      expect(problems(summary), name).toEqual(KEY_PROBLEMS[name]);
      const secrets = [...bodyLines(keyPem), ...bodyLines(leaf.keyPem), ...bodyLines(other.keyPem)];
      for (const [format, render] of Object.entries(REPORTERS)) {
        const output = render(summary, { color: false, verbose: true });
        for (const line of secrets) expect(output.includes(line), `${format} output of ${name} holds a key line`).toBe(false);
        expect(output, `${format} output of ${name}`).not.toMatch(/PRIVATE KEY-----/);
      }
    }
  });
});
