import { defineCheck } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { CertFileSet, PrometheusPod } from '../../src/model/inventory.js';
import { parseSpiffeId, spiffeId, spiffeIdOf } from '../../src/pki/index.js';
import { fileSubject, usableSets } from './parsed.js';

type Expected = NonNullable<CertFileSet['expectedIdentity']>;

/** Offline, the one Prometheus pod of the manifests says whose files these are. */
function identityOfOnlyPod(pods: readonly PrometheusPod[] | undefined): Expected | undefined {
  if (pods?.length !== 1) return undefined;
  const { namespace, pod } = pods[0]!;
  return { namespace, serviceAccount: pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default' };
}

export default defineCheck({
  id: 'certs.identity',
  title: "the leaf's SPIFFE ID is the Prometheus pod's service account",
  category: 'certs',
  codes: ['IDENTITY_MISMATCH'],
  needs: ['certFiles'],
  uses: ['prometheusPods'],
  async run(ctx) {
    const sets = usableSets(await ctx.get('certFiles'), ['chain']);
    // Read only for a set that does not say whose it is (--certs-dir).
    let fallback: Promise<Expected | undefined> | undefined;
    let judged = false;
    for (const { set, chain } of sets) {
      const expected = set.expectedIdentity ?? (await (fallback ??= ctx.tryGet('prometheusPods').then(identityOfOnlyPod)));
      if (!expected) continue;
      judged = true;
      const actual = spiffeIdOf(chain[0]!);
      const parts = actual ? parseSpiffeId(actual) : undefined;
      // Without a known trust domain, the leaf's own is taken: then only namespace and account count.
      const trustDomain = expected.trustDomain ?? parts?.trustDomain ?? 'cluster.local';
      if (parts && parts.trustDomain === trustDomain && parts.namespace === expected.namespace && parts.serviceAccount === expected.serviceAccount) continue;
      ctx.report('IDENTITY_MISMATCH', {
        actual: actual ?? '(no SPIFFE URI SAN)',
        expected: spiffeId(trustDomain, expected.namespace, expected.serviceAccount),
      }, { subject: fileSubject(set, 'cert-chain.pem') });
    }
    if (!judged) throw new Unavailable("the Prometheus pod's service account is unknown: give -f with its manifest (exactly one Prometheus), or run against the cluster");
  },
});
