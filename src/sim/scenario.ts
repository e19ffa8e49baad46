/**
 * Scenarios: the objects a user would `kubectl apply` (namespaces, a Prometheus resource, workloads,
 * services, monitors, PeerAuthentications, RBAC) plus the faults to inject. The simulator then plays
 * the controllers (operator, Deployment/StatefulSet, Istio's injector, EndpointSlices) to make the
 * rest, so a broken scenario differs from `healthy` only where a user's mistake would.
 *
 * A scenario file may `extends:` another and apply `patches:` (JSON merge patches, RFC 7386, by
 * kind/namespace/name; `null` deletes a field, `delete: true` removes the object) and add `objects:`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../model/k8s.js';
import type { CertFileName } from '../model/inventory.js';
import type { TargetFault } from './target-faults.js';

/** A request the doctor's user may not make: 403 Forbidden, and `allowed: false` in access reviews. */
export interface ForbidRule {
  verb: string;
  /** plural, with subresource: `pods`, `pods/exec`, `services/proxy` */
  resource: string;
  /** API group; any when omitted */
  group?: string;
  /** the namespace where it is forbidden; every namespace (and cluster scope) when omitted */
  namespace?: string;
}

/** What happened to the files the scraper pod's sidecar writes (OUTPUT_CERTS): Prometheus's, or the VMAgent's, collector's or Alloy's that replaces it. */
export interface CertFaults {
  /** files never written */
  missing?: CertFileName[];
  /** octal mode of the files, e.g. "0600" (Istio 1.9.0–1.9.3) */
  mode?: string;
  /** the leaf expired an hour ago (rotation stuck) */
  expired?: boolean;
  /** the sidecar got its certificate from another mesh's CA (another root) */
  wrongRoot?: boolean;
  /** key.pem belongs to another certificate (a torn write) */
  mismatchedKey?: boolean;
}

/** How a target workload's pods misbehave. */
export interface WorkloadFaults {
  /** the sidecar answers every request with this status (503: it cannot reach the app) */
  httpStatus?: number;
  /** the app serves this instead of Prometheus text */
  body?: 'html' | 'json';
  /** hostile: accept and never answer; reset every connection; trickle a byte per second */
  behaviour?: 'hang' | 'reset' | 'trickle';
  /** hostile after the mTLS handshake (src/sim/target-faults.ts): endless body, garbage, GOAWAY, huge headers or chain, … */
  target?: TargetFault;
}

/** A misbehaviour of the API server for the requests it matches. */
export interface ApiFault {
  /** the requests it hits: a resource as in URLs (`pods`, `servicemonitors`), `discovery` (/api, /apis, …), every request when omitted */
  resource?: string;
  /** answer 429 Too Many Requests with this Retry-After (seconds) */
  throttleSeconds?: number;
  /** answer with this status (500, 503, …) and a Status body */
  status?: number;
  /** answer 200 with the JSON cut in the middle (a torn answer) */
  truncate?: boolean;
  /** wait this long (ms) before answering (a slow page) */
  delayMs?: number;
  /** only the first N requests it matches; every one when omitted */
  times?: number;
}

export interface Faults {
  /** added to every API server response */
  apiLatencyMs?: number;
  forbid?: ForbidRule[];
  prometheusCerts?: CertFaults;
  /** keyed by `<namespace>/<workload name>` (a Deployment, StatefulSet or Pod) */
  workloads?: Record<string, WorkloadFaults>;
  /** the API server's misbehaviours, first match wins */
  api?: ApiFault[];
  /** an exec's stdout is cut halfway and the stream closed without a status (a dropped connection): every exec, or the first N */
  execCut?: true | number;
  /** resources (plural, e.g. `scrapeconfigs`) whose CRD is not installed: every request for them is a 404 */
  notServed?: string[];
}

export interface Scenario {
  name: string;
  description: string;
  /** codes the doctor must report against this scenario (it may report others alongside) */
  expectedCodes: string[];
  trustDomain: string;
  /** the mesh CA issues from an intermediate (istiod with a plugged-in CA) rather than from the root */
  intermediateCa: boolean;
  objects: KubeObject[];
  faults: Faults;
  /** the simulated Prometheus's scrape timeout (3 s unless a test, which owns its timeouts, says otherwise) */
  prometheusScrapeTimeoutMs?: number;
}

