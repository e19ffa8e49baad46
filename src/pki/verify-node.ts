/**
 * The chain verdict without an `openssl` binary (slim container images): OpenSSL 3.0's
 * X509_verify_cert, as `openssl verify` runs it, replayed step by step on Node's embedded OpenSSL
 * (signatures with X509Certificate.verify, keys and dates from X509Certificate) and a DER reading of
 * the extensions Node does not expose (see der.ts). It reports the same X509_V_ERR codes at the same
 * depths, and continues past the same errors as `openssl verify` does:
 *
 * 1. build the path, trusted roots first (X509_V_FLAG_TRUSTED_FIRST): an issuer has the subject's
 *    issuer name, a matching authority key identifier and a key of the signature's algorithm; one
 *    valid at the time is preferred. Trusted means ending in a self-signed trusted root. Failures:
 *    22 too long, 18 a lone self-signed leaf, 19 an untrusted self-signed root, 2 a trusted
 *    certificate that is no root, 20 an issuer found nowhere;
 * 2. per certificate, leaf first: 34 an unsupported critical extension, 79 an issuer that is no CA
 *    (basicConstraints, keyUsage keyCertSign; v1 or keyUsage-only roots are tolerated at the top),
 *    26 a purpose the extended key usage (or key usage, or nsCertType) forbids, 25 a path longer
 *    than a pathLenConstraint;
 * 3. top down: 7 a signature the issuer's key did not make, 9 / 10 not yet valid / expired at the
 *    time given (also the root's), none with `time: 'ignore'`.
 *
 * Why not a TLS handshake over a socket pair: it needs the leaf's private key (absent from every
 * chain the limbo suite has, and missing or mismatched exactly when the doctor diagnoses), it judges
 * dates by the real clock only (never `--now`), and it reports one alert, not the reasons. Name
 * constraints (never in a mesh CA) are not replayed: a chain with them is left to `openssl`, with
 * that reason, rather than judged wrongly.
 */
import type { X509Certificate } from 'node:crypto';
import { Unavailable } from '../core/resources.js';
import { certFacts, directoryNameOf, OID, SUPPORTED_EXTENSIONS, type CertFacts } from './der.js';
import { notAfter, notBefore } from './inspect.js';
import type { ChainError, ChainInput, ChainVerdict } from './verify.js';

interface Node {
  cert: X509Certificate;
  facts: CertFacts;
}

/** X509_verify_cert_error_string (OpenSSL 3.0) of the codes reported here. */
const TEXTS: Record<number, string> = {
  2: 'unable to get issuer certificate',
  6: 'unable to decode issuer public key',
  7: 'certificate signature failure',
  9: 'certificate is not yet valid',
  10: 'certificate has expired',
  18: 'self-signed certificate',
  19: 'self-signed certificate in certificate chain',
  20: 'unable to get local issuer certificate',
  21: 'unable to verify the first certificate',
  22: 'certificate chain too long',
  25: 'path length constraint exceeded',
  26: 'unsuitable certificate purpose',
  34: 'unhandled critical extension',
  79: 'invalid CA certificate',
};

/** Errors `openssl verify` reports and continues past (apps/verify.c, its callback). */
const CONTINUES = new Set([10, 18, 79, 25, 34, 26]);

/** Verification stopped at an error that `openssl verify` does not continue past. */
class Stop extends Error {}

const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', nsSgc: '2.16.840.1.113730.4.1', msSgc: '1.3.6.1.4.1.311.10.3.3' };
const KU = { digitalSignature: 0, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5 };
const NS = { sslClient: 0, sslServer: 1, sslCa: 5, anyCa: [5, 6, 7] };

export function verifyChainInNode(input: ChainInput, report: (code: number, depth: number, text: string) => ChainError): ChainVerdict {
  const errors: ChainError[] = [];
  const fail = (code: number, depth: number) => {
    errors.push(report(code, depth, TEXTS[code] ?? `error ${code}`));
    if (!CONTINUES.has(code)) throw new Stop();
  };
  const node = (cert: X509Certificate): Node => ({ cert, facts: certFacts(cert.raw) });
  try {
    const chain = buildChain(input, node, fail);
    if (chain.some((n, i) => i > 0 && n.facts.extensions.some((e) => e.oid === OID.nameConstraints)))
      throw new Unavailable('the chain has name constraints: only the openssl command judges them');
    checkChain(chain, input.purpose, fail);
    internalVerify(chain, input.time, fail);
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
  }
  return errors.length ? { ok: false, errors } : { ok: true };
}

const sameBytes = (a: Buffer | undefined, b: Buffer | undefined) => Boolean(a && b && a.equals(b));

