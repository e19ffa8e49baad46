import { defineCheck } from '../../src/core/check.js';
import type { CodeArgs } from '../../src/core/codes.js';
import type { Pod } from '../../src/model/k8s.js';
import { proxyVersionOf } from '../../src/model/istio.js';
import { sidecarOf } from '../../src/model/prometheus.js';

type VersionProblem = CodeArgs<'PROXY_VERSION_UNSUPPORTED'>['problem'];

/** What the pod's istio-proxy version cannot do for OUTPUT_CERTS (failure modes 3 and 6). */
function versionProblem(pod: Pod): { version: string; problem: VersionProblem } | undefined {
  const v = proxyVersionOf(pod);
  // Istio 0.x (0.8 was the last before 1.0) predates OUTPUT_CERTS as 1.4 does; a later major is not judged.
  if (!v || v.major > 1) return undefined;
  const at = (minor: number, patch: number) => v.minor > minor || (v.minor === minor && v.patch >= patch);
  if (v.major === 0 || !at(5, 0)) return { version: v.version, problem: 'before-output-certs' };
  // 1.5.x reads OUTPUT_CERTS when it is set straight on istio-proxy's env; only the annotation needs 1.6.1.
  const setOnEnv = sidecarOf(pod.spec)?.env?.some((e) => e.name === 'OUTPUT_CERTS' && e.value);
  if (!at(6, 1) && !setOnEnv) return { version: v.version, problem: 'before-annotation' };
  if (v.minor === 9 && v.patch <= 3) return { version: v.version, problem: 'files-mode-0600' };
  return undefined;
}

export default defineCheck({
  id: 'prometheus.proxy-version',
  title: 'the istio-proxy version writes certificate files Prometheus can read',
  category: 'prometheus',
  codes: ['PROXY_VERSION_UNSUPPORTED'],
  needs: ['prometheusPods'],
  async run(ctx) {
    for (const pp of await ctx.get('prometheusPods')) {
      const found = versionProblem(pp.pod);
      if (found) ctx.report('PROXY_VERSION_UNSUPPORTED', found, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
