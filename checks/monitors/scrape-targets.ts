/**
 * From a monitor to what it scrapes, as the operator's relabelling does: a ServiceMonitor's
 * selector picks Services in its namespaces and `port` names a Service port, whose targetPort leads
 * into the pods the Service selects; a PodMonitor's selector picks pods and `port` names a container
 * port. Works on manifests (workload templates) and on a live cluster (pods) alike.
 */
import type { CheckContext } from '../../src/core/check.js';
import type { Container, ContainerPort, KubeObject, Monitor, PodTemplate, Service, ServicePort } from '../../src/model/k8s.js';
import { labelsOf, namespaceOf } from '../../src/model/k8s.js';
import type { TargetWorkload } from '../../src/model/inventory.js';
import { inMonitorNamespaces, matchesLabels } from '../../src/model/selectors.js';
import { endpointsOf, type EndpointRef } from './endpoints.js';

export interface ScrapeTarget {
  endpoint: EndpointRef;
  workload: TargetWorkload;
  /** the Service port the scrape goes through (ServiceMonitor), or one that exposes the container port (PodMonitor) */
  service?: Service;
  servicePort?: ServicePort;
  /** the container port the scrape reaches, when it can be told: what portLevelMtls keys on */
  port?: number;
}

export interface MonitorTargets {
  kind: 'Service' | 'Pod';
  /** what the selector matched: Services, or workloads for a PodMonitor */
  matched: KubeObject[];
  /** the Service ports each endpoint scrapes through (ServiceMonitor only), known even without the pods */
  servicePorts: { endpoint: EndpointRef; service: Service; servicePort: ServicePort }[];
  /** endpoints whose `port` names no port of the matched objects, with the names they do have */
  missingPorts: { endpoint: EndpointRef; port: string; available: string[] }[];
  targets: ScrapeTarget[];
}

function containersOf(template: PodTemplate): Container[] {
  return template.spec?.containers ?? [];
}

function containerPortsOf(template: PodTemplate): ContainerPort[] {
  return containersOf(template).flatMap((c) => c.ports ?? []);
}

/** A Service targetPort (number or container port name) as a number in this workload, if it resolves. */
function resolvePort(template: PodTemplate, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return containerPortsOf(template).find((p) => p.name === port)?.containerPort;
}

/** The pods (or pod templates) a Service sends traffic to: same namespace, labels matching its selector. */
export function workloadsOfService(service: Service, workloads: readonly TargetWorkload[]): TargetWorkload[] {
  const selector = service.spec?.selector;
  if (!selector || !Object.keys(selector).length) return []; // a Service without selector has hand-made endpoints
  return workloads.filter((w) => w.namespace === namespaceOf(service) && matchesLabels({ matchLabels: selector }, w.template.metadata?.labels ?? {}));
}

const servicePortTarget = (port: ServicePort) => port.targetPort ?? port.port;

/**
 * The port name an endpoint selects by (`port`), if it sets one. The CRDs type it as a string; a
 * number written there in a manifest (`port: 9090`) is taken as the name it is not, so that
 * MONITOR_PORT_NOT_FOUND says it must be the port's name, rather than scraping every port. An empty
 * name (a chart's unset value) is '', which every caller takes as no name (`if (port)`).
 */
function portNameOf(endpoint: EndpointRef): string | undefined {
  const { port } = endpoint.endpoint as { port?: unknown };
  return typeof port === 'string' || typeof port === 'number' ? String(port) : undefined;
}

/** The Service ports an endpoint scrapes: by name (`port`), by target port (`targetPort`), or all. */
function servicePortsFor(endpoint: EndpointRef, service: Service): ServicePort[] {
  const ports = service.spec?.ports ?? [];
  const port = portNameOf(endpoint);
  const { targetPort } = endpoint.endpoint;
  if (port) return ports.filter((p) => p.name === port);
  if (targetPort !== undefined) return ports.filter((p) => String(servicePortTarget(p)) === String(targetPort));
  return ports;
}

function resolveServiceMonitor(monitor: Monitor, services: readonly Service[], workloads: readonly TargetWorkload[]): MonitorTargets {
  const selector = monitor.spec?.selector ?? {};
  const matched = services.filter((s) => inMonitorNamespaces(monitor, namespaceOf(s)) && matchesLabels(selector, labelsOf(s)));
  const result: MonitorTargets = { kind: 'Service', matched, servicePorts: [], missingPorts: [], targets: [] };
  for (const endpoint of endpointsOf(monitor)) {
    const port = portNameOf(endpoint);
    if (port && matched.length && !matched.some((s) => servicePortsFor(endpoint, s).length)) {
      const available = [...new Set(matched.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.name).filter((n): n is string => !!n)))];
      result.missingPorts.push({ endpoint, port, available });
    }
    for (const service of matched) {
      for (const servicePort of servicePortsFor(endpoint, service)) {
        result.servicePorts.push({ endpoint, service, servicePort });
        for (const workload of workloadsOfService(service, workloads)) {
          result.targets.push({ endpoint, workload, service, servicePort, port: resolvePort(workload.template, servicePortTarget(servicePort)) });
        }
      }
    }
  }
  return result;
}