/** The key type a signature algorithm needs (check_sig_alg_match). */
function keyTypesFor(signatureOid: string): string[] | undefined {
  if (signatureOid === '1.2.840.113549.1.1.10') return ['rsa', 'rsa-pss'];
  if (signatureOid.startsWith('1.2.840.113549.1.1.')) return ['rsa'];
  if (signatureOid.startsWith('1.2.840.10045.4.')) return ['ec'];
  if (signatureOid === '1.3.101.112') return ['ed25519'];
  if (signatureOid === '1.3.101.113') return ['ed448'];
  if (signatureOid.startsWith('1.2.840.10040.4.') || signatureOid.startsWith('2.16.840.1.101.3.4.3.')) return ['dsa'];
  return undefined;
}

/** X509_check_akid: the subject's authority key identifier does not rule the issuer out. */
function akidMatches(issuer: Node, subject: Node): boolean {
  const aki = subject.facts.authorityKeyId;
  if (!aki) return true;
  if (aki.keyId && issuer.facts.subjectKeyId && !aki.keyId.equals(issuer.facts.subjectKeyId)) return false;
  if (aki.serial && !sameBytes(aki.serial, issuer.facts.serial)) return false;
  if (aki.issuer) {
    const name = directoryNameOf(aki.issuer);
    if (name && !name.equals(issuer.facts.issuer)) return false;
  }
  return true;
}

/**
 * X509_check_issued: names, key identifier and key type agree, the issuer's keyUsage (if any) allows
 * certificate signing, and neither has extensions OpenSSL cannot read (no signature check yet).
 */
function likelyIssued(issuer: Node, subject: Node): boolean {
  if (!sameName(issuer.facts.subject, subject.facts.issuer, issuer.cert.subject, subject.cert.issuer)) return false;
  if (issuer.facts.invalid || subject.facts.invalid) return false;
  if (!akidMatches(issuer, subject)) return false;
  if (issuer !== subject && issuer.facts.keyUsage && !issuer.facts.keyUsage(KU.keyCertSign)) return false;
  const wanted = keyTypesFor(subject.facts.signatureAlgorithm);
  let type: string | undefined;
  try {
    type = issuer.cert.publicKey.asymmetricKeyType;
  } catch {
    return false;
  }
  return !wanted || (type !== undefined && wanted.includes(type));
}

/** X509_NAME_cmp compares canonical encodings: the same DER, or the same text up to case and spaces. */
function sameName(a: Buffer, b: Buffer, aText: string | undefined, bText: string | undefined): boolean {
  if (a.equals(b)) return true;
  const canon = (s: string | undefined) => (s ?? '').toLowerCase().replace(/\s+/g, ' ').trim();
  return canon(aText) === canon(bText);
}

const selfIssued = (n: Node) => sameName(n.facts.subject, n.facts.issuer, n.cert.subject, n.cert.issuer);
/** EXFLAG_SS: self-issued with its own key identifier and key type */
const selfSigned = (n: Node) => selfIssued(n) && likelyIssued(n, n);

function validAt(n: Node, time: Date | 'ignore'): boolean {
  return time === 'ignore' || (notBefore(n.cert) <= time && time <= notAfter(n.cert));
}

/** find_issuer: the first candidate valid at the time, else the one that expires last. */
function findIssuer(candidates: readonly Node[], subject: Node, chain: readonly Node[], time: Date | 'ignore'): Node | undefined {
  let best: Node | undefined;
  for (const candidate of candidates) {
    if (!likelyIssued(candidate, subject)) continue;
    const inChain = chain.some((c) => c.cert.fingerprint256 === candidate.cert.fingerprint256);
    if (inChain && !(selfIssued(subject) && chain.length === 1)) continue;
    if (validAt(candidate, time)) return candidate;
    if (!best || notAfter(candidate.cert) > notAfter(best.cert)) best = candidate;
  }
  return best;
}

