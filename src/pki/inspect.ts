/**
 * Facts about certificates and keys, read with Node's crypto: SPIFFE IDs, validity at a given instant,
 * key types, and identity of certificates by fingerprint and public key, never by subject name
 * (Istio's test set has two roots named CN=cluster.local with different keys).
 */
import type { KeyObject, X509Certificate } from 'node:crypto';

/** `notBefore` as a Date (Node 20's X509Certificate only gives text such as "Feb  2 18:20:57 2023 GMT"). */
export function notBefore(cert: X509Certificate): Date {
  return new Date(cert.validFrom);
}

export function notAfter(cert: X509Certificate): Date {
  return new Date(cert.validTo);
}

/**
 * The entries of `subjectAltName` of one kind. Node writes `URI:a, DNS:b`, and quotes a value as a
 * JSON string when it holds a comma or quote.
 */
function altNames(cert: X509Certificate, kind: 'URI' | 'DNS'): string[] {
  const text = cert.subjectAltName ?? '';
  const entry = new RegExp(`(?:^|, )${kind}:("(?:[^"\\\\]|\\\\.)*"|[^,]*)`, 'g');
  return [...text.matchAll(entry)].map((m) => (m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!));
}

/** The SPIFFE ID (`spiffe://<trust-domain>/ns/<ns>/sa/<sa>`) of a workload certificate's URI SAN. */
export function spiffeIdOf(cert: X509Certificate): string | undefined {
  return altNames(cert, 'URI').find((uri) => uri.startsWith('spiffe://'));
}

export interface SpiffeParts {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

/** Istio's SPIFFE ID of a service account: `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Istio's form of a SPIFFE ID; undefined for any other shape. */
export function parseSpiffeId(id: string): SpiffeParts | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
  return m ? { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! } : undefined;
}

/**
 * A short, unambiguous label for messages: the SPIFFE ID, else the subject's CN, else the whole
 * subject (Istio's self-signed root is only `O=cluster.local`), else the serial.
 */
export function describeCertificate(cert: X509Certificate): string {
  const spiffe = spiffeIdOf(cert);
  if (spiffe) return spiffe;
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject ?? '')?.[1];
  if (cn) return `"${cn}"`;
  return cert.subject ? `"${distinguishedName(cert.subject)}"` : `serial ${cert.serialNumber}`;
}

/** One-line distinguished name (Node gives one attribute per line; empty subjects are undefined). */
export function distinguishedName(name: string | undefined): string {
  return name ? name.split('\n').join(', ') : '(empty)';
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/** True when `issuer` really signed `cert`: names chain and the signature verifies with issuer's key. */
export function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/**
 * The same trust anchor: the same certificate, or a re-issue with the same key (what a root renewed
 * with its old key looks like). A same-named root with another key is not the same.
 */
export function sameAnchor(a: X509Certificate, b: X509Certificate): boolean {
  return a.fingerprint256 === b.fingerprint256 || spki(a.publicKey).equals(spki(b.publicKey));
}

/** `RSA-2048`, `ECDSA P-256`, `Ed25519`… */
export function keyTypeOf(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return `RSA-${details.modulusLength}`;
    case 'ec':
      return `ECDSA ${CURVE_NAMES[details.namedCurve ?? ''] ?? details.namedCurve}`;
    default:
      return key.asymmetricKeyType?.replace(/^ed/, 'Ed') ?? 'unknown';
  }
}

const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Where `at` falls in a certificate's validity. */
export function validityAt(cert: X509Certificate, at: Date): 'not-yet-valid' | 'valid' | 'expired' {
  if (at < notBefore(cert)) return 'not-yet-valid';
  if (at > notAfter(cert)) return 'expired';
  return 'valid';
}

/** The share of the certificate's lifetime gone at `at`, 0–100 (clamped). */
export function lifetimeUsedPercent(cert: X509Certificate, at: Date): number {
  const start = notBefore(cert).getTime();
  const span = notAfter(cert).getTime() - start;
  if (span <= 0) return 100;
  return Math.min(100, Math.max(0, ((at.getTime() - start) / span) * 100));
}

/** "3d 4h", "5h 12m", "42m", "-2h 3m" (negative once expired): for human-facing facts. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor(minutes / 60) % 24, minutes % 60];
  const parts = d ? [`${d}d`, `${h}h`] : h ? [`${h}h`, `${m}m`] : [`${m}m`];
  return sign + parts.join(' ');
}
