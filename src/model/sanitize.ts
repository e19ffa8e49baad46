/**
 * Manifests are user input: a field Kubernetes would reject for its type (`volumes: {}`,
 * `env: [null]`, `labels: {inject: false}`) must not crash a check. Before checks see an object,
 * the fields the checks read are brought to the types the model promises: lists of objects keep
 * only objects, lists and maps of strings keep scalars as strings, and a wrong-typed field is
 * dropped, as if unset. Schema checks (MONITOR_INVALID) still judge the object as written.
 */
import type { KubeObject } from './k8s.js';

/** Fields that hold a list of objects, wherever they appear. */
const OBJECT_LISTS = new Set([
  'containers', 'initContainers', 'ephemeralContainers', 'volumes', 'volumeMounts', 'env', 'ports', 'endpoints',
  'podMetricsEndpoints', 'rules', 'subjects', 'matchExpressions', 'scrapeClasses', 'ownerReferences', 'conditions',
  'containerStatuses', 'initContainerStatuses', 'podIPs', 'relabelings', 'metricRelabelings',
]);
/** Fields that hold a list of strings. */
const STRING_LISTS = new Set(['values', 'apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs', 'args', 'command', 'addresses', 'matchNames', 'sourceLabels']);
/** Fields that hold a map of strings. */
const STRING_MAPS = new Set(['labels', 'annotations', 'matchLabels']);
/** Fields that hold a string (a number or boolean written without quotes is read as its text). */
const STRINGS = new Set([
  'apiVersion', 'kind', 'name', 'namespace', 'mountPath', 'subPath', 'image', 'key', 'operator', 'path', 'scheme', 'caFile',
  'certFile', 'keyFile', 'serverName', 'medium', 'serviceAccountName', 'serviceAccount', 'protocol', 'appProtocol', 'mode',
  'restartPolicy', 'value', 'interval', 'scrapeTimeout', 'scrapeClass', 'version', 'nodeName', 'phase', 'podIP',
]);
/** Fields that hold an object. */
const OBJECTS = new Set([
  'metadata', 'spec', 'template', 'status', 'securityContext', 'tlsConfig', 'podMetadata', 'mtls', 'portLevelMtls',
  'selector', 'namespaceSelector', 'serviceMonitorSelector', 'podMonitorSelector', 'serviceMonitorNamespaceSelector',
  'podMonitorNamespaceSelector', 'roleRef', 'targetRef', 'jobTemplate', 'arbitraryFSAccessThroughSMs', 'startupProbe',
]);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

function clean(value: unknown, key: string | undefined): unknown {
  if (key !== undefined) {
    if (OBJECT_LISTS.has(key)) return Array.isArray(value) ? value.filter(isPlainObject).map((v) => cleanObject(v)) : undefined;
    if (STRING_LISTS.has(key)) return Array.isArray(value) ? value.filter(isScalar).map(String) : undefined;
    if (STRING_MAPS.has(key))
      return isPlainObject(value) ? Object.fromEntries(Object.entries(value).filter(([, v]) => isScalar(v)).map(([k, v]) => [k, String(v)])) : undefined;
    if (STRINGS.has(key)) return isScalar(value) ? String(value) : undefined;
    if (OBJECTS.has(key)) return isPlainObject(value) ? cleanObject(value) : undefined;
  }
  if (Array.isArray(value)) return value.map((v) => clean(v, undefined));
  return isPlainObject(value) ? cleanObject(value) : value;
}

function cleanObject(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const c = clean(v, k);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** A copy of the object with the fields checks read in their model types. */
export function sanitizeObject(object: Record<string, unknown>): KubeObject {
  return cleanObject(object) as KubeObject;
}
