/**
 * Grafana Alloy's own view of its targets, read from the HTTP API its UI uses (grafana/alloy
 * internal/web/api/api.go, served under /api/v0/web; internal and unversioned upstream, so every
 * part is read defensively): GET /components lists the components, GET /components/<id> gives one
 * with its `arguments` and `debugInfo` in Alloy's JSON body encoding (syntax/encoding/alloyjson:
 * `[{name, type: "attr", value: {type, value}} | {name, type: "block", label?, body: [...]}]`).
 *
 * - `prometheus.scrape` components: debugInfo `target` blocks (job, url, health, labels, last_error,
 *   last_scrape), and their arguments' `job_name`, `scheme` and `tls_config` as the loaded jobs;
 * - `prometheus.operator.servicemonitors` / `podmonitors`: debugInfo `targets` blocks, whose jobs
 *   are the operator's `serviceMonitor/<ns>/<name>/<i>` names.
 *
 * lastError is Prometheus's own text (Alloy scrapes with Prometheus's scrape manager), so TARGET_DOWN
 * explains it as for Prometheus. The result is a PrometheusView, so the prometheus-api checks judge it.
 */
import { oneLine } from '../core/errors.js';
import { mapLimit } from '../core/limit.js';
import type { Container, KubeObject } from '../model/k8s.js';
import type { ActiveTarget, ApiGet, PrometheusView, ScrapeJob } from './prometheus-api.js';

export const ALLOY_API_PREFIX = '/api/v0/web';
const COMPONENTS_PATH = `${ALLOY_API_PREFIX}/components`;
const SCRAPE = 'prometheus.scrape';
const OPERATOR = /^prometheus\.operator\.(?:servicemonitors|podmonitors)$/;

type Statement = Record<string, unknown>;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** An alloyjson value as plain data: strings, numbers, booleans, arrays, objects (capsules as their text). */
function valueOf(encoded: unknown): unknown {
  if (!isRecord(encoded)) return undefined;
  const { type, value } = encoded;
  if (type === 'array') return Array.isArray(value) ? value.map(valueOf) : [];
  if (type === 'object') return Object.fromEntries((Array.isArray(value) ? value : []).filter(isRecord).map((e) => [str(e.key), valueOf(e.value)]));
  return value;
}

/** A body's attributes as plain data, and its blocks. */
function decodeBody(body: unknown): { attrs: Record<string, unknown>; blocks: { name: string; body: unknown }[] } {
  const statements = (Array.isArray(body) ? body : []).filter(isRecord) as Statement[];
  const attrs: Record<string, unknown> = {};
  const blocks: { name: string; body: unknown }[] = [];
  for (const s of statements) {
    if (s.type === 'attr') attrs[str(s.name)] = valueOf(s.value);
    else if (s.type === 'block') blocks.push({ name: str(s.name), body: s.body });
  }
  return { attrs, blocks };
}

const stringMap = (v: unknown): Record<string, string> =>
  (isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {});

/** Target statuses (prometheus.scrape's `target`, the operator components' `targets` blocks) as the targets API's. */
function targetsOf(debugInfo: unknown, blockName: string): ActiveTarget[] {
  return decodeBody(debugInfo).blocks.filter((b) => b.name === blockName).map(({ body }) => {
    const { attrs } = decodeBody(body);
    const target: ActiveTarget = {
      scrapePool: str(attrs.job),
      scrapeUrl: str(attrs.url),
      health: str(attrs.health),
      lastError: str(attrs.last_error),
      discoveredLabels: {},
      labels: stringMap(attrs.labels),
    };
    if (str(attrs.last_scrape)) target.lastScrape = str(attrs.last_scrape);
    return target;
  });
}