/** The container ports a PodMonitor endpoint scrapes: by name, by number, by targetPort, or all declared. */
function podPortsFor(endpoint: EndpointRef, template: PodTemplate): number[] {
  const port = portNameOf(endpoint);
  const { portNumber, targetPort } = endpoint.endpoint;
  if (port) {
    const found = containerPortsOf(template).find((p) => p.name === port)?.containerPort;
    return found === undefined ? [] : [found];
  }
  if (typeof portNumber === 'number') return [portNumber];
  // a targetPort this pod does not declare selects none of its ports (the operator keeps by its name or number)
  if (targetPort !== undefined) {
    const byTarget = resolvePort(template, targetPort);
    return byTarget === undefined ? [] : [byTarget];
  }
  return containerPortsOf(template).flatMap((p) => (p.containerPort === undefined ? [] : [p.containerPort]));
}

/** A Service port that exposes a workload's container port (Istio reads the port's protocol there). */
export function exposingServicePort(workload: TargetWorkload, port: number, services: readonly Service[]): { service: Service; servicePort: ServicePort } | undefined {
  for (const service of services) {
    if (!workloadsOfService(service, [workload]).length) continue;
    const servicePort = (service.spec?.ports ?? []).find((p) => resolvePort(workload.template, servicePortTarget(p)) === port);
    if (servicePort) return { service, servicePort };
  }
  return undefined;
}

function resolvePodMonitor(monitor: Monitor, workloads: readonly TargetWorkload[], services: readonly Service[]): MonitorTargets {
  const selector = monitor.spec?.selector ?? {};
  const matched = workloads.filter((w) => inMonitorNamespaces(monitor, w.namespace) && matchesLabels(selector, w.template.metadata?.labels ?? {}));
  const result: MonitorTargets = { kind: 'Pod', matched: matched.map((w) => w.object), servicePorts: [], missingPorts: [], targets: [] };
  for (const endpoint of endpointsOf(monitor)) {
    const port = portNameOf(endpoint);
    if (port && matched.length && !matched.some((w) => podPortsFor(endpoint, w.template).length)) {
      const available = [...new Set(matched.flatMap((w) => containerPortsOf(w.template).map((p) => p.name).filter((n): n is string => !!n)))];
      result.missingPorts.push({ endpoint, port, available });
    }
    for (const workload of matched) {
      for (const number of podPortsFor(endpoint, workload.template)) {
        result.targets.push({ endpoint, workload, port: number, ...exposingServicePort(workload, number, services) });
      }
    }
  }
  return result;
}

/**
 * The targets of a monitor from what is known, or which resource is missing to tell them: a
 * ServiceMonitor needs the Services (workloads only to follow them into pods), a PodMonitor the workloads.
 */
export function resolveTargets(
  monitor: Monitor,
  services: readonly Service[] | undefined,
  workloads: readonly TargetWorkload[] | undefined,
): MonitorTargets | { unknown: 'services' | 'workloads' } {
  if (monitor.kind === 'PodMonitor' || monitor.kind === 'VMPodScrape') return workloads ? resolvePodMonitor(monitor, workloads, services ?? []) : { unknown: 'workloads' };
  return services ? resolveServiceMonitor(monitor, services, workloads ?? []) : { unknown: 'services' };
}

/**
 * Resolves each monitor's targets from the Services and workloads the check may use, and hands every
 * resolved monitor to `judge`. When none could be resolved for want of one of those resources, the
 * check is skipped with that source's own reason ("no Service in the manifests"), not passed.
 */
export async function judgeMonitorTargets(
  ctx: CheckContext,
  monitors: readonly Monitor[],
  judge: (monitor: Monitor, resolved: MonitorTargets) => void,
): Promise<void> {
  const services = await ctx.tryGet('services');
  const workloads = await ctx.tryGet('workloads');
  let judged = 0;
  let missing: 'services' | 'workloads' | undefined;
  for (const monitor of monitors) {
    const resolved = resolveTargets(monitor, services, workloads);
    if ('unknown' in resolved) {
      missing = resolved.unknown;
      continue;
    }
    judged++;
    judge(monitor, resolved);
  }
  if (!judged && missing) await ctx.get(missing);
}
