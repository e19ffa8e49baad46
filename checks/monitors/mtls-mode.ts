import { defineCheck } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { nameOf } from '../../src/model/k8s.js';
import { DEFAULT_MESH_ROOT_NAMESPACE, inboundCaptured, resolveMtlsMode, sidecarVerdict } from '../../src/model/mtls.js';
import { label, loadMonitors, schemeOf } from './endpoints.js';
import { resolveTargets, type ScrapeTarget } from './scrape-targets.js';

type Mismatch = { code: 'MONITOR_TLS_ON_PLAINTEXT'; reason: string } | { code: 'MONITOR_SCHEME_HTTP_ON_STRICT'; source: string };
/** A mismatch, a fit (`ok`), or what is missing to tell. */
type Verdict = Mismatch | { code: 'ok' } | { unknown: 'peerAuthentications' | 'sidecar' };

const PLAINTEXT_MODE_REASON = {
  PERMISSIVE: 'Istio terminates TLS there only for its own ALPN, so Prometheus\'s TLS lands in a passthrough chain',
  DISABLE: 'its sidecar passes plain text',
} as const;

export default defineCheck({
  id: 'monitors.mtls-mode',
  title: "each endpoint's scheme fits its targets' sidecar and mTLS mode",
  category: 'monitors',
  codes: ['MONITOR_SCHEME_HTTP_ON_STRICT', 'MONITOR_TLS_ON_PLAINTEXT'],
  needs: ['workloads'],
  uses: ['serviceMonitors', 'podMonitors', 'services', 'peerAuthentications', 'meshRootNamespace', 'namespaces'],
  async run(ctx) {
    const workloads = await ctx.get('workloads');
    const services = await ctx.tryGet('services');
    const peerAuthentications = await ctx.tryGet('peerAuthentications');
    const rootNamespace = (await ctx.tryGet('meshRootNamespace')) ?? DEFAULT_MESH_ROOT_NAMESPACE;
    const namespaces = await ctx.tryGet('namespaces');
    const namespaceObject = (name: string): KubeObject | undefined => namespaces?.find((n) => nameOf(n) === name);

    const verdictOf = (target: ScrapeTarget): Verdict => {
      const { workload, port } = target;
      const https = schemeOf(target.endpoint.endpoint) === 'https';
      const sidecar = sidecarVerdict(workload.object, workload.template, namespaceObject(workload.namespace));
      if (sidecar.sidecar === 'unknown') return { unknown: 'sidecar' };
      if (!sidecar.sidecar) return https ? { code: 'MONITOR_TLS_ON_PLAINTEXT', reason: `it has no sidecar: ${sidecar.reason}` } : { code: 'ok' };
      if (port !== undefined && !inboundCaptured(workload.template, port))
        return https ? { code: 'MONITOR_TLS_ON_PLAINTEXT', reason: `its sidecar does not capture port ${port} (traffic.sidecar.istio.io annotations), so the app answers in plain text` } : { code: 'ok' };
      if (!peerAuthentications) return { unknown: 'peerAuthentications' };
      const mtls = resolveMtlsMode(peerAuthentications, rootNamespace, workload.namespace, workload.template.metadata?.labels ?? {}, port);
      if (https && mtls.mode !== 'STRICT')
        return { code: 'MONITOR_TLS_ON_PLAINTEXT', reason: `its mTLS mode is ${mtls.mode} (${mtls.source}): ${PLAINTEXT_MODE_REASON[mtls.mode]}` };
      if (!https && mtls.mode === 'STRICT') return { code: 'MONITOR_SCHEME_HTTP_ON_STRICT', source: mtls.source };
      return { code: 'ok' };
    };

    let judged = 0;
    let missing: 'services' | 'workloads' | 'peerAuthentications' | undefined;
    let sidecarUnknown = false;
    for (const monitor of await loadMonitors(ctx)) {
      const resolved = resolveTargets(monitor, services, workloads);
      if ('unknown' in resolved) {
        missing = resolved.unknown;
        continue;
      }
      // One finding per endpoint and mismatch, naming every workload it applies to.
      const groups = new Map<string, { mismatch: Mismatch; endpoint: string; workloads: Set<string> }>();
      for (const target of resolved.targets) {
        const verdict = verdictOf(target);
        if ('unknown' in verdict) {
          if (verdict.unknown === 'peerAuthentications') missing = 'peerAuthentications';
          else sidecarUnknown = true;
          continue;
        }
        judged++;
        if (verdict.code === 'ok') continue;
        const endpoint = target.endpoint.path;
        const key = JSON.stringify([endpoint, verdict]);
        const group = groups.get(key) ?? { mismatch: verdict, endpoint, workloads: new Set<string>() };
        group.workloads.add(label(target.workload.object));
        groups.set(key, group);
      }
      const subject = ctx.subjectOf(monitor);
      for (const { mismatch, endpoint, workloads: names } of groups.values()) {
        const workload = listed([...names]);
        if (mismatch.code === 'MONITOR_TLS_ON_PLAINTEXT') ctx.report(mismatch.code, { endpoint, workload, reason: mismatch.reason }, { subject });
        else ctx.report(mismatch.code, { endpoint, workload, mode: 'STRICT', source: mismatch.source }, { subject });
      }
    }
    // Nothing could be judged: skip with the source's own reason ("no PeerAuthentication in the manifests: …").
    if (!judged && missing) await ctx.get(missing);
    if (!judged && sidecarUnknown) throw new Unavailable('the namespaces of the target workloads are not among the inputs, so whether they have sidecars is unknown');
  },
});

function listed(names: string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} (and ${names.length - 3} more)` : shown;
}