/** A prometheus.scrape component's arguments as the job it loads (job_name defaults to the component's id). */
function jobOf(id: string, argumentsBody: unknown): ScrapeJob {
  const { attrs, blocks } = decodeBody(argumentsBody);
  const job: ScrapeJob = { name: str(attrs.job_name) || id, tlsFiles: {} };
  if (str(attrs.scheme)) job.scheme = str(attrs.scheme);
  const tls = blocks.find((b) => b.name === 'tls_config');
  if (tls) {
    const t = decodeBody(tls.body).attrs;
    if (str(t.ca_file)) job.tlsFiles.caFile = str(t.ca_file);
    if (str(t.cert_file)) job.tlsFiles.certFile = str(t.cert_file);
    if (str(t.key_file)) job.tlsFiles.keyFile = str(t.key_file);
    if (typeof t.insecure_skip_verify === 'boolean') job.insecureSkipVerify = t.insecure_skip_verify;
  }
  return job;
}

async function getJson(get: ApiGet, path: string): Promise<unknown> {
  const response = await get(path);
  if (response.status !== 200) throw new Error(`HTTP ${response.status}${response.body.trim() ? `: ${oneLine(response.body.trim()).slice(0, 120)}` : ''}`);
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new Error('the answer is not JSON');
  }
}

/** Reads an Alloy's scrape components; what cannot be read is recorded in the view, never thrown. */
export async function readAlloyView(get: ApiGet, source: string, owner?: KubeObject): Promise<PrometheusView> {
  const view: PrometheusView = { source, unreadable: [], scraper: 'Alloy', ...(owner ? { prometheus: owner } : {}) };
  let components: Record<string, unknown>[];
  try {
    const listed = await getJson(get, COMPONENTS_PATH);
    if (!Array.isArray(listed)) throw new Error('the components answer is not a list');
    components = listed.filter(isRecord);
  } catch (error) {
    view.unreadable.push({ path: '', reason: oneLine(error) });
    return view;
  }
  const wanted = components.filter((c) => str(c.name) === SCRAPE || OPERATOR.test(str(c.name)));
  const activeTargets: ActiveTarget[] = [];
  const jobs: ScrapeJob[] = [];
  await mapLimit(wanted, 4, async (c) => {
    const id = str(c.localID);
    // nested modules' components have a moduleID; the route takes the module path before the id
    const fullId = str(c.moduleID) ? `${str(c.moduleID)}/${id}` : id;
    const path = `${COMPONENTS_PATH}/${fullId.split('/').map(encodeURIComponent).join('/')}`;
    try {
      const detail = await getJson(get, path);
      if (!isRecord(detail)) throw new Error('the component answer is not an object');
      if (str(c.name) === SCRAPE) {
        activeTargets.push(...targetsOf(detail.debugInfo, 'target'));
        jobs.push(jobOf(id, detail.arguments));
      } else {
        activeTargets.push(...targetsOf(detail.debugInfo, 'targets'));
      }
    } catch (error) {
      view.unreadable.push({ path, reason: oneLine(error) });
    }
  });
  view.activeTargets = activeTargets;
  view.droppedTargets = [];
  view.jobs = jobs;
  return view;
}

const LOOPBACK = /^(?:127\.|localhost$|\[?::1\]?$)/;

/**
 * Where an Alloy container serves its HTTP API: `--server.http.listen-addr` (default
 * 127.0.0.1:12345, which the API server's pod proxy cannot reach; the Helm chart sets 0.0.0.0:12345).
 */
export function alloyListenAddress(container: Container | undefined): { port: number; loopback: boolean; flag: string } {
  const args = [...((container?.command as unknown[] | undefined) ?? []), ...(container?.args ?? [])].map(String);
  let addr = '127.0.0.1:12345';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!.replace(/^--?/, '-');
    if (a.startsWith('-server.http.listen-addr=')) addr = a.slice('-server.http.listen-addr='.length);
    else if (a === '-server.http.listen-addr' && args[i + 1] !== undefined) addr = args[i + 1]!;
  }
  const m = /^(.*):(\d+)$/.exec(addr);
  const host = m ? m[1]! : addr;
  return { port: m ? Number(m[2]) : 12345, loopback: LOOPBACK.test(host), flag: `--server.http.listen-addr=${addr}` };
}
