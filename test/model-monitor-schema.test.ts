/**
 * asm-prom's monitor schema against the operator's own CRDs (v0.93.0, vendored in test/fixtures/upstream): every
 * field the CRD gives a spec, an endpoint or a tlsConfig must be known to asm-prom with the same
 * type, and asm-prom must know no field the CRD lacks. A new operator release that adds or retypes
 * a field makes this test fail until src/model/monitor-schema.ts follows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { monitorSchema, validateMonitor } from '../src/model/monitor-schema.js';
import type { MonitorKind } from '../src/model/selectors.js';
import { SEED, upstream } from './helpers/fixtures.js';

const UPSTREAM = upstream('prometheus-operator/');
const CRD_FILES: Record<MonitorKind, string> = {
  ServiceMonitor: 'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml',
  PodMonitor: 'example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml',
};

type Node = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
  enum?: unknown[];
};

function crdSchema(kind: MonitorKind): Node {
  const crd = parse(readFileSync(UPSTREAM + CRD_FILES[kind], 'utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Node } }[] } };
  return crd.spec.versions.find((v) => v.name === 'v1')!.schema.openAPIV3Schema;
}

/** The JSON-schema type of a CRD node; int-or-string is our ['integer', 'string']. */
function crdType(node: Node): string {
  return node['x-kubernetes-int-or-string'] ? 'integer|string' : String(node.type);
}
function ourType(node: Node): string {
  return Array.isArray(node.type) ? [...node.type].sort().join('|') : String(node.type);
}

/** Every disagreement between the CRD and asm-prom's schema, as `path: what`. */
export function disagreements(crd: Node, ours: Node, path = ''): string[] {
  const out: string[] = [];
  const here = path || '(root)';
  if (crdType(crd) !== ourType(ours)) out.push(`${here}: the CRD says ${crdType(crd)}, asm-prom says ${ourType(ours)}`);
  if (crd.enum && JSON.stringify([...crd.enum].sort()) !== JSON.stringify([...(ours.enum ?? [])].sort()))
    out.push(`${here}: the CRD allows ${crd.enum.join(', ')}, asm-prom ${ours.enum?.join(', ') ?? 'anything'}`);
  // asm-prom checks only the type of the fields it does not interpret (no `properties`): nothing more to compare.
  if (crd.properties && ours.properties) {
    for (const key of Object.keys(crd.properties)) {
      if (!ours.properties[key]) out.push(`${path}.${key}: in the CRD, unknown to asm-prom`);
      else out.push(...disagreements(crd.properties[key]!, ours.properties[key]!, `${path}.${key}`));
    }
    for (const key of Object.keys(ours.properties)) if (!crd.properties[key]) out.push(`${path}.${key}: known to asm-prom, not in the CRD`);
  }
  if (crd.items && ours.items) out.push(...disagreements(crd.items, ours.items, `${path}[]`));
  if (typeof crd.additionalProperties === 'object' && typeof ours.additionalProperties === 'object')
    out.push(...disagreements(crd.additionalProperties, ours.additionalProperties, `${path}{}`));
  return out;
}

describe.each(['ServiceMonitor', 'PodMonitor'] as const)('the %s schema', (kind) => {
  const crd = crdSchema(kind);
  const ours = monitorSchema(kind) as Node;

  it("agrees with the operator's CRD on every field and type it describes", () => {
    // metadata is Kubernetes' ObjectMeta, which the CRD leaves to the API server.
    const { metadata: _crdMeta, ...crdTop } = crd.properties!;
    const { metadata: _ourMeta, ...ourTop } = ours.properties!;
    expect(disagreements({ ...crd, properties: crdTop }, { ...ours, properties: ourTop })).toEqual([]);
  });

  it('knows every endpoint and tlsConfig field of the CRD', () => {
    const endpoints = kind === 'ServiceMonitor' ? 'endpoints' : 'podMetricsEndpoints';
    const crdEndpoint = crd.properties!.spec!.properties![endpoints]!.items!;
    const ourEndpoint = ours.properties!.spec!.properties![endpoints]!.items!;
    expect(Object.keys(ourEndpoint.properties!).sort()).toEqual(Object.keys(crdEndpoint.properties!).sort());
    expect(Object.keys(ourEndpoint.properties!.tlsConfig!.properties!).sort()).toEqual(Object.keys(crdEndpoint.properties!.tlsConfig!.properties!).sort());
  });
});

