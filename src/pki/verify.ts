/**
 * The verdict on a certificate chain, with OpenSSL's semantics (X509_verify_cert): what Envoy's
 * BoringSSL and Node's TLS accept, non-strict, so that Istio's own sample CA (no AKI/SKI, non-critical
 * basicConstraints) passes, while a wrong root, a missing intermediate, a non-CA issuer, a bad
 * signature or a wrong key usage fail.
 *
 * Why `openssl verify` in a child process rather than an in-process TLS handshake: a handshake needs
 * the leaf's private key (missing or mismatched exactly when we diagnose, and absent from the limbo
 * suite), checks dates against the real clock only, and reports one error. `openssl verify` needs no
 * key, takes the instant to judge at (`-attime`) or none (`-no_check_time`), reports every error it
 * continues past with its depth, and is the same library Node's TLS uses. It runs as an argv list
 * (no shell), with only certificates in a private temporary folder, and trusts nothing but the roots
 * given (`-no-CApath -no-CAstore`: the machine's public CAs must never make a mesh chain pass).
 *
 * Without the `openssl` command (slim container images) the same verdict, with the same codes and
 * reasons, comes from Node's embedded OpenSSL: verify-node.ts replays X509_verify_cert in process.
 * The verifier is chosen by `verifier` (tests) or ASM_PROM_CHAIN_VERIFIER: `openssl`, `node`, or
 * `auto` (the default: the command when it is on the PATH, else Node).
 */
import { execFile } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Unavailable } from '../core/resources.js';
import { UsageError } from '../core/errors.js';
import { makeScratchDir } from '../core/scratch-dir.js';
import { describeCertificate, distinguishedName, isIssuedBy, isSelfSigned } from './inspect.js';
import { verifyChainInNode } from './verify-node.js';

export interface ChainInput {
  leaf: X509Certificate;
  /** untrusted certificates that may complete the path (the rest of cert-chain.pem), any order */
  intermediates: readonly X509Certificate[];
  /** the trust anchors (root-cert.pem, the mesh bundle) */
  roots: readonly X509Certificate[];
  /** the instant validity is judged at, or 'ignore' to judge the structure only */
  time: Date | 'ignore';
  /** the TLS role the leaf is checked for: Prometheus presents its leaf as a client certificate */
  purpose: 'sslclient' | 'sslserver';
  /** at most this many intermediates between leaf and root */
  maxDepth?: number;
  timeoutMs?: number;
  /** which OpenSSL judges: the `openssl` command, Node's own, or the command when it exists (default: ASM_PROM_CHAIN_VERIFIER, else auto) */
  verifier?: ChainVerifier;
}

export type ChainVerifier = 'openssl' | 'node' | 'auto';
export const CHAIN_VERIFIER_ENV = 'ASM_PROM_CHAIN_VERIFIER';

/** The verifier asked for; a malformed ASM_PROM_CHAIN_VERIFIER is a usage error (runDoctor checks it first). */
export function chosenVerifier(input: Pick<ChainInput, 'verifier'> = {}): ChainVerifier {
  const chosen = input.verifier ?? process.env[CHAIN_VERIFIER_ENV] ?? 'auto';
  if (chosen !== 'openssl' && chosen !== 'node' && chosen !== 'auto') throw new UsageError(`${CHAIN_VERIFIER_ENV} must be openssl, node or auto (got ${JSON.stringify(chosen)})`);
  return chosen;
}

export interface ChainError {
  /** X509_V_ERR_* number */
  code: number;
  /** X509_V_ERR_* name without the prefix, when it is one we explain */
  name?: string;
  /** position in the path OpenSSL built: 0 is the leaf */
  depth: number;
  /** OpenSSL's own words */
  text: string;
  /** the same, in terms of the certificates involved */
  reason: string;
}

export type ChainVerdict = { ok: true } | { ok: false; errors: ChainError[] };

/** X509_V_ERR_* numbers (OpenSSL 3.0 x509_vfy.h) of the failures a mesh chain meets. */
const ERROR_NAMES: Record<number, string> = {
  2: 'UNABLE_TO_GET_ISSUER_CERT',
  6: 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  7: 'CERT_SIGNATURE_FAILURE',
  9: 'CERT_NOT_YET_VALID',
  10: 'CERT_HAS_EXPIRED',
  18: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  19: 'SELF_SIGNED_CERT_IN_CHAIN',
  20: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  21: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  22: 'CERT_CHAIN_TOO_LONG',
  25: 'PATH_LENGTH_EXCEEDED',
  26: 'INVALID_PURPOSE',
  32: 'KEYUSAGE_NO_CERTSIGN',
  34: 'UNHANDLED_CRITICAL_EXTENSION',
  79: 'INVALID_CA',
  82: 'KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA',
};

export async function verifyChain(input: ChainInput): Promise<ChainVerdict> {
  if (input.roots.length === 0) {
    return { ok: false, errors: [{ code: 20, name: ERROR_NAMES[20], depth: 0, text: 'no trusted roots', reason: 'there is no trusted root to verify against' }] };
  }
  const verifier = chosenVerifier(input);
  if (verifier === 'node') return verifyInNode(input);
  try {
    return await verifyWithOpenssl(input);
  } catch (error) {
    if (verifier === 'auto' && error instanceof OpensslMissing) return verifyInNode(input);
    throw error;
  }
}

