/**
 * PEM reading as Go's `encoding/pem` (and so Prometheus) tolerates it: text before, between and after
 * blocks, several blocks per file, CRLF line ends. Certificates are parsed with Node's
 * `X509Certificate`, private keys with `createPrivateKey` (PKCS#1, PKCS#8, SEC1).
 *
 * Errors never quote a block's body: key.pem's bytes must not reach any message (CONTRACT).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export class PemError extends Error {
  override readonly name = 'PemError';
}

export interface PemBlock {
  label: string;
  /** RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), present only on legacy encrypted keys */
  headers: string[];
  der: Buffer;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block of the text, in order; throws PemError on a truncated block or a body that is not base64. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const begin of text.matchAll(BEGIN)) {
    const label = begin[1]!;
    const bodyStart = begin.index! + begin[0].length;
    const end = text.indexOf(`-----END ${label}-----`, bodyStart);
    const nextBegin = text.indexOf('-----BEGIN ', bodyStart);
    if (end < 0 || (nextBegin >= 0 && nextBegin < end)) throw new PemError(`a ${label} block has no END line (the file is truncated)`);
    const lines = text.slice(bodyStart, end).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const headers = lines.filter((l) => l.includes(':'));
    const body = lines.filter((l) => !l.includes(':')).join('');
    if (!BASE64.test(body)) throw new PemError(`a ${label} block is not valid base64`);
    blocks.push({ label, headers, der: Buffer.from(body, 'base64') });
  }
  return blocks;
}

/**
 * The certificates of a PEM file, in file order, duplicates dropped (Istio's merged root bundles may
 * repeat a root). Other block kinds are skipped, as Go's `AppendCertsFromPEM` does.
 */
export function parseCertificates(text: string): X509Certificate[] {
  const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new PemError('no PEM CERTIFICATE block');
  const seen = new Set<string>();
  const certs: X509Certificate[] = [];
  blocks.forEach((block, index) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block.der);
    } catch {
      throw new PemError(`certificate #${index + 1} is not a valid X.509 certificate`);
    }
    if (seen.has(cert.fingerprint256)) return;
    seen.add(cert.fingerprint256);
    certs.push(cert);
  });
  return certs;
}

/** PEM label → the DER encoding createPrivateKey must be told. */
const KEY_ENCODINGS: Record<string, { type: 'pkcs1' | 'pkcs8' | 'sec1'; name: string }> = {
  'PRIVATE KEY': { type: 'pkcs8', name: 'PKCS#8' },
  'RSA PRIVATE KEY': { type: 'pkcs1', name: 'PKCS#1' },
  'EC PRIVATE KEY': { type: 'sec1', name: 'SEC1' },
};

/** The first private key of a PEM file (as Go's `X509KeyPair` takes it). */
export function parsePrivateKey(text: string): KeyObject {
  const blocks = pemBlocks(text);
  const block = blocks.find((b) => Object.hasOwn(KEY_ENCODINGS, b.label) || b.label === 'ENCRYPTED PRIVATE KEY');
  if (!block) {
    const other = blocks.length ? ` (found ${[...new Set(blocks.map((b) => b.label))].join(', ')})` : '';
    throw new PemError(`no PEM private key block: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY${other}`);
  }
  if (block.label === 'ENCRYPTED PRIVATE KEY' || block.headers.some((h) => /ENCRYPTED/i.test(h)))
    throw new PemError('the private key is encrypted: Prometheus cannot use it');
  const encoding = KEY_ENCODINGS[block.label]!;
  try {
    return createPrivateKey({ key: block.der, format: 'der', type: encoding.type });
  } catch {
    // The decoder's message is dropped on purpose: only our own words describe key material.
    throw new PemError(`the ${block.label} block does not decode as a ${encoding.name} private key`);
  }
}
