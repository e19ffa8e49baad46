/**
 * Prometheus configuration (`prometheus.yml`): recognising it, loading its `scrape_configs` with the
 * line of each job, and refusing what Prometheus refuses to load (SCRAPE_CONFIG_INVALID): unknown
 * fields, wrong types, bad durations or regexes, relabel rules Prometheus rejects, duplicate or
 * missing job names, a scrape timeout above the interval. Checked against `promtool check config`
 * (test/scrape-config.test.ts). Fields newer Prometheus versions added are accepted: the doctor judges
 * a configuration as deployed, not as one Prometheus release reads it. Pure: no I/O.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { anchoredRegex, isValidLabelName, RELABEL_ACTIONS, RegexError, type RelabelAction, type RelabelConfig } from './relabel.js';
import { SD_ROLES, type KubernetesSdConfig, type SdRole } from './kubernetes-sd.js';

export interface ScrapeTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** inline PEM or a reference instead of a file */
  ca?: boolean;
  cert?: boolean;
  key?: boolean;
  insecureSkipVerify?: boolean;
}

/** One job of `scrape_configs`, as loaded (defaults applied). */
export interface RawScrapeJob {
  name: string;
  /** 1-based line of the job in the configuration text */
  line: number;
  scheme: string;
  metricsPath: string;
  scrapeInterval: string;
  scrapeTimeout: string;
  params?: Record<string, string[]>;
  tls?: ScrapeTls;
  enableHttp2: boolean;
  kubernetesSd: KubernetesSdConfig[];
  staticTargets: { targets: string[]; labels: Record<string, string> }[];
  /** other discovery mechanisms (file_sd, dns_sd, …): their targets are unknown here */
  otherSd: string[];
  relabelConfigs: RelabelConfig[];
}

export interface ConfigError {
  line: number;
  reason: string;
}

