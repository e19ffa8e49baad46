/**
 * What each container of a simulated pod sees on disk: its volumes at its mount paths, with owner,
 * group and mode, so that exec'd commands behave as in the pod (a 0600 file of uid 1337 is
 * unreadable to Prometheus's uid). The Prometheus pod's sidecar writes the mesh certificates into
 * the volume it mounts at OUTPUT_CERTS, as pilot-agent does (security/pkg/nodeagent/util/util.go):
 * key.pem, cert-chain.pem (leaf + intermediates + root), root-cert.pem, mode 0644, owner 1337.
 * Where OUTPUT_CERTS is outside any of the sidecar's mounts, the write fails (read-only root).
 */
import { posix } from 'node:path';
import type { Container, Pod, Volume } from '../model/k8s.js';
import { outputCertsDir } from '../model/istio.js';
import { sidecarOf } from '../model/prometheus.js';
import { spiffeId } from '../pki/index.js';
import { CertificateAuthority, type CaKeys } from './ca.js';
import type { ClusterState, SimPod } from './cluster.js';

export interface FileEntry {
  content: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

export interface DirEntry {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

export type Lookup = { type: 'file'; path: string; file: FileEntry } | { type: 'dir'; path: string; dir: DirEntry; names: string[] };

export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
}

/** A volume's contents: files by path relative to the volume root. */
type VolumeContents = Map<string, FileEntry>;

const PROXY_UID = 1337;
const HOUR = 3_600_000;

/** Reads are allowed by the owner, group or other bits, as the kernel decides (root reads all). */
export function canRead(identity: Identity, entry: { mode: number; uid: number; gid: number }): boolean {
  if (identity.uid === 0) return true;
  if (identity.uid === entry.uid) return (entry.mode & 0o400) !== 0;
  if (identity.groups.includes(entry.gid)) return (entry.mode & 0o040) !== 0;
  return (entry.mode & 0o004) !== 0;
}

export class ContainerView {
  private readonly mounts: { path: string; volume: string }[];

  constructor(readonly sim: SimPod, readonly container: Container, private readonly volumes: Map<string, VolumeContents>, private readonly volumeDefs: Volume[]) {
    this.mounts = (container.volumeMounts ?? [])
      .filter((m) => m.name && m.mountPath)
      .map((m) => ({ path: posix.normalize(m.mountPath!).replace(/(.)\/$/, '$1'), volume: m.name! }))
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The user the container's processes run as (container, then pod securityContext; images run as root otherwise). */
  identity(): Identity {
    const podContext = this.sim.pod.spec?.securityContext ?? {};
    const own = this.container.securityContext ?? {};
    const uid = own.runAsUser ?? podContext.runAsUser ?? 0;
    const gid = own.runAsGroup ?? podContext.runAsGroup ?? 0;
    const groups = [gid, ...(podContext.fsGroup !== undefined ? [podContext.fsGroup] : [])];
    return { uid, gid, groups: [...new Set(groups)] };
  }

  lookup(rawPath: string): Lookup | undefined {
    const path = posix.normalize(posix.isAbsolute(rawPath) ? rawPath : `/${rawPath}`).replace(/(.)\/$/, '$1');
    const mount = this.mounts.find((m) => path === m.path || path.startsWith(`${m.path}/`));
    if (mount) {
      const contents = this.volumes.get(mount.volume);
      const volumeDef = this.volumeDefs.find((v) => v.name === mount.volume);
      if (!contents || !volumeDef) return undefined;
      const rel = path === mount.path ? '' : path.slice(mount.path.length + 1);
      const file = contents.get(rel);
      if (file) return { type: 'file', path, file };
      const prefix = rel ? `${rel}/` : '';
      const below = [...contents.keys()].filter((k) => k.startsWith(prefix));
      if (rel && !below.length) return undefined;
      const names = [...new Set(below.map((k) => k.slice(prefix.length).split('/')[0]))].sort();
      const fsGroup = this.sim.pod.spec?.securityContext?.fsGroup;
      // emptyDir roots are world-writable; with an fsGroup the kubelet gives them that group
      return { type: 'dir', path, names, dir: { mode: volumeDef.emptyDir !== undefined ? 0o777 : 0o755, uid: 0, gid: fsGroup ?? 0, mtime: new Date(Date.now() - HOUR) } };
    }
    // the image's root filesystem: only the folders that lead to mount points
    const children = this.mounts.filter((m) => m.path.startsWith(path === '/' ? '/' : `${path}/`)).map((m) => m.path.slice(path === '/' ? 1 : path.length + 1).split('/')[0]);
    if (!children.length && path !== '/') return undefined;
    return { type: 'dir', path, names: [...new Set(children)].sort(), dir: { mode: 0o755, uid: 0, gid: 0, mtime: new Date(Date.now() - 24 * HOUR) } };
  }
}

export class PodFilesystems {
  private readonly cache = new Map<SimPod, Map<string, VolumeContents>>();
  private foreignCa: CertificateAuthority | undefined;

