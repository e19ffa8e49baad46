/**
 * The prometheus-operator's `ScrapeConfig` (monitoring.coreos.com/v1alpha1) as the Prometheus job the
 * operator generates from it, so that it is judged as a raw job is. Read from the operator's
 * `generateScrapeConfig` (pkg/prometheus/promcfg.go) and its CRD
 * (example/prometheus-operator-crd/monitoring.coreos.com_scrapeconfigs.yaml), prometheus-operator
 * v0.93.0, commit 6adcebc5076c34f4f55f8f5f7b1e528929373ac7; API reference:
 * https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1alpha1.ScrapeConfig
 *
 * - job name `scrapeConfig/<namespace>/<name>`; `spec.jobName` only sets the `job` label;
 * - relabelling: the operator's own first rule (`job` → `__tmp_prometheus_job_name`), the scrape
 *   class's relabelings, the `jobName` rule, then `spec.relabelings` (actions lower-cased);
 * - `scheme` lower-cased; `kubernetesSDConfigs` roles and selector roles lower-cased;
 * - `tlsConfig` is a SafeTLSConfig: Secret/ConfigMap references (`ca`, `cert`, `keySecret`),
 *   `insecureSkipVerify`, `serverName`, no file fields. Files (Istio's certificates) come only from
 *   the scrape class, merged as for monitors (`mergeSafeTLSConfigWithScrapeClass`).
 *
 * Pure: no I/O.
 */
import { stringify } from 'yaml';
import type { KubeObject, SafeTLSConfig, ScrapeClass } from './k8s.js';
import { nameOf, namespaceOf } from './k8s.js';
import { mergeTlsWithScrapeClass } from './scrape-class.js';
import { loadPrometheusConfig, type LoadedConfig } from './scrape-config.js';

export const SCRAPE_CONFIG_API_VERSION = 'monitoring.coreos.com/v1alpha1';

export interface ScrapeConfigObject extends KubeObject {
  spec?: {
    scrapeClass?: string;
    jobName?: string;
    metricsPath?: string;
    scheme?: string;
    tlsConfig?: SafeTLSConfig;
    relabelings?: unknown[];
    kubernetesSDConfigs?: unknown[];
    staticConfigs?: unknown[];
    [key: string]: unknown;
  };
}

export const isScrapeConfigObject = (o: KubeObject): o is ScrapeConfigObject =>
  o.kind === 'ScrapeConfig' && (o.apiVersion === undefined || String(o.apiVersion).startsWith('monitoring.coreos.com/'));

export const scrapeConfigJobName = (o: KubeObject) => `scrapeConfig/${namespaceOf(o)}/${nameOf(o)}`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isObject) : []);
const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
/** Only the keys whose value is set, as the operator's generator writes them. */
const defined = (entries: [string, unknown][]) => Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== null));

/** A relabel rule of the CRD (camelCase) as Prometheus reads it. */
function relabelRule(rule: Record<string, unknown>): Record<string, unknown> {
  return defined([
    ['source_labels', rule.sourceLabels], ['separator', rule.separator], ['target_label', rule.targetLabel], ['regex', rule.regex],
    ['modulus', rule.modulus], ['replacement', rule.replacement], ['action', lower(rule.action)],
  ]);
}

/** A Secret or ConfigMap reference, written as a placeholder: the operator writes its content into a file of its own. */
const refText = (ref: unknown) => {
  if (!isObject(ref)) return undefined;
  const source = isObject(ref.secret) ? ref.secret : isObject(ref.configMap) ? ref.configMap : ref;
  return typeof source.name === 'string' ? `<${isObject(ref.configMap) ? 'configMap' : 'secret'} ${String(source.name)} key ${String(source.key ?? '')}>` : undefined;
};