function buildChain(input: ChainInput, node: (c: X509Certificate) => Node, fail: (code: number, depth: number) => void) {
  const roots = input.roots.map(node);
  const untrusted = input.intermediates.map(node);
  const leaf = node(input.leaf);
  const chain: Node[] = [leaf];
  let numUntrusted = 1;
  const maxLength = (input.maxDepth ?? 100) + 2;
  let trusted = false;
  while (!trusted) {
    const last = chain[chain.length - 1]!;
    const inTrusted = chain.length > numUntrusted;
    if (inTrusted) {
      if (selfSigned(last)) {
        trusted = true;
        break;
      }
    } else if (selfSigned(last)) {
      // An untrusted self-signed certificate is trusted only as an exact copy of a root: a root
      // with its name (a mimic) is no issuer of it.
      const copy = roots.find((r) => r.cert.fingerprint256 === last.cert.fingerprint256);
      if (!copy) break;
      chain[chain.length - 1] = copy;
      numUntrusted -= 1;
      continue;
    } else {
      const anchor = findIssuer(roots, last, chain, input.time);
      if (anchor) {
        if (chain.length >= maxLength) break;
        chain.push(anchor);
        continue;
      }
    }
    if (chain.length >= maxLength) break;
    const issuer = findIssuer(inTrusted ? roots : untrusted, last, chain, input.time);
    if (!issuer) break;
    chain.push(issuer);
    if (!inTrusted) numUntrusted += 1;
  }
  if (!trusted) {
    const num = chain.length;
    const last = chain[num - 1]!;
    const more = !selfSigned(last) && findIssuer(chain.length > numUntrusted ? roots : [...roots, ...untrusted], last, chain, input.time);
    if (num >= maxLength && more) fail(22, num - 1);
    else if (selfSigned(last) && num === 1) fail(18, 0);
    else if (selfSigned(last)) fail(19, num - 1);
    else if (numUntrusted < num) fail(2, num - 1);
    else fail(20, num - 1);
  }
  return chain;
}

/** check_ca: 0 not a CA, 1 basicConstraints CA, 3 a v1 root, 4 keyUsage without basicConstraints, 5 nsCertType CA. */
function checkCa(n: Node): number {
  const f = n.facts;
  if (f.invalid) return 0;
  if (f.keyUsage && !f.keyUsage(KU.keyCertSign)) return 0;
  if (f.basicConstraints) return f.basicConstraints.ca ? 1 : 0;
  if (f.version === 1 && selfSigned(n)) return 3;
  if (f.keyUsage) return 4;
  if (f.nsCertType && NS.anyCa.some((b) => f.nsCertType!(b))) return 5;
  return 0;
}

/** X509_check_purpose for sslserver / sslclient (check_purpose_ssl_server / _client). */
function purposeAllows(n: Node, purpose: ChainInput['purpose'], asCa: boolean): boolean {
  const f = n.facts;
  if (f.invalid) return true; // extensions OpenSSL cannot cache: "unknown", tolerated without -x509_strict
  const server = purpose === 'sslserver';
  if (f.extKeyUsage) {
    const allowed = server ? [EKU.serverAuth, EKU.nsSgc, EKU.msSgc] : [EKU.clientAuth];
    if (!f.extKeyUsage.some((o) => allowed.includes(o))) return false;
  }
  if (asCa) {
    const ca = checkCa(n);
    return ca !== 0 && (ca !== 5 || f.nsCertType!(NS.sslCa));
  }
  if (f.nsCertType && !f.nsCertType(server ? NS.sslServer : NS.sslClient)) return false;
  const usages = server ? [KU.digitalSignature, KU.keyEncipherment, KU.keyAgreement] : [KU.digitalSignature, KU.keyAgreement];
  return !f.keyUsage || usages.some((b) => f.keyUsage!(b));
}

function checkChain(chain: readonly Node[], purpose: ChainInput['purpose'], fail: (code: number, depth: number) => void): void {
  let plen = 0;
  chain.forEach((n, i) => {
    if (n.facts.extensions.some((e) => e.critical && !SUPPORTED_EXTENSIONS.has(e.oid))) fail(34, i);
    if (i > 0) {
      const ca = checkCa(n);
      if (ca === 0 || (i + 1 < chain.length && ca !== 1)) fail(79, i);
    }
    if (!purposeAllows(n, purpose, i > 0)) fail(26, i);
    const pathLen = n.facts.basicConstraints?.pathLen;
    if (i > 1 && !selfIssued(n) && pathLen !== undefined && plen > pathLen) fail(25, i);
    if (i > 0 && !selfIssued(n)) plen += 1;
  });
}

function internalVerify(chain: readonly Node[], time: Date | 'ignore', fail: (code: number, depth: number) => void): void {
  let n = chain.length - 1;
  let issuer = chain[n]!;
  let subject = issuer;
  if (!likelyIssued(issuer, issuer)) {
    if (n <= 0) {
      fail(21, 0);
      n = -1;
    } else {
      n -= 1;
      subject = chain[n]!;
    }
  }
  for (; n >= 0; n--) {
    if (subject !== issuer) {
      let key;
      try {
        key = issuer.cert.publicKey;
      } catch {
        fail(6, n);
      }
      if (key && !subject.cert.verify(key)) fail(7, n);
    }
    if (time !== 'ignore') {
      if (notBefore(subject.cert) > time) fail(9, n);
      else if (notAfter(subject.cert) < time) fail(10, n);
    }
    if (n > 0) {
      issuer = subject;
      subject = chain[n - 1]!;
    }
  }
}
