/**
 * asm-prom's own JSON schema of ServiceMonitor and PodMonitor (monitoring.coreos.com/v1), for the
 * fields it understands, validated with ajv. Unknown fields are rejected, as `kubectl apply` does
 * with strict field validation. Fields asm-prom does not interpret (relabelings, authorization, …)
 * are checked for their type only. test/model-monitor-schema.test.ts fails when this schema and the
 * operator's CRDs disagree on a field or a type.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { MonitorKind } from './selectors.js';

export const MONITOR_API_VERSION = 'monitoring.coreos.com/v1';

export type Schema = Record<string, unknown>;

export const string: Schema = { type: 'string' };
export const boolean: Schema = { type: 'boolean' };
export const integer: Schema = { type: 'integer' };
const nonNegative: Schema = { type: 'integer', minimum: 0 };
export const intOrString: Schema = { type: ['integer', 'string'] };
/** A field asm-prom does not interpret: its type is checked, its content is not. */
export const opaque = (type: 'object' | 'array'): Schema => ({ type });
export const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
export const mapOf = (values: Schema): Schema => ({ type: 'object', additionalProperties: values });
export const strictObject = (properties: Record<string, Schema>, required?: string[]): Schema => ({
  type: 'object', properties, additionalProperties: false, ...(required ? { required } : {}),
});
export const oneOfStrings = (...values: string[]): Schema => ({ type: 'string', enum: values });
/** Go durations as the operator's CRD accepts them (`30s`, `1m30s`, `0`). */
const duration: Schema = { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' };

export const keySelector = strictObject({ key: string, name: string, optional: boolean }, ['key']);
export const secretOrConfigMap = strictObject({ configMap: keySelector, secret: keySelector });
const scrapeProtocol = oneOfStrings('PrometheusProto', 'OpenMetricsText0.0.1', 'OpenMetricsText1.0.0', 'PrometheusText0.0.4', 'PrometheusText1.0.0');

export const labelSelector = strictObject({
  matchExpressions: arrayOf(strictObject({
    key: string,
    operator: oneOfStrings('In', 'NotIn', 'Exists', 'DoesNotExist'),
    values: arrayOf(string),
  }, ['key', 'operator'])),
  matchLabels: mapOf(string),
});

/** Pod pieces the scrapers' resources carry (VMAgent, OpenTelemetryCollector): mounts strictly, containers and volumes by name. */
export const volumeMount = strictObject({ name: string, mountPath: string, readOnly: boolean, subPath: string, subPathExpr: string, mountPropagation: string, recursiveReadOnly: string }, ['mountPath', 'name']);
export const containerPatch: Schema = { type: 'object', properties: { name: string, volumeMounts: arrayOf(volumeMount) }, required: ['name'] };
export const namedVolume: Schema = { type: 'object', properties: { name: string }, required: ['name'] };

/** The TLS settings of an endpoint. A PodMonitor's cannot name files: only Secrets and ConfigMaps. */
function tlsConfig(kind: MonitorKind): Schema {
  const files: Record<string, Schema> = kind === 'ServiceMonitor' ? { caFile: string, certFile: string, keyFile: string } : {};
  const tlsVersion = oneOfStrings('TLS10', 'TLS11', 'TLS12', 'TLS13');
  return strictObject({
    ca: secretOrConfigMap, cert: secretOrConfigMap, keySecret: keySelector,
    ...files,
    insecureSkipVerify: boolean, serverName: string, minVersion: tlsVersion, maxVersion: tlsVersion,
  });
}

function endpoint(kind: MonitorKind): Schema {
  const kindOnly: Record<string, Schema> = kind === 'ServiceMonitor' ? { bearerTokenFile: string } : { portNumber: { type: 'integer', minimum: 1, maximum: 65535 } };
  return strictObject({
    port: string,
    targetPort: intOrString,
    ...kindOnly,
    path: string,
    scheme: oneOfStrings('http', 'https', 'HTTP', 'HTTPS'),
    params: mapOf(arrayOf(string)),
    interval: duration,
    scrapeTimeout: duration,
    tlsConfig: tlsConfig(kind),
    enableHttp2: boolean,
    followRedirects: boolean,
    honorLabels: boolean,
    honorTimestamps: boolean,
    trackTimestampsStaleness: boolean,
    filterRunning: boolean,
    noProxy: string,
    proxyUrl: { type: 'string', pattern: '^(http|https|socks5)://.+$' },
    proxyFromEnvironment: boolean,
    proxyConnectHeader: opaque('object'),
    authorization: opaque('object'),
    basicAuth: opaque('object'),
    oauth2: opaque('object'),
    bearerTokenSecret: keySelector,
    relabelings: opaque('array'),
    metricRelabelings: opaque('array'),
  });
}

function spec(kind: MonitorKind): Schema {
  const kindOnly: Record<string, Schema> = kind === 'ServiceMonitor'
    ? { endpoints: arrayOf(endpoint(kind)), targetLabels: arrayOf(string), serviceDiscoveryRole: oneOfStrings('Endpoints', 'EndpointSlice') }
    : { podMetricsEndpoints: arrayOf(endpoint(kind)) };
  return strictObject({
    selector: labelSelector,
    namespaceSelector: strictObject({ any: boolean, matchNames: arrayOf(string) }),
    ...kindOnly,
    selectorMechanism: oneOfStrings('RelabelConfig', 'RoleSelector'),
    scrapeClass: { type: 'string', minLength: 1 },
    jobLabel: string,
    podTargetLabels: arrayOf(string),
    attachMetadata: strictObject({ node: boolean }),
    sampleLimit: nonNegative,
    targetLimit: nonNegative,
    labelLimit: nonNegative,
    labelNameLengthLimit: nonNegative,
    labelValueLengthLimit: nonNegative,
    keepDroppedTargets: nonNegative,
    bodySizeLimit: string,
    scrapeProtocols: arrayOf(scrapeProtocol),
    fallbackScrapeProtocol: scrapeProtocol,
    scrapeClassicHistograms: boolean,
    scrapeNativeHistograms: boolean,
    convertClassicHistogramsToNHCB: boolean,
    nativeHistogramBucketLimit: nonNegative,
    nativeHistogramMinBucketFactor: intOrString,
  }, kind === 'ServiceMonitor' ? ['selector', 'endpoints'] : ['selector']);
}

/** The whole object's schema: exact apiVersion and kind, a named metadata, the spec. */
export function monitorSchema(kind: MonitorKind): Schema {
  return resourceSchema(MONITOR_API_VERSION, kind, spec(kind));
}

/** A custom resource: exact apiVersion and kind, a named metadata, its spec, any status. */
export function resourceSchema(apiVersion: string, kind: string, specSchema: Schema): Schema {
  return strictObject({
    apiVersion: { type: 'string', const: apiVersion },
    kind: { type: 'string', const: kind },
    // Live objects carry server-set metadata (uid, managedFields, …): only what asm-prom reads is typed.
    metadata: { type: 'object', properties: { name: string, namespace: string, labels: mapOf(string), annotations: mapOf(string) }, required: ['name'] },
    spec: specSchema,
    status: opaque('object'),
  }, ['apiVersion', 'kind', 'metadata', 'spec']);
}

/**
 * Validators compiled at first use, not at import: compiling costs tens of milliseconds of every
 * start-up. verbose: errors carry their schema, whose property names suggest what a misspelt field meant.
 */
export function lazyValidators<K extends string>(schemas: () => Record<K, Schema>): () => Record<K, ValidateFunction> {
  let compiled: Record<K, ValidateFunction> | undefined;
  return () => {
    if (!compiled) {
      const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
      const entries = Object.entries(schemas()) as [K, Schema][];
      compiled = Object.fromEntries(entries.map(([kind, schema]) => [kind, ajv.compile(schema)])) as Record<K, ValidateFunction>;
    }
    return compiled;
  };
}

export const SCRAPE_CONFIG_API_VERSION = 'monitoring.coreos.com/v1alpha1';

const K8S_ROLES = oneOfStrings('Pod', 'Endpoints', 'Ingress', 'Service', 'Node', 'EndpointSlice');
const relabelConfig = strictObject({
  sourceLabels: arrayOf(string), separator: string, targetLabel: string, regex: string,
  modulus: nonNegative, replacement: string,
  action: oneOfStrings('replace', 'Replace', 'keep', 'Keep', 'drop', 'Drop', 'hashmod', 'HashMod', 'labelmap', 'LabelMap', 'labeldrop', 'LabelDrop',
    'labelkeep', 'LabelKeep', 'lowercase', 'Lowercase', 'uppercase', 'Uppercase', 'keepequal', 'KeepEqual', 'dropequal', 'DropEqual'),
});
/** The SafeTLSConfig of a ScrapeConfig: no file fields (files come only from a scrape class). */
const safeTlsConfig = strictObject({
  ca: secretOrConfigMap, cert: secretOrConfigMap, keySecret: keySelector,
  insecureSkipVerify: boolean, serverName: string, minVersion: oneOfStrings('TLS10', 'TLS11', 'TLS12', 'TLS13'), maxVersion: oneOfStrings('TLS10', 'TLS11', 'TLS12', 'TLS13'),
});
const OTHER_SD = ['azure', 'consul', 'digitalOcean', 'dns', 'docker', 'dockerSwarm', 'ec2', 'eureka', 'file', 'gce', 'hetzner', 'http', 'ionos', 'kuma', 'lightSail', 'linode', 'nomad', 'openstack', 'ovhcloud', 'puppetDB', 'scaleway'];

/**
 * The ScrapeConfig's spec (monitoring.coreos.com/v1alpha1), from the operator's CRD
 * example/prometheus-operator-crd/monitoring.coreos.com_scrapeconfigs.yaml at v0.93.0 (commit
 * 6adcebc5076c34f4f55f8f5f7b1e528929373ac7): what asm-prom interprets (discovery, relabelling,
 * scheme, path, TLS) in full, the other fields by type.
 */
function scrapeConfigSpec(): Schema {
  return strictObject({
    jobName: { type: 'string', minLength: 1 },
    metricsPath: { type: 'string', minLength: 1 },
    scheme: oneOfStrings('http', 'https', 'HTTP', 'HTTPS'),
    scrapeClass: { type: 'string', minLength: 1 },
    scrapeInterval: duration,
    scrapeTimeout: duration,
    params: mapOf(arrayOf(string)),
    tlsConfig: safeTlsConfig,
    relabelings: arrayOf(relabelConfig),
    metricRelabelings: arrayOf(relabelConfig),
    staticConfigs: arrayOf(strictObject({ targets: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }, labels: mapOf(string) }, ['targets'])),
    kubernetesSDConfigs: arrayOf(strictObject({
      role: K8S_ROLES,
      apiServer: string,
      namespaces: strictObject({ names: arrayOf(string), ownNamespace: boolean }),
      selectors: arrayOf(strictObject({ role: K8S_ROLES, label: { type: 'string', minLength: 1 }, field: { type: 'string', minLength: 1 } }, ['role'])),
      attachMetadata: strictObject({ node: boolean }),
      tlsConfig: safeTlsConfig,
      enableHTTP2: boolean, followRedirects: boolean, noProxy: string, proxyFromEnvironment: boolean,
      proxyUrl: { type: 'string', pattern: '^(http|https|socks5)://.+$' },
      authorization: opaque('object'), basicAuth: opaque('object'), oauth2: opaque('object'), proxyConnectHeader: opaque('object'),
    }, ['role'])),
    ...Object.fromEntries(OTHER_SD.map((sd) => [`${sd}SDConfigs`, opaque('array')])),
    honorLabels: boolean, honorTimestamps: boolean, trackTimestampsStaleness: boolean, enableCompression: boolean, enableHTTP2: boolean,
    scrapeClassicHistograms: boolean, scrapeNativeHistograms: boolean, convertClassicHistogramsToNHCB: boolean, proxyFromEnvironment: boolean,
    noProxy: string, proxyUrl: { type: 'string', pattern: '^(http|https|socks5)://.+$' },
    authorization: opaque('object'), basicAuth: opaque('object'), oauth2: opaque('object'), proxyConnectHeader: opaque('object'),
    sampleLimit: nonNegative, targetLimit: nonNegative, labelLimit: nonNegative, labelNameLengthLimit: nonNegative,
    labelValueLengthLimit: nonNegative, keepDroppedTargets: nonNegative, nativeHistogramBucketLimit: nonNegative,
    nativeHistogramMinBucketFactor: intOrString,
    bodySizeLimit: { type: 'string', pattern: '(^0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$' },
    scrapeProtocols: arrayOf(scrapeProtocol), fallbackScrapeProtocol: scrapeProtocol,
    nameEscapingScheme: oneOfStrings('AllowUTF8', 'Underscores', 'Dots', 'Values'),
    nameValidationScheme: oneOfStrings('UTF8', 'Legacy'),
  });
}