interface ScenarioFile {
  name?: string;
  description?: string;
  expectedCodes?: string[];
  extends?: string;
  trustDomain?: string;
  intermediateCa?: boolean;
  objects?: KubeObject[];
  patches?: { kind: string; name: string; namespace?: string; merge?: unknown; delete?: boolean }[];
  faults?: Faults;
}

/**
 * The scenarios folder, found from this module's location whether it runs from src/ (tests) or
 * bundled into dist/ (the CLI): the nearest ancestor holding `src/sim/scenarios`. The package's
 * `files` must ship that folder.
 */
export function scenariosDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scenarios', 'healthy.yaml'))) return join(dir, 'scenarios');
    const candidate = join(dir, 'src', 'sim', 'scenarios');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('the simulator scenarios folder (src/sim/scenarios) was not found');
    dir = parent;
  }
}

const keyOf = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }): string =>
  `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function readScenarioFile(path: string, seen: string[]): Scenario {
  const file = parseYaml(readFileSync(path, 'utf8')) as ScenarioFile;
  const base = file.extends ? loadScenarioFile(resolveScenarioPath(file.extends, dirname(path)), [...seen, path]) : undefined;
  let objects = structuredClone(base?.objects ?? []);
  for (const patch of file.patches ?? []) {
    const key = `${patch.kind}/${patch.namespace ?? ''}/${patch.name}`;
    const index = objects.findIndex((o) => keyOf(o) === key);
    if (index < 0) throw new Error(`${path}: patch target ${key} is not among the objects of ${file.extends}`);
    if (patch.delete) objects.splice(index, 1);
    else objects[index] = mergePatch(objects[index], patch.merge) as KubeObject;
  }
  objects = [...objects, ...(file.objects ?? [])];
  return {
    name: file.name ?? basename(path).replace(/\.ya?ml$/, ''),
    description: file.description ?? base?.description ?? '',
    expectedCodes: file.expectedCodes ?? base?.expectedCodes ?? [],
    trustDomain: file.trustDomain ?? base?.trustDomain ?? 'cluster.local',
    intermediateCa: file.intermediateCa ?? base?.intermediateCa ?? true,
    objects,
    faults: { ...(base?.faults ?? {}), ...(file.faults ?? {}) },
  };
}

function loadScenarioFile(path: string, seen: string[] = []): Scenario {
  if (seen.includes(path)) throw new Error(`scenario ${path} extends itself`);
  return readScenarioFile(path, seen);
}

function resolveScenarioPath(nameOrPath: string, relativeTo = scenariosDir()): string {
  if (/[/\\]|\.ya?ml$/.test(nameOrPath)) return resolve(relativeTo, nameOrPath);
  return join(scenariosDir(), `${nameOrPath}.yaml`);
}

/**
 * A scenario by name (a file of the scenarios folder, or `scale-<N>` from the generator) or by path.
 * Throws a plain Error naming the known scenarios when there is no such one.
 */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const scale = /^scale(?:-(\d+)(?:-(\d+))?)?$/.exec(nameOrPath);
  if (scale) {
    const { scaleScenario } = await import('./scale.js');
    return scaleScenario(scale[1] ? Number(scale[1]) : 30, scale[2] ? Number(scale[2]) : undefined);
  }
  const path = /[/\\]|\.ya?ml$/.test(nameOrPath) ? resolve(nameOrPath) : join(scenariosDir(), `${nameOrPath}.yaml`);
  if (!existsSync(path)) throw new Error(`no scenario "${nameOrPath}"; known: ${listScenarioNames().join(', ')}`);
  return loadScenarioFile(path);
}

function listScenarioNames(): string[] {
  return [...readdirSync(scenariosDir()).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).filter((n) => !n.startsWith('_')), 'scale'].sort();
}

/** Every scenario with what the doctor should report; `scale` is generated (`scale-<N>` for N pods). */
export function listScenarios(): { name: string; description: string; expectedCodes: string[] }[] {
  return listScenarioNames().map((name) => {
    if (name === 'scale') return { name, description: 'N healthy target pods (scale-<N>, default 30; scale-<N>-<T>: only T of them scraped), for request-count and timing tests', expectedCodes: [] };
    const s = loadScenarioFile(join(scenariosDir(), `${name}.yaml`));
    return { name, description: s.description, expectedCodes: s.expectedCodes };
  });
}