export interface LoadedConfig {
  jobs: RawScrapeJob[];
  errors: ConfigError[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A YAML document (no `kind`) that is Prometheus configuration: it has scrape_configs or global. */
export function looksLikePrometheusConfig(value: unknown): boolean {
  return isObject(value) && value.kind === undefined && value.apiVersion === undefined && ('scrape_configs' in value || ('global' in value && ('rule_files' in value || 'alerting' in value || 'scrape_config_files' in value)));
}

const DURATION = /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;
function durationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const m = DURATION.exec(text);
  if (!text || !m) return undefined;
  const units = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
  return units.reduce((sum, unit, i) => sum + Number(m[2 + 2 * i] ?? 0) * unit, 0);
}

type Kind = 'string' | 'bool' | 'int' | 'duration' | 'strings' | 'stringMap' | 'stringListMap' | 'any' | { map: Schema } | { list: Schema } | { list: 'strings' };
type Schema = Record<string, Kind>;

const TLS: Schema = {
  ca: 'string', ca_file: 'string', ca_ref: 'string', cert: 'string', cert_file: 'string', cert_ref: 'string',
  key: 'string', key_file: 'string', key_ref: 'string', server_name: 'string', insecure_skip_verify: 'bool',
  min_version: 'string', max_version: 'string',
};
const HTTP_CLIENT: Schema = {
  basic_auth: { map: { username: 'string', username_file: 'string', username_ref: 'string', password: 'string', password_file: 'string', password_ref: 'string' } },
  authorization: { map: { type: 'string', credentials: 'string', credentials_file: 'string', credentials_ref: 'string' } },
  oauth2: 'any', bearer_token: 'string', bearer_token_file: 'string', tls_config: { map: TLS }, proxy_url: 'string',
  no_proxy: 'string', proxy_from_environment: 'bool', proxy_connect_header: 'any', follow_redirects: 'bool', enable_http2: 'bool', http_headers: 'any',
};
const RELABEL: Schema = {
  source_labels: 'strings', separator: 'string', regex: 'string', modulus: 'int', target_label: 'string', replacement: 'string', action: 'string',
};
const KUBERNETES_SD: Schema = {
  ...HTTP_CLIENT, role: 'string', api_server: 'string', kubeconfig_file: 'string',
  namespaces: { map: { names: 'strings', own_namespace: 'bool' } },
  selectors: { list: { role: 'string', label: 'string', field: 'string' } },
  attach_metadata: { map: { node: 'bool', namespace: 'bool' } },
};
const SCRAPE: Schema = {
  ...HTTP_CLIENT,
  job_name: 'string', honor_labels: 'bool', honor_timestamps: 'bool', track_timestamps_staleness: 'bool',
  scrape_interval: 'duration', scrape_timeout: 'duration', scrape_protocols: 'strings', fallback_scrape_protocol: 'string',
  scrape_classic_histograms: 'bool', always_scrape_classic_histograms: 'bool', convert_classic_histograms_to_nhcb: 'bool',
  scrape_native_histograms: 'bool', metrics_path: 'string', scheme: 'string', params: 'stringListMap', enable_compression: 'bool',
  body_size_limit: 'string', sample_limit: 'int', label_limit: 'int', label_name_length_limit: 'int', label_value_length_limit: 'int',
  target_limit: 'int', keep_dropped_targets: 'int', native_histogram_bucket_limit: 'int', native_histogram_min_bucket_factor: 'any',
  metric_name_validation_scheme: 'string', metric_name_escaping_scheme: 'string', scrape_failure_log_file: 'string',
  relabel_configs: { list: RELABEL }, metric_relabel_configs: { list: RELABEL },
  static_configs: { list: { targets: 'strings', labels: 'stringMap' } },
  kubernetes_sd_configs: { list: KUBERNETES_SD },
};
const TOP: Schema = {
  global: 'any', runtime: 'any', alerting: 'any', rule_files: 'strings', scrape_config_files: 'strings',
  scrape_configs: { list: SCRAPE }, storage: 'any', tracing: 'any', remote_write: 'any', remote_read: 'any', otlp: 'any',
};
const TYPE_NAMES = new Map<Schema, string>([[TOP, 'config.plain'], [SCRAPE, 'config.ScrapeConfig'], [RELABEL, 'relabel.Config'], [KUBERNETES_SD, 'kubernetes.SDConfig'], [TLS, 'config.TLSConfig']]);

/**
 * Loads Prometheus configuration text. `lineOffset` is added to every line (the configuration's
 * first line within an enclosing manifest). Never throws.
 */
export function loadPrometheusConfig(text: string, lineOffset = 0): LoadedConfig {
  const lineCounter = new LineCounter();
  const errors: ConfigError[] = [];
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, version: '1.1' });
  const lineOf = (node: unknown) => {
    const range = (node as { range?: [number, number] } | null)?.range;
    return (range ? lineCounter.linePos(range[0]).line : 1) + lineOffset;
  };
  const fail = (node: unknown, reason: string) => errors.push({ line: lineOf(node), reason });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    return { jobs: [], errors: [{ line: (e.linePos?.[0]?.line ?? 1) + lineOffset, reason: e.message.split('\n')[0]! }] };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { jobs: [], errors: [] };
  if (!isMap(root)) return { jobs: [], errors: [{ line: lineOf(root), reason: 'the configuration is not a YAML mapping' }] };

  const scalarText = (node: Scalar): string => (node.value === null ? '' : typeof node.value === 'string' ? node.value : text.slice(node.range![0], node.range![1]).trim());
  const check = (node: unknown, kind: Kind, where: string): void => {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return; // null is Go's zero value
    if (kind === 'any') return;
    if (kind === 'string' || kind === 'duration') {
      if (!isScalar(node)) return void fail(node, `cannot unmarshal a ${isSeq(node) ? 'sequence' : 'mapping'} into ${where} (a string)`);
      if (kind === 'duration' && durationMs(scalarText(node)) === undefined) fail(node, `not a valid duration string: "${scalarText(node)}" (${where})`);
      return;
    }
    if (kind === 'bool') {
      if (!isScalar(node) || typeof node.value !== 'boolean') fail(node, `cannot unmarshal ${isScalar(node) ? `\`${scalarText(node)}\`` : 'a collection'} into bool (${where})`);
      return;
    }
    if (kind === 'int') {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < 0) fail(node, `cannot unmarshal ${isScalar(node) ? `\`${scalarText(node)}\`` : 'a collection'} into an integer (${where})`);
      return;
    }
    if (kind === 'strings') {
      if (!isSeq(node)) return void fail(node, `cannot unmarshal into ${where}: a list of strings is expected`);
      for (const item of node.items) check(item, 'string', where);
      return;
    }
    if (kind === 'stringMap' || kind === 'stringListMap') {
      if (!isMap(node)) return void fail(node, `cannot unmarshal into ${where}: a mapping is expected`);
      for (const pair of node.items) check(pair.value, kind === 'stringMap' ? 'string' : 'strings', `${where}.${String((pair.key as Scalar)?.value)}`);
      return;
    }
    if ('map' in kind) {
      if (!isMap(node)) return void fail(node, `cannot unmarshal into ${where}: a mapping is expected`);
      checkMap(node, kind.map, where);
      return;
    }
    if (!isSeq(node)) return void fail(node, `cannot unmarshal into ${where}: a list is expected`);
    for (const item of node.items) check(item, kind.list === 'strings' ? 'strings' : { map: kind.list }, where);
  };
  const checkMap = (node: YAMLMap, schema: Schema, where: string) => {
    const seen = new Set<string>();
    for (const pair of node.items as Pair<Node, Node>[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (seen.has(key)) fail(pair.key, `field ${key} already set in type ${TYPE_NAMES.get(schema) ?? where}`);
      seen.add(key);
      const kind = schema[key] ?? (schema === SCRAPE && /_sd_configs$/.test(key) ? 'any' : undefined);
      if (!kind) fail(pair.key, `field ${key} not found in type ${TYPE_NAMES.get(schema) ?? where}`);
      else check(pair.value, kind, key);
    }
  };
  checkMap(root, TOP, 'config');

  const value = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const global = isObject(value.global) ? value.global : {};
  const globalInterval = typeof global.scrape_interval === 'string' ? global.scrape_interval : '1m';
  const globalTimeout = typeof global.scrape_timeout === 'string' ? global.scrape_timeout : '10s';
  if ((durationMs(globalTimeout) ?? 0) > (durationMs(globalInterval) ?? Infinity)) {
    // at the value that is off: the timeout when set, else the interval below the default timeout
    const globalNode = root.get('global', true);
    fail((isMap(globalNode) && (globalNode.get('scrape_timeout', true) ?? globalNode.get('scrape_interval', true))) || globalNode, 'global scrape timeout greater than scrape interval');
  }

  const jobs: RawScrapeJob[] = [];
  const jobsNode = root.get('scrape_configs', true);
  const names = new Map<string, number>();
  if (isSeq(jobsNode)) {
    (jobsNode as YAMLSeq).items.forEach((node, i) => {
      const raw = (value.scrape_configs as unknown[])[i];
      if (!isObject(raw)) {
        if (raw === null || raw === undefined) fail(node, 'empty or null scrape config section');
        return;
      }
      const job = toJob(raw, lineOf(node), globalInterval, globalTimeout, (reason) => fail(node, reason), (path, reason) => {
        const at = isMap(node) ? node.getIn(path, true) : undefined;
        fail(at ?? node, reason);
      });
      if (!job) return;
      if (names.has(job.name)) fail(node, `found multiple scrape configs with job name "${job.name}"`);
      names.set(job.name, job.line);
      jobs.push(job);
    });
  }
  return { jobs, errors: errors.sort((a, b) => a.line - b.line) };
}

const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : typeof v === 'object' ? undefined : String(v));

/** One job: defaults applied, relabel rules validated as Prometheus's relabel.Config.Validate does. */
function toJob(raw: Record<string, unknown>, line: number, globalInterval: string, globalTimeout: string, fail: (reason: string) => void, failAt: (path: (string | number)[], reason: string) => void): RawScrapeJob | undefined {
  const name = str(raw.job_name) ?? '';
  if (!name) {
    fail('job_name is empty');
    return undefined;
  }
  const interval = str(raw.scrape_interval) ?? globalInterval;
  let timeout = str(raw.scrape_timeout);
  if (timeout === undefined) timeout = (durationMs(globalTimeout) ?? 0) > (durationMs(interval) ?? 0) ? interval : globalTimeout;
  if ((durationMs(timeout) ?? 0) > (durationMs(interval) ?? Infinity)) fail(`scrape timeout greater than scrape interval for scrape config with job name "${name}"`);

  const tlsRaw = isObject(raw.tls_config) ? raw.tls_config : undefined;
  let tls: ScrapeTls | undefined;
  if (tlsRaw) {
    tls = {
      caFile: str(tlsRaw.ca_file), certFile: str(tlsRaw.cert_file), keyFile: str(tlsRaw.key_file),
      ca: !!(tlsRaw.ca || tlsRaw.ca_ref), cert: !!(tlsRaw.cert || tlsRaw.cert_ref), key: !!(tlsRaw.key || tlsRaw.key_ref),
      insecureSkipVerify: tlsRaw.insecure_skip_verify === true,
    };
    if (tlsRaw.ca && tlsRaw.ca_file) failAt(['tls_config'], 'at most one of ca and ca_file must be configured');
    if (tlsRaw.cert && tlsRaw.cert_file) failAt(['tls_config'], 'at most one of cert and cert_file must be configured');
    if (tlsRaw.key && tlsRaw.key_file) failAt(['tls_config'], 'at most one of key and key_file must be configured');
    const hasCert = !!(tls.certFile || tls.cert);
    const hasKey = !!(tls.keyFile || tls.key);
    if (tls.certFile && !hasKey) failAt(['tls_config'], `client cert file "${tls.certFile}" specified without client key file`);
    else if (tls.keyFile && !hasCert) failAt(['tls_config'], `client key file "${tls.keyFile}" specified without client cert file`);
    else if (hasCert !== hasKey) failAt(['tls_config'], 'exactly one of key or key_file must be configured when a client certificate is configured');
  }
  if (raw.bearer_token && raw.bearer_token_file) fail('at most one of bearer_token & bearer_token_file must be configured');
  if ((raw.bearer_token || raw.bearer_token_file) && (raw.basic_auth || raw.authorization)) fail('at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');

  const relabelConfigs: RelabelConfig[] = [];
  const rules = Array.isArray(raw.relabel_configs) ? raw.relabel_configs : [];
  rules.forEach((rule, i) => {
    const at = (reason: string) => failAt(['relabel_configs', i], reason);
    if (!isObject(rule)) {
      if (rule === null) fail('empty or null target relabeling rule in scrape config');
      return;
    }
    const cfg = toRelabel(rule, at);
    if (cfg) relabelConfigs.push(cfg);
  });
  for (const [i, rule] of (Array.isArray(raw.metric_relabel_configs) ? raw.metric_relabel_configs : []).entries()) {
    if (rule === null) fail('empty or null metric relabeling rule in scrape config');
    else if (isObject(rule)) toRelabel(rule, (reason) => failAt(['metric_relabel_configs', i], reason));
  }

  const kubernetesSd: KubernetesSdConfig[] = [];
  (Array.isArray(raw.kubernetes_sd_configs) ? raw.kubernetes_sd_configs : []).forEach((sd, i) => {
    if (!isObject(sd)) return;
    const at = (reason: string) => failAt(['kubernetes_sd_configs', i], reason);
    const role = str(sd.role) ?? '';
    if (!role) return void at('role missing (one of: pod, service, endpoints, endpointslice, node, ingress)');
    if (!(SD_ROLES as readonly string[]).includes(role)) return void at(`unknown Kubernetes SD role "${role}"`);
    const allowed: Record<SdRole, string[]> = {
      pod: ['pod'], service: ['service'], endpoints: ['pod', 'service', 'endpoints'], endpointslice: ['pod', 'service', 'endpointslice'], node: ['node'], ingress: ['ingress'],
    };
    const selectors = (Array.isArray(sd.selectors) ? sd.selectors : []).filter(isObject).map((s) => ({ role: str(s.role), label: str(s.label), field: str(s.field) }));
    const seenRoles = new Set<string>();
    for (const s of selectors) {
      if (!s.role || !allowed[role as SdRole].includes(s.role)) at(`${role} role supports only ${allowed[role as SdRole].join(', ')} selectors`);
      if (s.role && seenRoles.has(s.role)) at(`duplicated selector role: ${s.role}`);
      if (s.role) seenRoles.add(s.role);
    }
    const ns = isObject(sd.namespaces) ? sd.namespaces : {};
    kubernetesSd.push({
      role: role as SdRole,
      namespaces: { names: Array.isArray(ns.names) ? ns.names.map(String) : undefined, ownNamespace: ns.own_namespace === true },
      selectors,
      ...(str(sd.api_server) || str(sd.kubeconfig_file) ? { apiServer: str(sd.api_server) ?? str(sd.kubeconfig_file) } : {}),
    });
  });

  const staticTargets: RawScrapeJob['staticTargets'] = [];
  (Array.isArray(raw.static_configs) ? raw.static_configs : []).forEach((group, i) => {
    if (!isObject(group)) return;
    const targets = (Array.isArray(group.targets) ? group.targets : []).map((t) => String(t));
    for (const t of targets) if (t.includes('/')) failAt(['static_configs', i], `"${t}" is not a valid hostname`);
    const labels = isObject(group.labels) ? Object.fromEntries(Object.entries(group.labels).map(([k, v]) => [k, String(v ?? '')])) : {};
    for (const k of Object.keys(labels)) if (!isValidLabelName(k)) failAt(['static_configs', i], `"${k}" is not a valid label name`);
    staticTargets.push({ targets, labels });
  });

  const params = isObject(raw.params)
    ? Object.fromEntries(Object.entries(raw.params).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []]))
    : undefined;
  return {
    name, line, scheme: str(raw.scheme) ?? 'http', metricsPath: str(raw.metrics_path) ?? '/metrics',
    scrapeInterval: interval, scrapeTimeout: timeout, ...(params ? { params } : {}), ...(tls ? { tls } : {}),
    enableHttp2: raw.enable_http2 !== false,
    kubernetesSd, staticTargets, relabelConfigs,
    otherSd: Object.keys(raw).filter((k) => k.endsWith('_sd_configs') && k !== 'kubernetes_sd_configs'),
  };
}

const RELABEL_TARGET = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

/** relabel.Config's UnmarshalYAML and Validate (Prometheus 2.42+). */
function toRelabel(rule: Record<string, unknown>, fail: (reason: string) => void): RelabelConfig | undefined {
  const actionText = (str(rule.action) ?? 'replace').toLowerCase();
  if (!(RELABEL_ACTIONS as readonly string[]).includes(actionText)) {
    fail(`unknown relabel action "${str(rule.action)}"`);
    return undefined;
  }
  const action = actionText as RelabelAction;
  const sourceLabels = Array.isArray(rule.source_labels) ? rule.source_labels.map((l) => String(l)) : undefined;
  for (const l of sourceLabels ?? []) if (!isValidLabelName(l)) fail(`"${l}" is not a valid label name`);
  const cfg: RelabelConfig = { action };
  if (sourceLabels) cfg.sourceLabels = sourceLabels;
  if (rule.separator !== undefined && rule.separator !== null) cfg.separator = String(rule.separator);
  if (rule.regex !== undefined && rule.regex !== null) cfg.regex = String(rule.regex);
  if (rule.target_label !== undefined && rule.target_label !== null) cfg.targetLabel = String(rule.target_label);
  if (rule.replacement !== undefined && rule.replacement !== null) cfg.replacement = String(rule.replacement);
  if (typeof rule.modulus === 'number') cfg.modulus = rule.modulus;
  try {
    anchoredRegex(cfg.regex ?? '(.*)');
  } catch (error) {
    if (error instanceof RegexError) fail(error.message);
    else throw error;
    return undefined;
  }
  const target = cfg.targetLabel ?? '';
  const replacementSet = cfg.replacement !== undefined && cfg.replacement !== '$1';
  if (action === 'hashmod' && !cfg.modulus) fail('relabel configuration for hashmod requires non-zero modulus');
  if (['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action) && !target) fail(`relabel configuration for ${action} action requires 'target_label' value`);
  if (['replace', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action) && target && !RELABEL_TARGET.test(target)) fail(`"${target}" is invalid 'target_label' for ${action} action`);
  if (['lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action) && replacementSet) fail(`'replacement' can not be set for ${action} action`);
  if (action === 'labelmap' && !RELABEL_TARGET.test(cfg.replacement ?? '$1')) fail(`"${cfg.replacement}" is invalid 'replacement' for ${action} action`);
  if (action === 'hashmod' && target && !isValidLabelName(target)) fail(`"${target}" is invalid 'target_label' for ${action} action`);
  if (['keepequal', 'dropequal'].includes(action) && (cfg.regex !== undefined && cfg.regex !== '(.*)' || cfg.modulus || (cfg.separator !== undefined && cfg.separator !== ';')))
    fail(`${action} action requires only 'source_labels' and 'target_label', and no other fields`);
  if (['labeldrop', 'labelkeep'].includes(action) && (sourceLabels?.length || target || cfg.modulus || (cfg.separator !== undefined && cfg.separator !== ';') || replacementSet))
    fail(`${action} action requires only 'regex', and no other fields`);
  return cfg;
}