export function scrapeConfigSchema(): Schema {
  return strictObject({
    apiVersion: { type: 'string', const: SCRAPE_CONFIG_API_VERSION },
    kind: { type: 'string', const: 'ScrapeConfig' },
    metadata: { type: 'object', properties: { name: string, namespace: string, labels: mapOf(string), annotations: mapOf(string) }, required: ['name'] },
    spec: scrapeConfigSpec(),
    status: opaque('object'),
  }, ['apiVersion', 'kind', 'metadata', 'spec']);
}

const validators = lazyValidators<SchemaKind>(() => ({ ServiceMonitor: monitorSchema('ServiceMonitor'), PodMonitor: monitorSchema('PodMonitor'), ScrapeConfig: scrapeConfigSchema() }));

/** `/spec/endpoints/0/tlsConfig` + `caFiel` → `spec.endpoints[0].tlsConfig.caFiel` */
function jsonPath(instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (child !== undefined) segments.push(child);
  return segments.reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path ? `${path}.${s}` : s), '') || '(the object)';
}

const POD_MONITOR_TLS_CONFIG = /^spec\.podMetricsEndpoints\[\d+\]\.tlsConfig$/;
const FILE_FIELDS = ['caFile', 'certFile', 'keyFile'];

function describeError(error: ErrorObject): string {
  const path = jsonPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const where = jsonPath(error.instancePath, field);
      if (FILE_FIELDS.includes(field) && POD_MONITOR_TLS_CONFIG.test(path))
        return `${where}: unknown field (a PodMonitor's tlsConfig cannot name files; the Istio files reach PodMonitors only through a Prometheus scrape class)`;
      if (FILE_FIELDS.includes(field) && path === 'spec.tlsConfig' && !(error.parentSchema as { properties?: Schema } | undefined)?.properties?.caFile)
        return `${where}: unknown field (a ScrapeConfig's tlsConfig cannot name files; the Istio files reach ScrapeConfigs only through a Prometheus scrape class)`;
      const known = Object.keys((error.parentSchema as Schema | undefined)?.properties ?? {});
      const meant = known.find((name) => editDistance(name.toLowerCase(), field.toLowerCase()) <= 2);
      if (!meant && known.join() === 'matchExpressions,matchLabels') return `${where}: unknown field (a label selector: labels go under matchLabels)`;
      return `${where}: unknown field${meant ? ` (did you mean ${meant}?)` : ''}`;
    }
    case 'required':
      return `${jsonPath(error.instancePath, String(params.missingProperty))}: required`;
    case 'const':
      return `${path}: must be ${JSON.stringify(params.allowedValue)}`;
    case 'enum':
      return `${path}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'type':
      return `${path}: must be ${String(params.type).replace(',', ' or ')}`;
    case 'pattern':
      return `${path}: ${params.pattern === duration.pattern ? 'must be a duration such as 30s or 1m' : `must match ${String(params.pattern)}`}`;
    default:
      return `${path}: ${error.message ?? error.keyword}`;
  }
}

export type SchemaKind = MonitorKind | 'ScrapeConfig';

/** Every schema error of a monitor (or ScrapeConfig), each with its JSON path; empty when it is valid. */
export function validateMonitor(kind: SchemaKind, object: unknown): string[] {
  return schemaErrors(validators()[kind], object);
}

/** A validator's errors on an object, each as `JSON path: reason`, without repeats; empty when valid. */
export function schemaErrors(validate: ValidateFunction, object: unknown): string[] {
  if (validate(object)) return [];
  return [...new Set((validate.errors ?? []).map((e) => describeError(e)))];
}

/** Levenshtein distance, with an adjacent swap counted as two edits: enough to spot a typo. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
