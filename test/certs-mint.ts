/**
 * Mints Istio-shaped certificates at test time with the openssl CLI (RSA and ECDSA alike): roots,
 * intermediates, and workload leaves with an empty subject and a critical SPIFFE URI SAN.
 * openssl 3.0 cannot backdate, so tests pin `--now` relative to the minted validity instead.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp.js';

export type KeyType = 'rsa' | 'p256' | 'p384';

export interface Issued {
  name: string;
  certPath: string;
  keyPath: string;
  pem: string;
  keyPem: string;
  x509: X509Certificate;
}

const KEY_ARGS: Record<KeyType, string[]> = {
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
};

const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n';

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

export class Mint {
  /** removed after the test, or the file or describe block, that made the Mint (helpers/tmp.ts) */
  readonly dir = tempDir('asm-prom-mint-');
  private serial = 1;

  private key(name: string, keyType: KeyType): string {
    const keyPath = join(this.dir, `${name}.key`);
    openssl(['genpkey', ...KEY_ARGS[keyType], '-out', keyPath]);
    return keyPath;
  }

  private issued(name: string, certPath: string, keyPath: string): Issued {
    const pem = readFileSync(certPath, 'utf8');
    return { name, certPath, keyPath, pem, keyPem: readFileSync(keyPath, 'utf8'), x509: new X509Certificate(pem) };
  }

  root(name: string, keyType: KeyType = 'rsa', { days = 3650, subject = `/O=cluster.local/CN=${name}` } = {}): Issued {
    const keyPath = this.key(name, keyType);
    const certPath = join(this.dir, `${name}.pem`);
    const extensions = CA_EXTENSIONS.trim().split('\n').flatMap((line) => ['-addext', line]);
    openssl(['req', '-x509', '-new', '-key', keyPath, '-subj', subject, '-days', String(days), '-config', '/dev/null',
      ...extensions, '-set_serial', String(this.serial++), '-out', certPath]);
    return this.issued(name, certPath, keyPath);
  }

  /** A certificate signed by `issuer`, with the given extensions (openssl extfile syntax). */
  sign(name: string, issuer: Issued, { keyType = 'rsa' as KeyType, days = 1, subject = '/', extensions }: { keyType?: KeyType; days?: number; subject?: string; extensions: string }): Issued {
    const keyPath = this.key(name, keyType);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    const certPath = join(this.dir, `${name}.pem`);
    writeFileSync(ext, extensions);
    openssl(['req', '-new', '-key', keyPath, '-subj', subject, '-config', '/dev/null', '-out', csr]);
    openssl(['x509', '-req', '-in', csr, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-set_serial', String(this.serial++),
      '-days', String(days), '-extfile', ext, '-out', certPath]);
    return this.issued(name, certPath, keyPath);
  }

  intermediate(name: string, issuer: Issued, options: { keyType?: KeyType; days?: number; extensions?: string } = {}): Issued {
    return this.sign(name, issuer, { days: 365, subject: `/O=cluster.local/CN=${name}`, extensions: CA_EXTENSIONS, ...options });
  }

  /** An Istio workload certificate: empty subject, critical SPIFFE URI SAN, 24 h by default. */
  workload(name: string, issuer: Issued, { keyType = 'rsa' as KeyType, days = 1, spiffeId = 'spiffe://cluster.local/ns/monitoring/sa/prometheus' } = {}): Issued {
    return this.sign(name, issuer, {
      keyType, days, subject: '/',
      extensions: `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=critical,URI:${spiffeId}\n`,
    });
  }

  /** The key re-encoded in the "traditional" form: PKCS#1 for RSA, SEC1 for EC. */
  traditionalKey(issued: Issued): string {
    return openssl(['pkey', '-in', issued.keyPath, '-traditional']).toString('utf8');
  }

  /** Writes a certs dir (root-cert.pem, cert-chain.pem, key.pem; a file left undefined is not written) and a mesh root. */
  certsDir(name: string, files: { root?: Issued[]; chain?: Issued[]; key?: string; meshRoot?: Issued[] }): { dir: string; meshRoot: string } {
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    const pem = (certs: Issued[]) => certs.map((c) => c.pem).join('');
    if (files.root) writeFileSync(join(dir, 'root-cert.pem'), pem(files.root));
    if (files.chain) writeFileSync(join(dir, 'cert-chain.pem'), pem(files.chain));
    if (files.key !== undefined) writeFileSync(join(dir, 'key.pem'), files.key);
    const meshRoot = join(dir, 'mesh-root.pem');
    writeFileSync(meshRoot, pem(files.meshRoot ?? files.root ?? []));
    return { dir, meshRoot };
  }
}
