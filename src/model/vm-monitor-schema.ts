/**
 * asm-prom's own schema subset of the VictoriaMetrics operator's kinds
 * (operator.victoriametrics.com/v1beta1): VMServiceScrape, VMPodScrape and VMAgent. Compared by
 * hand, field by field, with the operator's CRDs (VictoriaMetrics/operator
 * config/crd/overlay/crd.descriptionless.yaml at v0.74.1+, commit and method in docs/scrapers.md):
 * every field those CRDs give the spec, an endpoint and its tlsConfig is known here with the CRD's
 * type, and no other, so a misspelt field (`caFiel`, `serviceScrapeSelecter`) is named with what it
 * meant. The API server prunes unknown fields of these CRDs silently, and `kubectl apply` rejects
 * them: either way the scrape loses what the field said. Strict (nested fields too) where asm-prom
 * reads: tlsConfig, the selectors, the pod's volumes and mounts, podMetadata, image,
 * arbitraryFSAccessThroughSMs; elsewhere only the type is checked.
 */
import type { ValidateFunction } from 'ajv';
import {
  arrayOf, boolean, containerPatch, integer, intOrString, keySelector, labelSelector, lazyValidators, mapOf, namedVolume, oneOfStrings,
  opaque, resourceSchema, schemaErrors, secretOrConfigMap, strictObject, string, volumeMount, type Schema,
} from './monitor-schema.js';

export const VM_API_VERSION = 'operator.victoriametrics.com/v1beta1';
export type VMMonitorKind = 'VMServiceScrape' | 'VMPodScrape';
export type VMKind = VMMonitorKind | 'VMAgent';

/** VM's TLSConfig: the files, the Secret/ConfigMap references, server verification (no min/max version). */
const tlsConfig = strictObject({
  ca: secretOrConfigMap, caFile: string, cert: secretOrConfigMap, certFile: string, keyFile: string, keySecret: keySelector,
  insecureSkipVerify: boolean, serverName: string,
});
const attachMetadata = strictObject({ namespace: boolean, node: boolean });

function endpoint(kind: VMMonitorKind): Schema {
  const podOnly: Record<string, Schema> = kind === 'VMPodScrape' ? { filterRunning: boolean, portNumber: { type: 'integer', minimum: 1, maximum: 65535 } } : {};
  return strictObject({
    port: string, targetPort: intOrString, ...podOnly,
    path: string, scheme: oneOfStrings('http', 'https', 'HTTPS', 'HTTP'), params: opaque('object'), tlsConfig,
    interval: string, scrape_interval: string, scrapeTimeout: string, honorLabels: boolean, honorTimestamps: boolean,
    follow_redirects: boolean, proxyURL: string, max_scrape_size: string, sampleLimit: integer, seriesLimit: integer,
    attach_metadata: attachMetadata, vm_scrape_params: opaque('object'),
    bearerTokenFile: string, bearerTokenSecret: opaque('object'), authorization: opaque('object'), basicAuth: opaque('object'), oauth2: opaque('object'),
    relabelConfigs: opaque('array'), metricRelabelConfigs: opaque('array'),
  });
}

function monitorSpec(kind: VMMonitorKind): Schema {
  const kindOnly: Record<string, Schema> = kind === 'VMServiceScrape'
    ? { endpoints: arrayOf(endpoint(kind)), discoveryRole: oneOfStrings('endpoints', 'service', 'endpointslices', 'endpointslice'), targetLabels: arrayOf(string) }
    : { podMetricsEndpoints: arrayOf(endpoint(kind)) };
  return strictObject({
    selector: labelSelector,
    namespaceSelector: strictObject({ any: boolean, matchNames: arrayOf(string) }),
    ...kindOnly,
    attach_metadata: attachMetadata,
    jobLabel: string,
    podTargetLabels: arrayOf(string),
    sampleLimit: integer,
    seriesLimit: integer,
    scrapeClass: string,
  }, [kind === 'VMServiceScrape' ? 'endpoints' : 'podMetricsEndpoints']);
}


