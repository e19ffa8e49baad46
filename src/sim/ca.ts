/**
 * Certificate authorities of the simulation, minted with node-forge (minting only: see
 * ARCHITECTURE.md, PKI; forge signs with RSA only, and Istio accepts RSA workload keys).
 *
 * Keys are made once per process, off the main thread: `makeSimKeys()` asks Node's native generator
 * (async `generateKeyPair`, on libuv's thread pool) for the few keys a mesh needs, in parallel, so
 * that a spinner turns while they are made. Every workload leaf of a run shares one key (a leaf's
 * key is not what the doctor diagnoses: which certificate, which root, which identity is); a spare
 * key is the wrong key of the mismatched-key fault. A CA built without them (a test's
 * `new CertificateAuthority(...)`) makes its own, synchronously, on first use.
 *
 * - the mesh CA issues Istio-shaped workload certificates: empty subject, a critical SPIFFE URI
 *   SAN, EKU server+client, 24 h by default, from the root or from an intermediate (istiod with a
 *   plugged-in CA), as `security/pkg/pki/util` makes them;
 * - the API server CA signs the API server's serving certificate and the client-certificate user.
 */
import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

const { pki } = forge;

export interface KeyPair {
  keyPem: string;
  certPem: string;
}

export interface IssuedCert extends KeyPair {
  /** leaf + intermediates + root, as Istio writes cert-chain.pem */
  chainPem: string;
}

const HOUR = 3_600_000;

type RsaKey = forge.pki.rsa.PrivateKey;
const RSA_OPTIONS = { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } } as const;
const toForge = (pem: string) => pki.privateKeyFromPem(pem) as RsaKey;

function newRsaKey(): RsaKey {
  return toForge(generateKeyPairSync('rsa', RSA_OPTIONS).privateKey);
}

function newRsaKeyAsync(): Promise<RsaKey> {
  return new Promise((resolve, reject) => generateKeyPair('rsa', RSA_OPTIONS, (error, _pub, privateKey) => (error ? reject(error) : resolve(toForge(privateKey)))));
}

/**
 * The keys made in this process, by slot. A later mesh of the same process (a test suite starts
 * dozens, one at a time or side by side) takes the keys of the first instead of paying a second or
 * more of CPU for new ones: within one mesh every role still has its own key, and which key a
 * certificate holds is not what the doctor diagnoses.
 */
const keysBySlot: Promise<RsaKey>[] = [];
const keyOfSlot = (slot: number): Promise<RsaKey> => (keysBySlot[slot] ??= newRsaKeyAsync());

/** The keys one CA uses: its root's, its intermediate's, its leaves' and the spare (a key no certificate holds). */
export interface CaKeys {
  readonly root: RsaKey;
  readonly intermediate: RsaKey;
  readonly leaf: RsaKey;
  readonly spare: RsaKey;
}

/** Keys made on first use, synchronously (a CA a test builds on its own). */
class LazyKeys implements CaKeys {
  private readonly made = new Map<keyof CaKeys, RsaKey>();
  constructor(private readonly given: Partial<CaKeys> = {}) {}
  private key(role: keyof CaKeys): RsaKey {
    const given = this.given[role];
    if (given) return given;
    let key = this.made.get(role);
    if (!key) this.made.set(role, (key = newRsaKey()));
    return key;
  }
  get root() { return this.key('root'); }
  get intermediate() { return this.key('intermediate'); }
  get leaf() { return this.key('leaf'); }
  get spare() { return this.key('spare'); }
}

/** A run's keys: the mesh CA's, a foreign mesh's (the wrong-root fault) and the cluster CA's. */
export interface SimKeys {
  mesh: CaKeys;
  foreign: CaKeys;
  cluster: CaKeys;
}

/**
 * Makes a run's keys in parallel without blocking the event loop. `foreign` and `intermediate`
 * keys are made only when asked for (`needs`); one never made is made synchronously if a CA
 * uses it after all.
 */
export async function makeSimKeys(needs: { intermediate?: boolean; foreign?: boolean } = {}): Promise<SimKeys> {
  const count = 4 + (needs.intermediate ? 1 : 0) + (needs.foreign ? 2 : 0);
  const keys = await Promise.all(Array.from({ length: count }, (_, slot) => keyOfSlot(slot)));
  const [meshRoot, clusterRoot, leaf, spare, ...rest] = keys as [RsaKey, RsaKey, RsaKey, RsaKey, ...RsaKey[]];
  const meshIntermediate = needs.intermediate ? rest.shift() : undefined;
  const [foreignRoot, foreignIntermediate] = needs.foreign ? rest : [];
  const shared = { leaf, spare };
  return {
    mesh: new LazyKeys({ root: meshRoot, intermediate: meshIntermediate, ...shared }),
    foreign: new LazyKeys({ root: foreignRoot, intermediate: foreignIntermediate, ...shared }),
    cluster: new LazyKeys({ root: clusterRoot, ...shared }),
  };
}

