/**
 * The certificate files as Prometheus sees them: read from each running Prometheus pod, in the
 * Prometheus container, as that container's user, through exec of `cat` (argv, never a shell), at
 * the paths the selected monitors' tlsConfig name (else the defaults under the container's mount of
 * the certificates volume). A file it cannot read is `unreadable`, with its mode and owner (`stat`)
 * and the reader's uid (`id -u`). The sidecar's OUTPUT_CERTS folder is listed too, to tell "never
 * written" from "written but not shared". Key bytes stay in this process's memory.
 */
import { posix } from 'node:path';
import type { CertFile, CertFileName, CertFileSet, PrometheusPod } from '../../model/inventory.js';
import { CERT_FILE_NAMES } from '../../model/inventory.js';
import type { KubeObject, Monitor, MonitorEndpoint } from '../../model/k8s.js';
import { nameOf } from '../../model/k8s.js';
import type { KubeAccess } from '../../model/kube-access.js';
import { OUTPUT_FILES, outputCertsDir, prometheusCertsMount } from '../../model/istio.js';
import { sidecarOf } from '../../model/prometheus.js';
import { prometheusSelects } from '../../model/selectors.js';

const SIDECAR = 'istio-proxy';
const TLS_FIELDS: Record<CertFileName, 'caFile' | 'certFile' | 'keyFile'> = { 'root-cert.pem': 'caFile', 'cert-chain.pem': 'certFile', 'key.pem': 'keyFile' };

/** Raised when a pod's files cannot be read at all (exec broke, no `cat`); the other pods still count. */
export class PodFilesUnreadable extends Error {
  override readonly name = 'PodFilesUnreadable';
}

interface Location {
  container: string;
  dir: string;
  paths: Record<CertFileName, string>;
}

/**
 * Where Prometheus reads the three files: the tlsConfig paths of the monitors this Prometheus
 * selects, completed by the defaults under its mount of the certificates volume; without either,
 * the sidecar's own OUTPUT_CERTS folder (the files can still be judged, though Prometheus cannot see them).
 */
export function certLocation(pp: PrometheusPod, monitors: readonly Monitor[], namespaces: readonly KubeObject[] | undefined): Location | undefined {
  const mount = prometheusCertsMount(pp.pod, pp.prometheusContainer);
  const selected = pp.resource ? monitors.filter((m) => prometheusSelects(pp.resource!, m, namespaces).selected === true) : monitors;
  const tls = selected
    .flatMap((m) => (m.spec?.endpoints ?? m.spec?.podMetricsEndpoints ?? []) as MonitorEndpoint[])
    .map((e) => e.tlsConfig)
    .find((t) => t?.caFile || t?.certFile || t?.keyFile);
  if (mount || tls) {
    const dir = mount?.mountPath ?? posix.dirname(tls?.certFile ?? tls?.caFile ?? tls?.keyFile ?? '/');
    const paths = Object.fromEntries(CERT_FILE_NAMES.map((name) => [name, tls?.[TLS_FIELDS[name]] ?? posix.join(dir, name)])) as Record<CertFileName, string>;
    return { container: pp.prometheusContainer, dir: posix.dirname(paths['cert-chain.pem']), paths };
  }
  const out = outputCertsDir(pp.pod);
  if (!out || !sidecarOf(pp.pod.spec)) return undefined;
  return { container: SIDECAR, dir: out, paths: Object.fromEntries(CERT_FILE_NAMES.map((name) => [name, posix.join(out, name)])) as Record<CertFileName, string> };
}

export async function readCertFileSet(kube: KubeAccess, pp: PrometheusPod, where: Location, timeoutMs: number): Promise<CertFileSet> {
  const namespace = pp.namespace;
  const pod = nameOf(pp.pod);
  const run = async (container: string, argv: string[]) => {
    let result = await kube.exec(namespace, pod, container, argv, { timeoutMs });
    // A stream that broke (no exit status) is read again once: the commands only read.
    if (result.exitCode === null) result = await kube.exec(namespace, pod, container, argv, { timeoutMs });
    if (result.exitCode === null) throw new PodFilesUnreadable(`${argv[0]} in ${namespace}/${pod} (${container}): ${result.stderr.trim().split('\n').pop() || 'no exit status'}`);
    return result;
  };

  const files = Object.fromEntries(
    await Promise.all(CERT_FILE_NAMES.map(async (name) => [name, await readOne(run, where.container, name, where.paths[name])] as const)),
  ) as Record<CertFileName, CertFile>;

  const set: CertFileSet = {
    subject: { kind: 'Pod', namespace, name: pod },
    dir: where.dir,
    files,
    expectedIdentity: { namespace, serviceAccount: pp.pod.spec?.serviceAccountName ?? pp.pod.spec?.serviceAccount ?? 'default' },
  };
  const unreadable = CERT_FILE_NAMES.filter((n) => files[n].state === 'unreadable');
  if (unreadable.length) {
    await Promise.all(unreadable.map(async (name) => {
      const stat = await run(where.container, ['stat', '-c', '%a %U:%G', files[name].path]);
      const [mode, owner] = stat.stdout.toString('utf8').trim().split(' ');
      if (stat.exitCode === 0 && mode) Object.assign(files[name], { mode: mode.padStart(4, '0'), owner });
    }));
    const id = await run(where.container, ['id', '-u']);
    if (id.exitCode === 0) set.readerUid = id.stdout.toString('utf8').trim();
  }
  const outputCerts = await listOutputCerts(run, pp);
  if (outputCerts) set.outputCerts = outputCerts;
  return set;
}

type Run = (container: string, argv: string[]) => Promise<{ stdout: Buffer; stderr: string; exitCode: number | null }>;

async function readOne(run: Run, container: string, name: CertFileName, path: string): Promise<CertFile> {
  const result = await run(container, ['cat', path]);
  if (result.exitCode === 0) {
    const content = result.stdout.toString('utf8');
    return { name, path, state: content.trim() ? 'ok' : 'empty', ...(content.trim() ? { content } : {}) };
  }
  if (/permission denied/i.test(result.stderr)) return { name, path, state: 'unreadable' };
  if (/no such file|not found|not a directory/i.test(result.stderr)) return { name, path, state: 'absent' };
  throw new PodFilesUnreadable(`cat ${path} in ${container} failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n')[0] || 'no message'}`);
}

/** What the sidecar wrote into OUTPUT_CERTS, seen from istio-proxy; undefined when it cannot be listed. */
async function listOutputCerts(run: Run, pp: PrometheusPod): Promise<CertFileSet['outputCerts']> {
  const dir = outputCertsDir(pp.pod);
  if (!dir || !sidecarOf(pp.pod.spec)) return undefined;
  try {
    const result = await run(SIDECAR, ['ls', '-1', dir]);
    if (result.exitCode === 0) {
      const names = new Set(result.stdout.toString('utf8').split('\n').map((l) => l.trim()));
      return { dir, present: OUTPUT_FILES.filter((f) => names.has(f)) };
    }
    return /no such file/i.test(result.stderr) ? { dir, present: [] } : undefined;
  } catch (error) {
    // a sidecar image without `ls` (distroless) or a broken stream: the folder is simply not known
    if (error instanceof PodFilesUnreadable) return undefined;
    throw error;
  }
}
