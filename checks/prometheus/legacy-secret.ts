import { defineCheck } from '../../src/core/check.js';
import type { Pod } from '../../src/model/k8s.js';

/**
 * Before Istio 1.5, Citadel wrote each service account's certificates into a Secret `istio.<sa>`
 * (`istio.default` for the default account), and Prometheus mounted it. istiod writes no such Secret.
 */
function isLegacyIstioSecret(secretName: string, serviceAccount: string): boolean {
  return secretName === 'istio.default' || secretName === `istio.${serviceAccount}`;
}

/** The pod's volumes that mount such a Secret into one of its containers. */
function legacySecretVolumes(pod: Pod): { volume: string; secret: string }[] {
  const serviceAccount = pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default';
  const mounted = new Set([...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  return (pod.spec?.volumes ?? []).flatMap((v) => {
    const secret = (v.secret as { secretName?: unknown } | undefined)?.secretName;
    return typeof secret === 'string' && v.name && mounted.has(v.name) && isLegacyIstioSecret(secret, serviceAccount) ? [{ volume: v.name, secret }] : [];
  });
}

export default defineCheck({
  id: 'prometheus.legacy-secret',
  title: 'the certificates do not come from the istio.<service-account> Secret of Istio before 1.5',
  category: 'prometheus',
  codes: ['LEGACY_ISTIO_SECRET'],
  needs: ['prometheusPods'],
  async run(ctx) {
    for (const pp of await ctx.get('prometheusPods')) {
      for (const found of legacySecretVolumes(pp.pod)) ctx.report('LEGACY_ISTIO_SECRET', found, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