describe('the comparison itself', () => {
  const crd: Node = { type: 'object', properties: { port: { type: 'string' }, targetPort: { 'x-kubernetes-int-or-string': true }, scheme: { type: 'string', enum: ['http', 'https'] } } };
  it('finds a missing field, a retyped field, an extra field and a different enum', () => {
    const ours: Node = { type: 'object', properties: { port: { type: 'integer' }, scheme: { type: 'string', enum: ['http'] }, extra: { type: 'string' } } };
    expect(disagreements(crd, ours)).toEqual([
      '.port: the CRD says string, asm-prom says integer',
      '.targetPort: in the CRD, unknown to asm-prom',
      '.scheme: the CRD allows http, https, asm-prom http',
      '.extra: known to asm-prom, not in the CRD',
    ]);
  });
  it('accepts int-or-string as a union type', () => {
    const ours: Node = { type: 'object', properties: { port: { type: 'string' }, targetPort: { type: ['string', 'integer'] }, scheme: { type: 'string', enum: ['https', 'http'] } } };
    expect(disagreements(crd, ours)).toEqual([]);
  });
});

describe('validateMonitor', () => {
  const docs = (path: string) => parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);

  it("rejects the seed's ServiceMonitor (iVersion typo) with the paths of its errors", () => {
    const [seed] = docs(join(SEED, 'service-monitor.yaml'));
    expect(validateMonitor('ServiceMonitor', seed)).toEqual(['apiVersion: required', 'iVersion: unknown field (did you mean apiVersion?)']);
  });

  it("accepts the operator's getting-started monitors", () => {
    for (const [kind, file] of [['ServiceMonitor', 'example-app-service-monitor.yaml'], ['PodMonitor', 'example-app-pod-monitor.yaml']] as const)
      expect(validateMonitor(kind, docs(`${UPSTREAM}example/user-guides/getting-started/${file}`)[0])).toEqual([]);
  });

  it('names wrong types, enums, durations and kinds by JSON path', () => {
    const monitor = {
      apiVersion: 'monitoring.coreos.com/v1beta1', kind: 'Servicemonitor', metadata: { name: 'm' },
      spec: {
        selector: { matchExpressions: [{ key: 'app', operator: 'in', values: ['a'] }] },
        endpoints: [{ port: 9080, scheme: 'tls', interval: '30 seconds', targetPort: true, params: { a: 'b' }, tlsConfig: { insecureSkipVerify: 'true', caFiel: '/x' } }],
      },
    };
    expect(validateMonitor('ServiceMonitor', monitor)).toEqual(expect.arrayContaining([
      'apiVersion: must be "monitoring.coreos.com/v1"',
      'kind: must be "ServiceMonitor"',
      'spec.selector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist',
      'spec.endpoints[0].port: must be string',
      'spec.endpoints[0].scheme: must be one of http, https, HTTP, HTTPS',
      'spec.endpoints[0].interval: must be a duration such as 30s or 1m',
      'spec.endpoints[0].targetPort: must be integer or string',
      'spec.endpoints[0].params.a: must be array',
      'spec.endpoints[0].tlsConfig.insecureSkipVerify: must be boolean',
      'spec.endpoints[0].tlsConfig.caFiel: unknown field (did you mean caFile?)',
    ]));
  });

  it("says why a PodMonitor's tlsConfig cannot name the Istio files", () => {
    const podMonitor = {
      apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'p' },
      spec: { selector: {}, podMetricsEndpoints: [{ port: 'http', scheme: 'https', tlsConfig: { caFile: '/etc/prom-certs/root-cert.pem', insecureSkipVerify: true } }] },
    };
    expect(validateMonitor('PodMonitor', podMonitor)).toEqual([
      "spec.podMetricsEndpoints[0].tlsConfig.caFile: unknown field (a PodMonitor's tlsConfig cannot name files; the Istio files reach PodMonitors only through a Prometheus scrape class)",
    ]);
  });
});