function serial(): string {
  // positive, 16 bytes, as Istio's CA does
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

interface Authority {
  key: RsaKey;
  cert: forge.pki.Certificate;
}

function makeCaCert(subject: forge.pki.CertificateField[], key: RsaKey, issuer: Authority | undefined, validFrom: Date, years: number): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = serial();
  cert.validity.notBefore = validFrom;
  cert.validity.notAfter = new Date(validFrom.getTime() + years * 365 * 24 * HOUR);
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(issuer?.key ?? key, forge.md.sha256.create());
  return cert;
}

export class CertificateAuthority {
  readonly rootPem: string;
  private readonly root: Authority;
  private readonly issuer: Authority;
  private readonly intermediatePems: string[];

  /**
   * @param organization the root's O=, as Istio's self-signed root (`O=cluster.local`)
   * @param intermediate issue from an intermediate signed by the root
   */
  constructor(organization: string, intermediate: boolean, private readonly keys: CaKeys = new LazyKeys()) {
    const validFrom = new Date(Date.now() - 24 * HOUR);
    const rootKey = keys.root;
    this.root = { key: rootKey, cert: makeCaCert([{ name: 'organizationName', value: organization }], rootKey, undefined, validFrom, 10) };
    this.rootPem = pki.certificateToPem(this.root.cert);
    if (intermediate) {
      const key = keys.intermediate;
      const cert = makeCaCert([{ name: 'organizationName', value: organization }, { name: 'commonName', value: 'Intermediate CA' }], key, this.root, validFrom, 5);
      this.issuer = { key, cert };
      this.intermediatePems = [pki.certificateToPem(cert)];
    } else {
      this.issuer = this.root;
      this.intermediatePems = [];
    }
  }

  private readonly workloads = new Map<string, IssuedCert>();

  /** A private key that belongs to no certificate of this CA (the mismatched-key fault). */
  get spareKeyPem(): string {
    return pki.privateKeyToPem(this.keys.spare);
  }

  /** The current certificate of an identity: one per service account, as every pod of it shares the SPIFFE ID. */
  workloadCertFor(spiffeId: string): IssuedCert {
    let cert = this.workloads.get(spiffeId);
    if (!cert) this.workloads.set(spiffeId, (cert = this.issueWorkload(spiffeId)));
    return cert;
  }

  /** A workload certificate for spiffe://<trustDomain>/ns/<ns>/sa/<sa>. */
  issueWorkload(spiffeId: string, options: { notBefore?: Date; lifetimeMs?: number } = {}): IssuedCert {
    const key = this.keys.leaf;
    const notBefore = options.notBefore ?? new Date(Date.now() - 5 * 60_000);
    const cert = pki.createCertificate();
    cert.publicKey = pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = serial();
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = new Date(notBefore.getTime() + (options.lifetimeMs ?? 24 * HOUR));
    cert.setSubject([]);
    cert.setIssuer(this.issuer.cert.subject.attributes);
    cert.setExtensions([
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.issuer.cert.generateSubjectKeyIdentifier().getBytes() },
      { name: 'subjectAltName', critical: true, altNames: [{ type: 6, value: spiffeId }] },
    ]);
    cert.sign(this.issuer.key, forge.md.sha256.create());
    const certPem = pki.certificateToPem(cert);
    return { certPem, keyPem: pki.privateKeyToPem(key), chainPem: [certPem, ...this.intermediatePems, this.rootPem].join('') };
  }

  /** A TLS server or client certificate with DNS/IP SANs (the API server, its client-certificate user). */
  issueTls(commonName: string, options: { dns?: string[]; ips?: string[]; organization?: string } = {}): KeyPair {
    const key = this.keys.leaf;
    const cert = pki.createCertificate();
    cert.publicKey = pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - HOUR);
    cert.validity.notAfter = new Date(Date.now() + 365 * 24 * HOUR);
    cert.setSubject([{ name: 'commonName', value: commonName }, ...(options.organization ? [{ name: 'organizationName', value: options.organization }] : [])]);
    cert.setIssuer(this.issuer.cert.subject.attributes);
    const altNames = [...(options.dns ?? []).map((value) => ({ type: 2, value })), ...(options.ips ?? []).map((ip) => ({ type: 7, ip }))];
    cert.setExtensions([
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
    ]);
    cert.sign(this.issuer.key, forge.md.sha256.create());
    return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(key) };
  }
}
