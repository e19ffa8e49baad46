/**
 * Certificate files from the local disk: `--certs-dir DIR` (root-cert.pem, cert-chain.pem, key.pem,
 * as the sidecar writes them into OUTPUT_CERTS) and `--mesh-root FILE` (the mesh's root bundle).
 * The cluster source fills the same CertFileSet from the Prometheus pod through exec, so the certs.*
 * checks never know where the files came from. These sources come after it in SOURCES, so that an
 * explicit --certs-dir or --mesh-root wins over what the pod or the ConfigMap says.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Unavailable } from '../core/resources.js';
import { oneLine } from '../core/errors.js';
import { CERT_FILE_NAMES, type CertFile, type CertFileName, type CertFileSet, type MeshRoot } from '../model/inventory.js';
import type { SourceModule } from './index.js';

/** The two file-system calls the reader makes; tests replace them to play a reader without access. */
export interface CertFs {
  readFile(path: string): Promise<string>;
  stat(path: string): Promise<{ mode: number; uid: number }>;
}

const NODE_FS: CertFs = { readFile: (path) => readFile(path, 'utf8'), stat };

/** One file as Prometheus would find it: absent, empty, unreadable (with mode and owner), or its text. */
async function readCertFile(name: CertFileName, path: string, fs: CertFs = NODE_FS): Promise<CertFile> {
  let content: string;
  try {
    content = await fs.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A folder in the file's place (what a subPath mount of a not-yet-written file leaves) holds no
    // file either: Prometheus's read fails just the same.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return { name, path, state: 'absent' };
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    const info = await fs.stat(path).catch(() => undefined);
    return info
      ? { name, path, state: 'unreadable', mode: (info.mode & 0o7777).toString(8).padStart(4, '0'), owner: String(info.uid) }
      : { name, path, state: 'unreadable' };
  }
  // A file of only white space is as useless to Prometheus as an empty one (a write in progress).
  if (content.trim() === '') return { name, path, state: 'empty' };
  return { name, path, state: 'ok', content };
}

/** The three files of a folder, read as this process's user (the user the doctor runs as reads them). */
export async function readCertsDir(dir: string, fs: CertFs = NODE_FS): Promise<CertFileSet> {
  const absolute = resolve(dir);
  const entries = await Promise.all(CERT_FILE_NAMES.map((name) => readCertFile(name, join(absolute, name), fs)));
  const set: CertFileSet = {
    subject: { kind: 'CertificateFiles' },
    dir: absolute,
    files: Object.fromEntries(entries.map((f) => [f.name, f])) as Record<CertFileName, CertFile>,
  };
  const uid = process.getuid?.();
  if (uid !== undefined) set.readerUid = String(uid);
  return set;
}

async function readMeshRootFile(path: string): Promise<MeshRoot> {
  try {
    return { source: resolve(path), pem: await readFile(path, 'utf8') };
  } catch (error) {
    throw new Unavailable(`--mesh-root ${path} cannot be read: ${oneLine(error)}`);
  }
}

export const certsDirSource: SourceModule = {
  name: 'certs-dir',
  applies: (o) => o.certsDir !== undefined,
  providers: (o) => ({ certFiles: async () => [await readCertsDir(o.certsDir!)] }),
};

export const meshRootFileSource: SourceModule = {
  name: 'mesh-root-file',
  applies: (o) => o.meshRoot !== undefined,
  providers: (o) => ({ meshRoot: () => readMeshRootFile(o.meshRoot!) }),
};
