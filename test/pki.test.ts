/** src/pki and the cert-files source on real upstream material (Istio, Prometheus) and minted keys. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { certsChecks } from '../checks/certs/index.js';
import { ResourceStore } from '../src/core/resources.js';
import { runChecks } from '../src/core/runner.js';
import {
  keyTypeOf, parseCertificates, parsePrivateKey, parseSpiffeId, PemError, sameAnchor, spiffeIdOf, verifyChain,
} from '../src/pki/index.js';
import { readCertsDir, type CertFs } from '../src/sources/cert-files.js';
import { Mint } from './certs-mint.js';
import { upstream } from './helpers/fixtures.js';

const read = (path: string) => readFileSync(upstream(path), 'utf8');
const samples = (file: string) => read(`istio/samples/certs/${file}`);
const dns = (file: string) => read(`istio/tests/testdata/certs/dns/${file}`);

describe('PEM reading', () => {
  it('skips text before a block (Prometheus ca.cer starts with `openssl x509 -text` output)', () => {
    const certs = parseCertificates(read('prometheus/scrape/testdata/ca.cer'));
    expect(certs).toHaveLength(1);
    expect(certs[0]!.subject).toContain('Prometheus Test CA');
  });

  it('reads several certificates, drops duplicates, accepts CRLF', () => {
    expect(parseCertificates(samples('workload-foo-cert.pem'))).toHaveLength(2);
    expect(parseCertificates(samples('root-cert-combined-2.pem')).length).toBeLessThan(samples('root-cert-combined-2.pem').split('BEGIN CERTIFICATE').length - 1);
    const crlf = `junk\r\n${samples('root-cert-combined.pem').replaceAll('\n', '\r\n')}\r\ntrailer`;
    expect(parseCertificates(crlf)).toHaveLength(2);
  });

  it('says why a file is not a certificate', () => {
    expect(() => parseCertificates('hello')).toThrow(new PemError('no PEM CERTIFICATE block'));
    expect(() => parseCertificates(samples('root-cert.pem').slice(0, 400))).toThrow(/truncated/);
    expect(() => parseCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(/not a valid X.509/);
  });

  it('reads PKCS#1, PKCS#8 and SEC1 keys, RSA and ECDSA P-256/P-384', () => {
    expect(keyTypeOf(parsePrivateKey(samples('workload-foo-key.pem')))).toBe('RSA-2048'); // PKCS#1
    expect(keyTypeOf(parsePrivateKey(samples('ca-key-alt.pem')))).toBe('RSA-4096'); // PKCS#8
    const mint = new Mint();
    const root = mint.root('pem-root', 'p256');
    for (const keyType of ['p256', 'p384'] as const) {
      const leaf = mint.workload(`pem-${keyType}`, root, { keyType });
      const sec1 = mint.traditionalKey(leaf);
      expect(sec1).toMatch(/BEGIN EC PRIVATE KEY/);
      expect(leaf.x509.checkPrivateKey(parsePrivateKey(sec1))).toBe(true);
      expect(keyTypeOf(parsePrivateKey(leaf.keyPem))).toBe(keyType === 'p256' ? 'ECDSA P-256' : 'ECDSA P-384');
    }
  });

  it('rejects what is not a usable key, without quoting it', () => {
    const key = samples('workload-foo-key.pem');
    expect(() => parsePrivateKey(samples('root-cert.pem'))).toThrow(/no PEM private key block.*found CERTIFICATE/);
    expect(() => parsePrivateKey(key.replace('RSA PRIVATE', 'EC PRIVATE').replace('RSA PRIVATE', 'EC PRIVATE'))).toThrow(/does not decode as a SEC1/);
    const error = (() => { try { parsePrivateKey(key.slice(0, 300)); } catch (e) { return e as Error; } })();
    expect(error?.message).toMatch(/truncated/);
    expect(error?.message).not.toContain(key.split('\n')[1]!.slice(0, 20));
  });
});

describe('certificate facts', () => {
  it('reads the SPIFFE ID of an Istio leaf with an empty subject', () => {
    const [leaf] = parseCertificates(samples('workload-foo-cert.pem'));
    expect(leaf!.subject).toBeUndefined();
    expect(spiffeIdOf(leaf!)).toBe('spiffe://trust-domain-foo/ns/foo/sa/foo');
    expect(parseSpiffeId('spiffe://trust-domain-foo/ns/foo/sa/foo')).toEqual({ trustDomain: 'trust-domain-foo', namespace: 'foo', serviceAccount: 'foo' });
    expect(spiffeIdOf(parseCertificates(samples('root-cert.pem'))[0]!)).toBeUndefined();
  });

  it('tells roots apart by key, not by name (CN=cluster.local twice, two keys)', () => {
    const [real] = parseCertificates(dns('root-cert.pem'));
    const [fake] = parseCertificates(dns('fake-root-cert.pem'));
    expect(real!.subject).toBe(fake!.subject);
    expect(sameAnchor(real!, fake!)).toBe(false);
    expect(sameAnchor(real!, parseCertificates(dns('root-cert.pem'))[0]!)).toBe(true);
  });

  it('finds the known mismatched upstream pair ca-cert-alt-2 / ca-key-alt-2', () => {
    const [cert] = parseCertificates(samples('ca-cert-alt-2.pem'));
    expect(cert!.checkPrivateKey(parsePrivateKey(samples('ca-key-alt-2.pem')))).toBe(false);
    expect(cert!.checkPrivateKey(parsePrivateKey(samples('ca-key-alt.pem')))).toBe(false);
    expect(parseCertificates(samples('ca-cert-alt.pem'))[0]!.checkPrivateKey(parsePrivateKey(samples('ca-key-alt.pem')))).toBe(true);
  });
});

describe('verifyChain (OpenSSL)', () => {
  const [fooLeaf, fooIca] = parseCertificates(samples('workload-foo-cert.pem'));
  const root = parseCertificates(samples('root-cert.pem'));
  const at = new Date('2026-01-01T00:00:00Z');

  it("accepts Istio's sample CA, though it fails strict RFC 5280 checks", async () => {
    expect(await verifyChain({ leaf: fooLeaf!, intermediates: [fooIca!], roots: root, time: at, purpose: 'sslclient' })).toEqual({ ok: true });
    expect(await verifyChain({ leaf: fooLeaf!, intermediates: [fooIca!], roots: parseCertificates(samples('root-cert-combined.pem')), time: at, purpose: 'sslserver' })).toEqual({ ok: true });
  });

  it('names the OpenSSL reason: unknown issuer, missing intermediate, bad signature', async () => {
    const wrongRoot = await verifyChain({ leaf: fooLeaf!, intermediates: [fooIca!], roots: parseCertificates(samples('root-cert-alt.pem')), time: at, purpose: 'sslclient' });
    expect(wrongRoot).toMatchObject({ ok: false, errors: [{ code: 20, name: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', depth: 1 }] });
    const noIca = await verifyChain({ leaf: fooLeaf!, intermediates: [], roots: root, time: at, purpose: 'sslclient' });
    expect(noIca).toMatchObject({ ok: false, errors: [{ code: 20, depth: 0, reason: expect.stringMatching(/intermediate missing/) }] });
    const [dnsLeaf] = parseCertificates(dns('cert-chain.pem'));
    const impostor = await verifyChain({ leaf: dnsLeaf!, intermediates: [], roots: parseCertificates(dns('fake-root-cert.pem')), time: at, purpose: 'sslclient' });
    expect(impostor).toMatchObject({ ok: false, errors: [{ code: 7, name: 'CERT_SIGNATURE_FAILURE', reason: expect.stringMatching(/bad signature/) }] });
  });

  it('judges time at the instant given, or not at all', async () => {
    const later = new Date('2040-01-01T00:00:00Z');
    expect(await verifyChain({ leaf: fooLeaf!, intermediates: [fooIca!], roots: root, time: later, purpose: 'sslclient' })).toMatchObject({ ok: false, errors: [{ code: 10 }] });
    expect(await verifyChain({ leaf: fooLeaf!, intermediates: [fooIca!], roots: root, time: 'ignore', purpose: 'sslclient' })).toEqual({ ok: true });
  });
});

describe('the cert-files source', () => {
  const denied = (path: string) => Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
  const unreadableKey: CertFs = {
    readFile: async (path) => {
      if (path.endsWith('key.pem')) throw denied(path);
      return readFileSync(path, 'utf8');
    },
    stat: async () => ({ mode: 0o100600, uid: 1337 }),
  };
  const dir = upstream('istio/tests/testdata/certs/dns');

  it('reads a folder: ok files with their text, an unreadable one with mode, owner and reader', async () => {
    const set = await readCertsDir(dir, unreadableKey);
    expect(set.files['root-cert.pem']).toMatchObject({ state: 'ok', path: `${dir}/root-cert.pem` });
    expect(set.files['key.pem']).toEqual({ name: 'key.pem', path: `${dir}/key.pem`, state: 'unreadable', mode: '0600', owner: '1337' });
    expect(set.readerUid).toBe(String(process.getuid!()));
  });

  it('makes CERT_FILE_UNREADABLE, not CERT_FILE_MISSING, of it', async () => {
    const store = new ResourceStore({ certFiles: async () => [await readCertsDir(dir, unreadableKey)] });
    const { findings } = await runChecks(certsChecks, store, {
      now: new Date('2026-01-01T00:00:00Z'), timeoutMs: 5000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 30_000,
    });
    expect(findings.map((f) => f.code)).toEqual(['CERT_FILE_UNREADABLE']);
    expect(findings[0]!.message).toBe(`key.pem exists but cannot be read by uid ${process.getuid!()} (mode 0600, owner 1337)`);
    expect(findings[0]!.subject).toMatchObject({ path: `${dir}/key.pem` });
  });
});