  constructor(private readonly state: ClusterState, private readonly meshCa: CertificateAuthority, private readonly foreignKeys?: CaKeys) {}

  /** Forgets every pod's files (the pods were made again). */
  clear(): void {
    this.cache.clear();
  }

  /** The container's view, for containers and native sidecars; undefined when the pod has no such container. */
  view(sim: SimPod, containerName: string): ContainerView | undefined {
    const spec = sim.pod.spec ?? {};
    const container = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')].find((c) => c.name === containerName);
    if (!container) return undefined;
    let volumes = this.cache.get(sim);
    if (!volumes) this.cache.set(sim, (volumes = this.populate(sim)));
    return new ContainerView(sim, container, volumes, spec.volumes ?? []);
  }

  private populate(sim: SimPod): Map<string, VolumeContents> {
    const pod = sim.pod;
    const namespace = pod.metadata!.namespace!;
    const now = new Date(Date.now() - HOUR);
    const file = (content: string, mode = 0o644, uid = 0, gid = 0): FileEntry => ({ content, mode, uid, gid, mtime: now });
    const volumes = new Map<string, VolumeContents>();
    for (const volume of pod.spec?.volumes ?? []) {
      const contents: VolumeContents = new Map();
      const configMap = (volume as { configMap?: { name?: string } }).configMap;
      if (configMap?.name) {
        const cm = this.state.get({ group: '', resource: 'configmaps' }, namespace, configMap.name) as { data?: Record<string, string> } | undefined;
        for (const [key, value] of Object.entries(cm?.data ?? {})) contents.set(key, file(value));
      }
      if (volume.name?.startsWith('kube-api-access-')) {
        contents.set('token', file('<simulated service account token>'));
        contents.set('ca.crt', file(this.state.apiCaPem));
        contents.set('namespace', file(namespace));
      }
      if (volume.name === 'istio-token') contents.set('istio-token', file('<simulated istio-ca token>'));
      volumes.set(volume.name ?? '', contents);
    }
    if (sim.injected) this.writeOutputCerts(sim, volumes);
    return volumes;
  }

  /** pilot-agent's OUTPUT_CERTS write, with the scenario's certificate faults for the scrapers' pods. */
  private writeOutputCerts(sim: SimPod, volumes: Map<string, VolumeContents>): void {
    const pod: Pod = sim.pod;
    const dir = outputCertsDir(pod);
    const sidecar = sidecarOf(pod.spec);
    if (!dir || !sidecar) return;
    const target = posix.normalize(dir).replace(/(.)\/$/, '$1');
    const mount = (sidecar.volumeMounts ?? [])
      .filter((m) => m.mountPath && (target === posix.normalize(m.mountPath).replace(/(.)\/$/, '$1') || target.startsWith(`${posix.normalize(m.mountPath).replace(/\/$/, '')}/`)))
      .sort((a, b) => b.mountPath!.length - a.mountPath!.length)[0];
    const contents = mount?.name ? volumes.get(mount.name) : undefined;
    if (!contents || mount?.readOnly) return;
    // the scenario's certificate faults hit the scraper's pod: Prometheus, or the VMAgent, collector or Alloy that replaces it
    const faults = sim.prometheus || sim.scraper ? this.state.scenario.faults.prometheusCerts ?? {} : {};
    const identity = spiffeId(this.state.scenario.trustDomain, pod.metadata!.namespace!, pod.spec?.serviceAccountName ?? 'default');
    const ca = faults.wrongRoot ? (this.foreignCa ??= new CertificateAuthority('other-mesh.local', true, this.foreignKeys)) : this.meshCa;
    const issued = faults.expired
      ? ca.issueWorkload(identity, { notBefore: new Date(Date.now() - 25 * HOUR), lifetimeMs: 24 * HOUR })
      : ca.workloadCertFor(identity);
    const keyPem = faults.mismatchedKey ? ca.spareKeyPem : issued.keyPem;
    const rel = posix.relative(posix.normalize(mount!.mountPath!).replace(/(.)\/$/, '$1'), target);
    const mode = faults.mode ? parseInt(faults.mode, 8) : 0o644;
    const gid = pod.spec?.securityContext?.fsGroup ?? PROXY_UID;
    const written: [string, string][] = [['key.pem', keyPem], ['cert-chain.pem', issued.chainPem], ['root-cert.pem', ca.rootPem]];
    for (const [name, content] of written) {
      if (faults.missing?.includes(name as never)) continue;
      contents.set(rel ? `${rel}/${name}` : name, { content, mode, uid: PROXY_UID, gid, mtime: new Date(Date.now() - 10 * 60_000) });
    }
  }
}
