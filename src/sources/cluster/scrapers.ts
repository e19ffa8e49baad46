/**
 * Scrapers other than Prometheus, live: VMAgent and OpenTelemetryCollector resources (their CRDs may
 * not be installed: a 404 is "none"), the running pods of each (by the labels their operators
 * set), else the pod the operator would make; and Grafana Alloy pods (label
 * app.kubernetes.io/name=alloy, as the Helm chart sets it, or by name with --scraper Alloy/NAME)
 * recognised by their grafana/alloy container. The ConfigMaps that hold Alloy configurations are
 * read too (never a Secret), so that its selection and jobs are known.
 */
import { Unavailable } from '../../core/resources.js';
import type { PrometheusPod } from '../../model/inventory.js';
import type { KubeObject, Pod } from '../../model/k8s.js';
import { nameOf, namespaceOf } from '../../model/k8s.js';
import { collectorSelectorLabels, matchesScraper, scraperPodsFromManifests, vmAgentSelectorLabels } from '../../model/scraper.js';
import { alloyConfigText, withAlloySelection } from '../scraper-configs.js';
import { RESOURCES } from './api.js';
import type { ClusterReader } from './reader.js';

const SKIPPED = 'the checks of the other scrapers (VMAgent, Alloy, OpenTelemetry Collector)';
const RUNNING = 'status.phase=Running';

export interface ScraperDiscovery {
  pods: PrometheusPod[];
  /** the resources and ConfigMaps their configuration comes from */
  objects: KubeObject[];
}

const selectorOf = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

export async function discoverScrapers(reader: ClusterReader, scope: { namespace?: string; name?: string; kind?: string }): Promise<ScraperDiscovery> {
  const wants = (kind: string) => !scope.kind || scope.kind === kind;
  const query = scope.name ? { fieldSelector: `metadata.name=${scope.name}` } : {};
  const optional = async <T>(fn: () => Promise<T[] | undefined>): Promise<T[]> => {
    try {
      return (await fn()) ?? [];
    } catch (error) {
      if (error instanceof Unavailable) return []; // reported by the reader (ACCESS_DENIED, …)
      throw error;
    }
  };
  const vmAgents = wants('VMAgent') ? await optional(() => reader.listIfServed<KubeObject>(RESOURCES.vmAgents, scope.namespace, query, SKIPPED)) : [];
  const collectors = wants('OpenTelemetryCollector')
    ? await optional(async () => (await reader.listIfServed<KubeObject>(RESOURCES.otelCollectors, scope.namespace, query, SKIPPED)) ?? reader.listIfServed<KubeObject>(RESOURCES.otelCollectorsV1alpha1, scope.namespace, query, SKIPPED))
    : [];
  const pods: PrometheusPod[] = [];
  for (const template of scraperPodsFromManifests([...vmAgents, ...collectors])) {
    const labels = template.scraper?.kind === 'VMAgent' ? vmAgentSelectorLabels(nameOf(template.subject)) : collectorSelectorLabels(template.subject);
    const running = await optional(() => reader.list<Pod>(RESOURCES.pods, template.namespace, { labelSelector: selectorOf(labels), fieldSelector: RUNNING }, SKIPPED));
    if (!running.length) {
      pods.push(template);
      continue;
    }
    for (const pod of running) {
      pods.push({ ...template, pod, admitted: true, layers: [...template.layers, { kind: 'Pod', object: pod, podMetadata: { labels: pod.metadata?.labels, annotations: pod.metadata?.annotations } }] });
    }
  }
  const objects: KubeObject[] = [...vmAgents, ...collectors];
  if (wants('Alloy')) {
    const alloyQuery = scope.name && scope.kind === 'Alloy' ? { fieldSelector: `metadata.name=${scope.name}` } : { labelSelector: 'app.kubernetes.io/name=alloy' };
    const workloads = await Promise.all([RESOURCES.deployments, RESOURCES.daemonSets, RESOURCES.statefulSets].map((r) => optional(() => reader.list<KubeObject>(r, scope.namespace, alloyQuery, SKIPPED))));
    for (const alloy of scraperPodsFromManifests(workloads.flat()).filter((p) => p.scraper?.kind === 'Alloy')) {
      // its configuration: the ConfigMap mounted where `alloy run` reads
      const volumes = alloy.pod.spec?.volumes ?? [];
      const configMaps = await Promise.all(volumes.flatMap((v) => {
        const name = (v as { configMap?: { name?: string } }).configMap?.name;
        return name ? [optional(async () => { const cm = await reader.get<KubeObject>(RESOURCES.configMaps, alloy.namespace, name, SKIPPED); return cm ? [cm] : []; })] : [];
      }));
      const found = configMaps.flat();
      const withText = found.filter((cm) => alloyConfigText(alloy, [cm]));
      objects.push(...withText);
      const judged = withAlloySelection(alloy, withText);
      // its running pods, by the workload's own selector; none: the template, as offline
      const matchLabels = (alloy.subject.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
      const running = matchLabels ? await optional(() => reader.list<Pod>(RESOURCES.pods, alloy.namespace, { labelSelector: selectorOf(matchLabels), fieldSelector: RUNNING }, SKIPPED)) : [];
      if (!running.length) pods.push(judged);
      for (const pod of running) pods.push({ ...judged, pod, admitted: true, layers: [...judged.layers, { kind: 'Pod', object: pod, podMetadata: { labels: pod.metadata?.labels, annotations: pod.metadata?.annotations } }] });
    }
  }
  return { pods: pods.filter((p) => matchesScraper(p, scope.kind, scope.kind === 'Alloy' || !scope.name ? undefined : scope.name) && (!scope.namespace || namespaceOf(p.subject) === scope.namespace)), objects };
}
