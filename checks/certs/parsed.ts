/**
 * What the certs.* checks share: each certificate set parsed once (memoised on the set, which the
 * resource store hands every check as the same object), the subject of a file's findings, and the
 * rule that a check skips the sets whose files another check already reported as missing or broken.
 * The parsed private key stays in this memo, in memory; it is never put into a finding or a fact.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { Unavailable } from '../../src/core/resources.js';
import type { Subject } from '../../src/core/types.js';
import type { CertFileName, CertFileSet, MeshRoot } from '../../src/model/inventory.js';
import { PemError, parseCertificates, parsePrivateKey } from '../../src/pki/index.js';

export interface ParsedSet {
  set: CertFileSet;
  roots?: X509Certificate[];
  /** cert-chain.pem in file order: the leaf first */
  chain?: X509Certificate[];
  key?: KeyObject;
  /** why a readable file did not parse */
  errors: Partial<Record<CertFileName, string>>;
}

type Parsed<T> = { value: T } | { error: string };

function attempt<T>(parse: () => T): Parsed<T> {
  try {
    return { value: parse() };
  } catch (error) {
    if (error instanceof PemError) return { error: error.message };
    throw error;
  }
}

const parsedSets = new WeakMap<CertFileSet, ParsedSet>();

export function parseSet(set: CertFileSet): ParsedSet {
  const known = parsedSets.get(set);
  if (known) return known;
  const parsed: ParsedSet = { set, errors: {} };
  const parseFile = <T>(name: CertFileName, parse: (text: string) => T): T | undefined => {
    const file = set.files[name];
    if (file.state !== 'ok' || file.content === undefined) return undefined;
    const result = attempt(() => parse(file.content!));
    if ('error' in result) parsed.errors[name] = result.error;
    return 'value' in result ? result.value : undefined;
  };
  parsed.roots = parseFile('root-cert.pem', parseCertificates);
  parsed.chain = parseFile('cert-chain.pem', parseCertificates);
  parsed.key = parseFile('key.pem', parsePrivateKey);
  parsedSets.set(set, parsed);
  return parsed;
}

const parsedMeshRoots = new WeakMap<MeshRoot, Parsed<X509Certificate[]>>();

export function parseMeshRoot(meshRoot: MeshRoot): Parsed<X509Certificate[]> {
  let parsed = parsedMeshRoots.get(meshRoot);
  if (!parsed) {
    parsed = attempt(() => parseCertificates(meshRoot.pem));
    parsedMeshRoots.set(meshRoot, parsed);
  }
  return parsed;
}

/** The subject of a finding about one file of the set: the pod (or CertificateFiles) and the file's path. */
export function fileSubject(set: CertFileSet, name: CertFileName): Subject {
  return { ...set.subject, path: set.files[name].path };
}

/** Where the mesh root came from, as a subject: MeshRoot.source is a file path or `ConfigMap <ns>/<name>`. */
export function meshRootSubject(meshRoot: MeshRoot): Subject {
  const configMap = /^ConfigMap ([^/\s]+)\/(\S+)$/.exec(meshRoot.source);
  return configMap
    ? { kind: 'ConfigMap', namespace: configMap[1]!, name: configMap[2]!, path: 'root-cert.pem' }
    : { kind: 'MeshRoot', path: meshRoot.source };
}

/** A stable key for a set in a check's facts: the pod (when from a pod) and the folder. */
export function setKey(set: CertFileSet): string {
  const owner = [set.subject.namespace, set.subject.name].filter(Boolean).join('/');
  return owner ? `${owner} ${set.dir}` : set.dir;
}

type Part = 'roots' | 'chain' | 'key';
const FILE_OF: Record<Part, CertFileName> = { roots: 'root-cert.pem', chain: 'cert-chain.pem', key: 'key.pem' };

/**
 * The sets whose given files parsed. When none qualifies, the check has nothing to judge: it is
 * skipped, pointing at the findings that say why. (certFiles is never an empty list: both sources
 * give at least one set or are unavailable.)
 */
export function usableSets<P extends Part>(sets: readonly CertFileSet[], parts: readonly P[]): (ParsedSet & Required<Pick<ParsedSet, P>>)[] {
  const usable = sets.map(parseSet).filter((p): p is ParsedSet & Required<Pick<ParsedSet, P>> => parts.every((part) => p[part] !== undefined));
  if (usable.length === 0) {
    const files = parts.map((p) => FILE_OF[p]).join(' and ');
    throw new Unavailable(`no certificate set has a usable ${files} (see the CERT_FILE_MISSING, CERT_FILE_UNREADABLE and CERT_PARSE_ERROR findings)`);
  }
  return usable;
}
