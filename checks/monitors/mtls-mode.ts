import { defineCheck } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { KubeObject } from '../../src/model/k8s.js';
import { nameOf } from '../../src/model/k8s.js';
import { DEFAULT_MESH_ROOT_NAMESPACE, inboundCaptured, resolveMtlsMode, sidecarVerdict } from '../../src/model/mtls.js';
import { label, loadMonitors, schemeOf } from './endpoints.js';
import { resolveTargets } from './scrape-targets.js';
import type { TargetWorkload } from '../../src/model/inventory.js';
import { rawJobTarget, resolveRawJobs } from './raw-jobs.js';

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
  uses: ['serviceMonitors', 'podMonitors', 'services', 'peerAuthentications', 'meshRootNamespace', 'namespaces', 'scrapeConfigs', 'rawJobTargets'],
  async run(ctx) {
    const workloads = await ctx.get('workloads');
    const services = await ctx.tryGet('services');
    const peerAuthentications = await ctx.tryGet('peerAuthentications');
    const rootNamespace = (await ctx.tryGet('meshRootNamespace')) ?? DEFAULT_MESH_ROOT_NAMESPACE;
    const namespaces = await ctx.tryGet('namespaces');
    const namespaceObject = (name: string): KubeObject | undefined => namespaces?.find((n) => nameOf(n) === name);

    /** One target, monitor endpoint or raw job alike: its workload, the port reached, the scheme. */
    const verdictOf = (target: { workload: TargetWorkload; port?: number; https: boolean }): Verdict => {
      const { workload, port, https } = target;
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
    type Group = { mismatch: Mismatch; endpoint: string; workloads: Set<string> };
    const judge = (targets: { workload: TargetWorkload; port?: number; https: boolean; endpoint: string }[]): Group[] => {
      // One finding per endpoint and mismatch, naming every workload it applies to.
      const groups = new Map<string, Group>();
      for (const target of targets) {
        const verdict = verdictOf(target);
        if ('unknown' in verdict) {
          if (verdict.unknown === 'peerAuthentications') missing = 'peerAuthentications';
          else sidecarUnknown = true;
          continue;
        }
        judged++;
        if (verdict.code === 'ok') continue;
        const key = JSON.stringify([target.endpoint, verdict]);
        const group = groups.get(key) ?? { mismatch: verdict, endpoint: target.endpoint, workloads: new Set<string>() };
        group.workloads.add(label(target.workload.object));
        groups.set(key, group);
      }
      return [...groups.values()];
    };
    const reportGroups = (groups: Group[], target: { subject: import('../../src/core/types.js').Subject; evidence?: Record<string, unknown> }) => {
      for (const { mismatch, endpoint, workloads: names } of groups) {
        const workload = listed([...names]);
        if (mismatch.code === 'MONITOR_TLS_ON_PLAINTEXT') ctx.report(mismatch.code, { endpoint, workload, reason: mismatch.reason }, target);
        else ctx.report(mismatch.code, { endpoint, workload, mode: 'STRICT', source: mismatch.source }, target);
      }
    };
    // Raw jobs: each target's scheme is the one left after relabelling.
    for (const job of await resolveRawJobs(ctx)) {
      const targets = job.targets.flatMap((t) => (t.workload ? [{ workload: t.workload, port: t.port, https: t.scheme === 'https', endpoint: job.label }] : []));
      reportGroups(judge(targets), rawJobTarget(job));
    }
    for (const monitor of await loadMonitors(ctx)) {
      const resolved = resolveTargets(monitor, services, workloads);
      if ('unknown' in resolved) {
        missing = resolved.unknown;
        continue;
      }
      const targets = resolved.targets.map((t) => ({ workload: t.workload, port: t.port, https: schemeOf(t.endpoint.endpoint) === 'https', endpoint: t.endpoint.path }));
      reportGroups(judge(targets), { subject: ctx.subjectOf(monitor) });
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