/** VMAgentSpec: every field of the CRD, typed; the selection, the pod and the file-access rule strictly. */
const vmAgentSpec = strictObject({
  // what asm-prom reads
  image: strictObject({ repository: string, tag: string, pullPolicy: string }),
  podMetadata: strictObject({ name: string, labels: mapOf(string), annotations: mapOf(string) }),
  volumes: arrayOf(namedVolume),
  volumeMounts: arrayOf(volumeMount),
  // container patches: the operator merges them by name; asm-prom reads their mounts
  containers: arrayOf(containerPatch),
  initContainers: arrayOf(containerPatch),
  serviceAccountName: string,
  securityContext: opaque('object'),
  selectAllByDefault: boolean,
  serviceScrapeSelector: labelSelector,
  serviceScrapeNamespaceSelector: labelSelector,
  podScrapeSelector: labelSelector,
  podScrapeNamespaceSelector: labelSelector,
  arbitraryFSAccessThroughSMs: strictObject({ deny: boolean }),
  statefulMode: boolean,
  daemonSetMode: boolean,
  inlineScrapeConfig: string,
  remoteWrite: arrayOf({ type: 'object', properties: { url: string }, required: ['url'] }),
  // the rest: types only
  additionalScrapeConfigs: opaque('object'), affinity: opaque('object'), apiServerConfig: opaque('object'), claimTemplates: opaque('array'),
  componentVersion: string, configMaps: arrayOf(string), configReloadAuthKeySecret: opaque('object'), configReloaderExtraArgs: opaque('object'),
  configReloaderImage: string, configReloaderImageTag: string, configReloaderResources: opaque('object'),
  daemonSetRollingUpdateStrategyBehavior: opaque('object'), daemonSetUpdateStrategy: string, disableAutomountServiceAccountToken: boolean,
  disableSelfServiceScrape: boolean, dnsConfig: opaque('object'), dnsPolicy: string, enableKubernetesAPISelectors: boolean,
  enableServiceLinks: boolean, enforcedNamespaceLabel: string, externalLabelName: string, externalLabels: opaque('object'),
  extraArgs: opaque('object'), extraEnvs: opaque('array'), extraEnvsFrom: opaque('array'), globalScrapeMetricRelabelConfigs: opaque('array'),
  globalScrapeRelabelConfigs: opaque('array'), host_aliases: opaque('array'), hostAliases: opaque('array'), hostNetwork: boolean,
  hpa: opaque('object'), ignoreNamespaceSelectors: boolean, imagePullSecrets: opaque('array'), ingestOnlyMode: boolean,
  inlineRelabelConfig: opaque('array'), insertPorts: opaque('object'), license: opaque('object'), livenessProbe: opaque('object'),
  logFormat: oneOfStrings('default', 'json'), logLevel: oneOfStrings('INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC'),
  managedMetadata: opaque('object'), maxScrapeInterval: string, minReadySeconds: integer, minScrapeInterval: string,
  networkPolicy: opaque('object'), nodeScrapeNamespaceSelector: opaque('object'), nodeScrapeRelabelTemplate: opaque('array'),
  nodeScrapeSelector: opaque('object'), nodeSelector: opaque('object'), overrideHonorLabels: boolean, overrideHonorTimestamps: boolean,
  paused: boolean, persistentVolumeClaimRetentionPolicy: opaque('object'), podDisruptionBudget: opaque('object'),
  podScrapeRelabelTemplate: opaque('array'), port: string, preStopSleepSeconds: integer, priorityClassName: string,
  probeNamespaceSelector: opaque('object'), probeScrapeRelabelTemplate: opaque('array'), probeSelector: opaque('object'),
  readinessGates: opaque('array'), readinessProbe: opaque('object'), relabelConfig: opaque('object'), remoteWriteSettings: opaque('object'),
  replicaCount: integer, resources: opaque('object'), revisionHistoryLimitCount: integer, rollingUpdate: opaque('object'),
  runtimeClassName: string, sampleLimit: integer, schedulerName: string, scrapeClasses: opaque('array'),
  scrapeConfigNamespaceSelector: opaque('object'), scrapeConfigRelabelTemplate: opaque('array'), scrapeConfigSelector: opaque('object'),
  scrapeInterval: { type: 'string', pattern: '[0-9]+(ms|s|m|h)' }, scrapeTimeout: { type: 'string', pattern: '[0-9]+(ms|s|m|h)' },
  secrets: arrayOf(string), serviceScrapeRelabelTemplate: opaque('array'), serviceScrapeSpec: opaque('object'), serviceSpec: opaque('object'),
  shardCount: integer, startupProbe: opaque('object'), statefulRollingUpdateStrategy: string,
  statefulRollingUpdateStrategyBehavior: opaque('object'), statefulStorage: opaque('object'), staticScrapeNamespaceSelector: opaque('object'),
  staticScrapeRelabelTemplate: opaque('array'), staticScrapeSelector: opaque('object'), streamAggrConfig: opaque('object'),
  terminationGracePeriodSeconds: integer, tolerations: opaque('array'), topologySpreadConstraints: opaque('array'),
  updateStrategy: oneOfStrings('Recreate', 'RollingUpdate'), useDefaultResources: boolean, useLegacyNaming: boolean,
  useStrictSecurity: boolean, useVMConfigReloader: boolean, vmAgentExternalLabelName: string, vpa: opaque('object'),
}, ['remoteWrite']);

/** The whole object's schema of a VM kind, for tests and for the validator. */
export function vmSchema(kind: VMKind): Schema {
  return resourceSchema(VM_API_VERSION, kind, kind === 'VMAgent' ? vmAgentSpec : monitorSpec(kind));
}

const validators: () => Record<VMKind, ValidateFunction> = lazyValidators(() => ({
  VMServiceScrape: vmSchema('VMServiceScrape'), VMPodScrape: vmSchema('VMPodScrape'), VMAgent: vmSchema('VMAgent'),
}));

/** Every schema error of a VMServiceScrape/VMPodScrape/VMAgent, as JSON paths with the reason; empty when valid. */
export function validateVM(kind: VMKind, object: unknown): string[] {
  return schemaErrors(validators()[kind], object);
}
