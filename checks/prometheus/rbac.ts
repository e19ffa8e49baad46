import { defineCheck } from '../../src/core/check.js';
import type { KubeObject, Monitor, PrometheusResource } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { allows, grantedRules, type GrantedRules } from '../../src/model/rbac.js';
import { monitorNamespaces, prometheusSelects, type MonitorKind } from '../../src/model/selectors.js';

/** One thing service discovery must read; any of the alternatives (apiGroup, resource) will do. */
interface DiscoveryNeed {
  label: string;
  alternatives: [apiGroup: string, resource: string][];
}

const VERBS = ['get', 'list', 'watch'] as const;
const SERVICES: DiscoveryNeed = { label: 'services', alternatives: [['', 'services']] };
const PODS: DiscoveryNeed = { label: 'pods', alternatives: [['', 'pods']] };
const ENDPOINTS: DiscoveryNeed = { label: 'endpoints', alternatives: [['', 'endpoints']] };
const ENDPOINT_SLICES: DiscoveryNeed = { label: 'endpointslices', alternatives: [['discovery.k8s.io', 'endpointslices']] };
const EITHER_ENDPOINTS: DiscoveryNeed = { label: 'endpoints or endpointslices', alternatives: [...ENDPOINTS.alternatives, ...ENDPOINT_SLICES.alternatives] };

/** What Prometheus's Kubernetes service discovery reads for a monitor kind, honouring spec.serviceDiscoveryRole. */
function discoveryNeeds(prometheus: PrometheusResource, kind: MonitorKind): DiscoveryNeed[] {
  if (kind === 'PodMonitor') return [PODS];
  const role = prometheus.spec?.serviceDiscoveryRole;
  const endpoints = role === 'EndpointSlice' ? ENDPOINT_SLICES : role === 'Endpoints' ? ENDPOINTS : EITHER_ENDPOINTS;
  return [SERVICES, endpoints, PODS];
}

interface Watched {
  kinds: Set<MonitorKind>;
  /** `Kind namespace/name` of the monitors looking there */
  monitors: string[];
}

/** Namespace (`*` for all) → what Prometheus discovers there, for the monitors it selects. */
function watchedNamespaces(prometheus: PrometheusResource, monitors: readonly Monitor[], namespaces: readonly KubeObject[] | undefined): Map<string, Watched> {
  const watched = new Map<string, Watched>();
  for (const monitor of monitors) {
    if (prometheusSelects(prometheus, monitor, namespaces).selected !== true) continue;
    const kind = monitor.kind as MonitorKind;
    const scope = monitorNamespaces(monitor);
    for (const namespace of scope.any ? ['*'] : scope.names) {
      const entry = watched.get(namespace) ?? { kinds: new Set(), monitors: [] };
      entry.kinds.add(kind);
      entry.monitors.push(`${kind} ${namespaceOf(monitor)}/${nameOf(monitor)}`);
      watched.set(namespace, entry);
    }
  }
  // Watching everywhere covers each namespace, and needs a cluster-wide grant anyway. A namespace
  // left with no kind needs nothing (discoveryNeeds of no kind), so nothing is reported there.
  const everywhere = watched.get('*')?.kinds ?? new Set();
  for (const [namespace, entry] of watched) {
    if (namespace === '*') continue;
    for (const kind of everywhere) entry.kinds.delete(kind);
  }
  return watched;
}

/** `get/list/watch pods`-style entries for what the rules do not allow in a namespace. */
function missingAccess(granted: GrantedRules, needs: DiscoveryNeed[], namespace: string): string[] {
  const missing: string[] = [];
  for (const need of needs) {
    const verbs = VERBS.filter((verb) => !need.alternatives.some(([group, resource]) => allows(granted, verb, group, resource, namespace)));
    if (verbs.length) missing.push(`${verbs.join('/')} ${need.label}`);
  }
  return missing;
}

export default defineCheck({
  id: 'prometheus.rbac',
  title: "Prometheus's service account may discover targets where its monitors look",
  category: 'prometheus',
  codes: ['PROMETHEUS_RBAC_MISSING'],
  needs: ['prometheusResources', 'rbac'],
  uses: ['serviceMonitors', 'podMonitors', 'namespaces'],
  async run(ctx) {
    const rbac = await ctx.get('rbac');
    const monitors = [...((await ctx.tryGet('serviceMonitors')) ?? []), ...((await ctx.tryGet('podMonitors')) ?? [])];
    const namespaces = await ctx.tryGet('namespaces');
    for (const prometheus of await ctx.get('prometheusResources')) {
      // The operator runs the pods as "default" when serviceAccountName is empty.
      const sa = { namespace: namespaceOf(prometheus), name: prometheus.spec?.serviceAccountName || 'default' };
      const granted = grantedRules(rbac, sa);
      if (granted.unknownRoles.length) continue; // bound to rules the inputs do not show: no claim
      for (const [namespace, { kinds, monitors: lookingThere }] of watchedNamespaces(prometheus, monitors, namespaces)) {
        const needs = [...new Set([...kinds].flatMap((kind) => discoveryNeeds(prometheus, kind)))];
        const missing = missingAccess(granted, needs, namespace);
        if (missing.length)
          ctx.report('PROMETHEUS_RBAC_MISSING', { serviceAccount: `${sa.namespace}/${sa.name}`, missing, namespace }, {
            subject: ctx.subjectOf(prometheus),
            evidence: { monitors: lookingThere },
          });
      }
    }
  },
});