/** The same verdict from Node's embedded OpenSSL, its errors named and explained as the command's are. */
function verifyInNode(input: ChainInput): ChainVerdict {
  const path = buildPath(input);
  return verifyChainInNode(input, (code, depth, text) => ({ code, name: ERROR_NAMES[code], depth, text, reason: explain(code, text, path, depth) }));
}

class OpensslMissing extends Unavailable {}

async function verifyWithOpenssl(input: ChainInput): Promise<ChainVerdict> {
  // removed in `finally`, or when the process exits with the verification in flight
  const scratch = makeScratchDir('asm-prom-verify-');
  const dir = scratch.path;
  try {
    const pem = (certs: readonly X509Certificate[]) => certs.map((c) => c.toString()).join('');
    const args = ['verify', '-no-CApath', '-no-CAstore', '-purpose', input.purpose, '-CAfile', join(dir, 'roots.pem')];
    await writeFile(join(dir, 'roots.pem'), pem(input.roots), { mode: 0o600 });
    if (input.intermediates.length) {
      await writeFile(join(dir, 'untrusted.pem'), pem(input.intermediates), { mode: 0o600 });
      args.push('-untrusted', join(dir, 'untrusted.pem'));
    }
    if (input.time === 'ignore') args.push('-no_check_time');
    else args.push('-attime', String(Math.floor(input.time.getTime() / 1000)));
    if (input.maxDepth !== undefined) args.push('-verify_depth', String(input.maxDepth));
    await writeFile(join(dir, 'leaf.pem'), input.leaf.toString(), { mode: 0o600 });
    args.push(join(dir, 'leaf.pem'));

    const { exitCode, stderr } = await runOpenssl(args, input.timeoutMs ?? 10_000);
    if (exitCode === 0) return { ok: true };
    const path = buildPath(input);
    const errors = [...stderr.matchAll(/^error (\d+) at (\d+) depth lookup: (.*)$/gm)].map((m): ChainError => {
      const code = Number(m[1]);
      const depth = Number(m[2]);
      return { code, name: ERROR_NAMES[code], depth, text: m[3]!, reason: explain(code, m[3]!, path, depth) };
    });
    if (errors.length === 0) throw new Error(`openssl verify failed without a verification error: ${stderr.trim().split('\n')[0]}`);
    return { ok: false, errors };
  } finally {
    await scratch.remove();
  }
}

function runOpenssl(args: string[], timeoutMs: number): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: timeoutMs, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (!error) return resolve({ exitCode: 0, stderr });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new OpensslMissing(`the openssl command is not on the PATH (${CHAIN_VERIFIER_ENV}=openssl): set ${CHAIN_VERIFIER_ENV}=node or auto to judge with Node's OpenSSL`));
      if (typeof code === 'number') return resolve({ exitCode: code, stderr });
      reject(new Error(`openssl verify did not finish: ${error.message.split('\n')[0]}`));
    });
  });
}

/**
 * The path as OpenSSL builds it (trusted roots first, then untrusted certificates), to name the
 * certificate at the depth an error is reported at. Only for naming: the verdict is OpenSSL's.
 */
function buildPath(input: ChainInput): X509Certificate[] {
  const path = [input.leaf];
  for (let cert = input.leaf; !isSelfSigned(cert);) {
    const issuer = [...input.roots, ...input.intermediates].find((c) => !path.includes(c) && isIssuedBy(cert, c));
    if (!issuer) break;
    path.push(issuer);
    cert = issuer;
  }
  return path;
}

function explain(code: number, text: string, path: readonly X509Certificate[], depth: number): string {
  const cert = path[depth];
  const name = cert ? describeCertificate(cert) : `the certificate at depth ${depth}`;
  const issuer = cert ? distinguishedName(cert.issuer) : 'its issuer';
  switch (code) {
    case 2:
    case 20:
      return depth === 0 && path.length === 1
        ? `unknown issuer: ${name} was issued by ${issuer}, which is neither an intermediate given nor a trusted root (intermediate missing, or another CA's root)`
        : `unknown issuer: ${name} was issued by ${issuer}, which is not a trusted root`;
    case 21:
      return `intermediate missing: ${name} was issued by ${issuer}, which is not among the certificates given`;
    case 7:
      return `bad signature: ${name} names ${issuer} as issuer, but that certificate's key did not sign it (a same-named CA with another key)`;
    case 18:
      return `${name} is self-signed and not trusted`;
    case 19:
      return `the chain ends in a root that is not trusted: ${name}`;
    case 79:
      return `not a CA: ${name} issues certificates but is not a CA (basicConstraints CA:TRUE missing)`;
    case 25:
      return `path too long: ${name} is below more CAs than a pathLenConstraint allows`;
    case 26:
      return `wrong purpose: ${name} may not be used for this TLS role (extendedKeyUsage / keyUsage)`;
    case 32:
      return `${name} is a CA whose keyUsage lacks keyCertSign`;
    case 82:
      return `${name} has keyUsage keyCertSign but is not a CA`;
    case 34:
      return `${name} has a critical extension OpenSSL does not understand`;
    default:
      return `${name}: ${text}`;
  }
}
