/**
 * asm-prom's own schema subset of the OpenTelemetry operator's OpenTelemetryCollector
 * (opentelemetry.io/v1beta1, the stored version, and the deprecated v1alpha1), compared by hand
 * with open-telemetry/opentelemetry-operator config/crd/bases/opentelemetry.io_opentelemetrycollectors.yaml
 * (commit and method in docs/scrapers.md). Every field of the spec, of targetAllocator and of
 * targetAllocator.prometheusCR is known here with the CRD's type; strict where asm-prom reads (the
 * pod's volumes and mounts, mode, podAnnotations, the allocator's selectors, v1beta1's config
 * sections). The receivers' own configuration is judged by the Prometheus loader instead
 * (SCRAPE_CONFIG_INVALID).
 */
import type { ValidateFunction } from 'ajv';
import {
  arrayOf, boolean, containerPatch, integer, labelSelector, lazyValidators, mapOf, namedVolume, oneOfStrings, opaque, resourceSchema,
  schemaErrors, strictObject, string, volumeMount, type Schema,
} from './monitor-schema.js';

export type CollectorVersion = 'v1beta1' | 'v1alpha1';
export const COLLECTOR_GROUP = 'opentelemetry.io';


/** The fields both versions share, asm-prom's reading strictly, the rest by type. */
function commonSpec(version: CollectorVersion): Record<string, Schema> {
  return {
    mode: oneOfStrings('daemonset', 'deployment', 'sidecar', 'statefulset'),
    image: string,
    volumes: arrayOf(namedVolume),
    volumeMounts: arrayOf(volumeMount),
    podAnnotations: mapOf(string),
    serviceAccount: string,
    securityContext: opaque('object'),
    podSecurityContext: opaque('object'),
    additionalContainers: arrayOf(containerPatch),
    initContainers: arrayOf(containerPatch),
    targetAllocator: targetAllocator(version),
    managementState: oneOfStrings('managed', 'unmanaged'),
    upgradeStrategy: oneOfStrings('automatic', 'none'),
    affinity: opaque('object'), args: opaque('object'), autoscaler: opaque('object'), configmaps: opaque('array'),
    env: opaque('array'), envFrom: opaque('array'), hostNetwork: boolean, imagePullPolicy: string, ingress: opaque('object'),
    lifecycle: opaque('object'), livenessProbe: opaque('object'), nodeSelector: opaque('object'), observability: opaque('object'),
    podDisruptionBudget: opaque('object'), ports: opaque('array'), priorityClassName: string, replicas: integer,
    resources: opaque('object'), serviceName: string, shareProcessNamespace: boolean, terminationGracePeriodSeconds: integer,
    tolerations: opaque('array'), topologySpreadConstraints: opaque('array'), trafficDistribution: string,
    volumeClaimTemplates: opaque('array'),
  };
}

/** v1beta1 selectors are LabelSelectors; v1alpha1's are plain label maps. */
function targetAllocator(version: CollectorVersion): Schema {
  const selector = version === 'v1beta1' ? labelSelector : mapOf(string);
  const prometheusCR = version === 'v1beta1'
    ? strictObject({
      enabled: boolean, serviceMonitorSelector: selector, podMonitorSelector: selector,
      serviceMonitorNamespaceSelector: selector, podMonitorNamespaceSelector: selector, denyFSAccessThroughSMs: boolean,
      allowNamespaces: arrayOf(string), denyNamespaces: arrayOf(string), evaluationInterval: string,
      probeNamespaceSelector: opaque('object'), probeSelector: opaque('object'), scrapeClasses: opaque('array'),
      scrapeConfigNamespaceSelector: opaque('object'), scrapeConfigSelector: opaque('object'), scrapeInterval: string,
      scrapeProtocols: arrayOf(string), secretNamespaces: arrayOf(string),
    })
    : strictObject({ enabled: boolean, serviceMonitorSelector: selector, podMonitorSelector: selector, denyFSAccessThroughSMs: boolean, scrapeClasses: opaque('array'), scrapeInterval: string });
  const versionOnly: Record<string, Schema> = version === 'v1beta1'
    ? { filterStrategy: oneOfStrings('', 'relabel-config'), allowInsecureAuthSecrets: boolean, collectorNotReadyGracePeriod: string, collectorTargetReloadInterval: string, mtls: opaque('object') }
    : { filterStrategy: string };
  return strictObject({
    enabled: boolean, prometheusCR, ...versionOnly,
    allocationStrategy: oneOfStrings('least-weighted', 'consistent-hashing', 'per-node'),
    affinity: opaque('object'), env: opaque('array'), image: string, nodeSelector: opaque('object'), observability: opaque('object'),
    podDisruptionBudget: opaque('object'), podSecurityContext: opaque('object'), replicas: integer, resources: opaque('object'),
    securityContext: opaque('object'), serviceAccount: string, tolerations: opaque('array'), topologySpreadConstraints: opaque('array'),
  });
}

/** v1beta1's config: the collector's sections as objects (the receivers' content is the receivers' business). */
const v1beta1Config = strictObject({
  receivers: opaque('object'), exporters: opaque('object'), processors: opaque('object'), extensions: opaque('object'), connectors: opaque('object'),
  service: strictObject({ extensions: arrayOf(string), pipelines: opaque('object'), telemetry: opaque('object') }, ['pipelines']),
}, ['exporters', 'receivers', 'service']);

function spec(version: CollectorVersion): Schema {
  if (version === 'v1alpha1') {
    return strictObject({
      ...commonSpec(version), config: string,
      deploymentUpdateStrategy: opaque('object'), maxReplicas: integer, minReplicas: integer, updateStrategy: opaque('object'),
    }, ['config']); // managementState, required too, has a default
  }
  return strictObject({
    ...commonSpec(version), config: v1beta1Config,
    command: arrayOf(string), configVersions: { type: 'integer', minimum: 1 }, networkPolicy: opaque('object'), daemonSetUpdateStrategy: opaque('object'), deploymentUpdateStrategy: opaque('object'),
    dnsPolicy: string, hostAliases: opaque('array'), hostPID: boolean, hostUsers: boolean, httpRoute: opaque('object'),
    ipFamilies: arrayOf(string), ipFamilyPolicy: string, podDnsConfig: opaque('object'), podManagementPolicy: oneOfStrings('OrderedReady', 'Parallel'),
    persistentVolumeClaimRetentionPolicy: opaque('object'), readinessProbe: opaque('object'), sessionAffinity: string,
    sessionAffinityConfig: opaque('object'), startupProbe: opaque('object'),
  }, ['config']);
}

export function collectorSchema(version: CollectorVersion): Schema {
  return resourceSchema(`${COLLECTOR_GROUP}/${version}`, 'OpenTelemetryCollector', spec(version));
}

const validators: () => Record<CollectorVersion, ValidateFunction> = lazyValidators(() => ({ v1beta1: collectorSchema('v1beta1'), v1alpha1: collectorSchema('v1alpha1') }));

/**
 * Every schema error of an OpenTelemetryCollector; empty when valid. The version is its
 * apiVersion's; an apiVersion of neither is judged as v1beta1 (and named as wrong).
 */
export function validateCollector(object: unknown): string[] {
  const apiVersion = (object as { apiVersion?: unknown } | null)?.apiVersion;
  return schemaErrors(validators()[apiVersion === `${COLLECTOR_GROUP}/v1alpha1` ? 'v1alpha1' : 'v1beta1'], object);
}