function tlsConfig(tls: SafeTLSConfig | undefined): Record<string, unknown> | undefined {
  if (!tls) return undefined;
  const out = defined([
    ['ca', refText(tls.ca)], ['ca_file', tls.caFile], ['cert', refText(tls.cert)], ['cert_file', tls.certFile],
    ['key', refText(tls.keySecret)], ['key_file', tls.keyFile], ['server_name', tls.serverName],
    ['insecure_skip_verify', typeof tls.insecureSkipVerify === 'boolean' ? tls.insecureSkipVerify : undefined],
  ]);
  return Object.keys(out).length ? out : undefined;
}

function kubernetesSd(sd: Record<string, unknown>): Record<string, unknown> {
  const namespaces = isObject(sd.namespaces) ? sd.namespaces : undefined;
  return defined([
    ['api_server', sd.apiServer],
    ['role', lower(sd.role)],
    ['namespaces', namespaces && defined([['names', namespaces.names ?? []], ['own_namespace', namespaces.ownNamespace]])],
    ['selectors', Array.isArray(sd.selectors) ? list(sd.selectors).map((s) => defined([['role', lower(s.role)], ['label', s.label], ['field', s.field]])) : undefined],
  ]);
}

/** The fields a SafeTLSConfig has: file fields are not among them (the API server prunes or refuses them). */
const SAFE_TLS_FIELDS = ['ca', 'cert', 'keySecret', 'insecureSkipVerify', 'serverName', 'minVersion', 'maxVersion'];
function safeTls(tls: unknown): SafeTLSConfig | undefined {
  if (!isObject(tls)) return undefined;
  return Object.fromEntries(Object.entries(tls).filter(([k]) => SAFE_TLS_FIELDS.includes(k)));
}

/** `fileSDConfigs` → `file_sd_configs`: other discovery, whose targets the doctor cannot know. */
const otherSdKey = (key: string) => `${key.replace(/SDConfigs$/, '').toLowerCase()}_sd_configs`;

/** The scrape job the operator generates from a ScrapeConfig under a scrape class (Prometheus's YAML field names). */
export function operatorScrapeJob(object: ScrapeConfigObject, scrapeClass?: ScrapeClass): Record<string, unknown> {
  const spec = isObject(object.spec) ? object.spec : {};
  const relabelings: Record<string, unknown>[] = [
    { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
    ...list(scrapeClass?.relabelings).map(relabelRule),
    ...(typeof spec.jobName === 'string' ? [{ target_label: 'job', action: 'replace', replacement: spec.jobName }] : []),
    ...list(spec.relabelings).map(relabelRule),
  ];
  const others = Object.keys(spec).filter((k) => k.endsWith('SDConfigs') && k !== 'kubernetesSDConfigs' && list(spec[k]).length);
  return defined([
    ['job_name', scrapeConfigJobName(object)],
    ['honor_labels', spec.honorLabels],
    ['metrics_path', spec.metricsPath],
    ['params', spec.params],
    ['enable_http2', spec.enableHTTP2],
    ['scrape_interval', spec.scrapeInterval],
    ['scrape_timeout', spec.scrapeTimeout],
    ['scheme', lower(spec.scheme)],
    ['tls_config', tlsConfig(mergeTlsWithScrapeClass(safeTls(spec.tlsConfig), scrapeClass))],
    ['static_configs', list(spec.staticConfigs).length ? list(spec.staticConfigs).map((c) => defined([['targets', c.targets], ['labels', c.labels]])) : undefined],
    ['kubernetes_sd_configs', list(spec.kubernetesSDConfigs).length ? list(spec.kubernetesSDConfigs).map(kubernetesSd) : undefined],
    ...others.map((k): [string, unknown] => [otherSdKey(k), [{}]]),
    ['relabel_configs', relabelings],
    ['metric_relabel_configs', list(spec.metricRelabelings).length ? list(spec.metricRelabelings).map(relabelRule) : undefined],
  ]);
}

/** The generated job, loaded as Prometheus loads it (what it would refuse is in `errors`). */
export function loadScrapeConfigObject(object: ScrapeConfigObject, scrapeClass?: ScrapeClass): LoadedConfig {
  return loadPrometheusConfig(stringify({ scrape_configs: [operatorScrapeJob(object, scrapeClass)] }));
}
