/**
 * Certificate authorities of the simulation, minted with node-forge (minting only: see
 * ARCHITECTURE.md, PKI). Keys come from Node's native RSA generator, which is fast enough to make
 * a few dozen of them at start.
 *
 * - the mesh CA issues Istio-shaped workload certificates: empty subject, a critical SPIFFE URI
 *   SAN, EKU server+client, 24 h by default, from the root or from an intermediate (istiod with a
 *   plugged-in CA), as `security/pkg/pki/util` makes them;
 * - the API server CA signs the API server's serving certificate and the client-certificate user.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
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

function newRsaKey(): forge.pki.rsa.PrivateKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
}

function serial(): string {
  // positive, 16 bytes, as Istio's CA does
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

interface Authority {
  key: forge.pki.rsa.PrivateKey;
  cert: forge.pki.Certificate;
}

function makeCaCert(subject: forge.pki.CertificateField[], key: forge.pki.rsa.PrivateKey, issuer: Authority | undefined, validFrom: Date, years: number): forge.pki.Certificate {
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
  constructor(organization: string, intermediate: boolean) {
    const validFrom = new Date(Date.now() - 24 * HOUR);
    const rootKey = newRsaKey();
    this.root = { key: rootKey, cert: makeCaCert([{ name: 'organizationName', value: organization }], rootKey, undefined, validFrom, 10) };
    this.rootPem = pki.certificateToPem(this.root.cert);
    if (intermediate) {
      const key = newRsaKey();
      const cert = makeCaCert([{ name: 'organizationName', value: organization }, { name: 'commonName', value: 'Intermediate CA' }], key, this.root, validFrom, 5);
      this.issuer = { key, cert };
      this.intermediatePems = [pki.certificateToPem(cert)];
    } else {
      this.issuer = this.root;
      this.intermediatePems = [];
    }
  }

  private readonly workloads = new Map<string, IssuedCert>();

  /** The current certificate of an identity: one per service account, as every pod of it shares the SPIFFE ID. */
  workloadCertFor(spiffeId: string): IssuedCert {
    let cert = this.workloads.get(spiffeId);
    if (!cert) this.workloads.set(spiffeId, (cert = this.issueWorkload(spiffeId)));
    return cert;
  }

  /** A workload certificate for spiffe://<trustDomain>/ns/<ns>/sa/<sa>. */
  issueWorkload(spiffeId: string, options: { notBefore?: Date; lifetimeMs?: number } = {}): IssuedCert {
    const key = newRsaKey();
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
    const key = newRsaKey();
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
