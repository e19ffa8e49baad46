/**
 * asm-prom's own schema subset of VictoriaMetrics' VMServiceScrape and VMPodScrape
 * (operator.victoriametrics.com/v1beta1), written from the operator's API reference
 * (docs.victoriametrics.com/operator/api/: VMServiceScrapeSpec, VMPodScrapeSpec, Endpoint,
 * PodMetricsEndpoint, TLSConfig) and checked by hand against the CRDs of VictoriaMetrics/operator
 * (config/crd/overlay/crd.yaml; see docs/scrapers.md for the release). Strict where asm-prom reads:
 * apiVersion/kind, the endpoints' port/scheme types and every field of tlsConfig (a misspelt
 * `caFiel` leaves the scrape without the Istio files, silently: the CRD prunes it). Elsewhere only
 * types are checked: the VM CRDs carry many fields asm-prom does not interpret.
 */
import { Ajv, type ValidateFunction } from 'ajv';

export const VM_API_VERSION = 'operator.victoriametrics.com/v1beta1';
export type VMMonitorKind = 'VMServiceScrape' | 'VMPodScrape';

type Schema = Record<string, unknown>;
const string: Schema = { type: 'string' };
const boolean: Schema = { type: 'boolean' };
const keySelector: Schema = { type: 'object', properties: { key: string, name: string, optional: boolean }, required: ['key'], additionalProperties: false };
const secretOrConfigMap: Schema = { type: 'object', properties: { configMap: keySelector, secret: keySelector }, additionalProperties: false };

/** VM's TLSConfig: the files, the Secret/ConfigMap references, server verification. */
const tlsConfig: Schema = {
  type: 'object', additionalProperties: false,
  properties: { ca: secretOrConfigMap, caFile: string, cert: secretOrConfigMap, certFile: string, keyFile: string, keySecret: keySelector, insecureSkipVerify: boolean, serverName: string },
};

const endpoint: Schema = {
  type: 'object',
  properties: {
    port: string, targetPort: { type: ['integer', 'string'] }, portNumber: { type: 'integer', minimum: 1, maximum: 65535 },
    path: string, scheme: { type: 'string', enum: ['http', 'https', 'HTTP', 'HTTPS'] }, tlsConfig,
    interval: string, scrapeTimeout: string, scrape_interval: string, honorLabels: boolean, honorTimestamps: boolean,
    bearerTokenFile: string, relabelConfigs: { type: 'array' }, metricRelabelConfigs: { type: 'array' },
  },
};

function schema(kind: VMMonitorKind): Schema {
  const endpoints = kind === 'VMServiceScrape' ? 'endpoints' : 'podMetricsEndpoints';
  return {
    type: 'object', required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string', const: VM_API_VERSION },
      kind: { type: 'string', const: kind },
      metadata: { type: 'object', properties: { name: string }, required: ['name'] },
      spec: {
        type: 'object',
        properties: {
          selector: { type: 'object' },
          namespaceSelector: { type: 'object', properties: { any: boolean, matchNames: { type: 'array', items: string } }, additionalProperties: false },
          [endpoints]: { type: 'array', items: endpoint },
          discoveryRole: { type: 'string', enum: ['endpoints', 'service', 'endpointslices', 'endpointslice'] },
          jobLabel: string,
        },
        ...(kind === 'VMServiceScrape' ? { required: ['endpoints'] } : {}),
      },
    },
  };
}

let compiled: Record<VMMonitorKind, ValidateFunction> | undefined;

/** Every schema error of a VMServiceScrape/VMPodScrape, as JSON paths with the reason; empty when valid. */
export function validateVMMonitor(kind: VMMonitorKind, object: unknown): string[] {
  compiled ??= (() => {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    return { VMServiceScrape: ajv.compile(schema('VMServiceScrape')), VMPodScrape: ajv.compile(schema('VMPodScrape')) };
  })();
  const validate = compiled[kind];
  if (validate(object)) return [];
  return [...new Set((validate.errors ?? []).map((e) => {
    const path = e.instancePath.split('/').slice(1).reduce((p, s) => (/^\d+$/.test(s) ? `${p}[${s}]` : p ? `${p}.${s}` : s), '') || '(the object)';
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') return `${path}.${String(params.additionalProperty)}: unknown field`;
    if (e.keyword === 'required') return `${path === '(the object)' ? '' : `${path}.`}${String(params.missingProperty)}: required`;
    if (e.keyword === 'const') return `${path}: must be ${JSON.stringify(params.allowedValue)}`;
    return `${path}: ${e.message ?? e.keyword}`;
  }))];
}
