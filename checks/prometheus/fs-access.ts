import { defineCheck } from '../../src/core/check.js';
import type { Monitor, PrometheusResource, SafeTLSConfig } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { prometheusSelects } from '../../src/model/selectors.js';

const readsFiles = (tls: SafeTLSConfig | undefined) => Boolean(tls?.caFile || tls?.certFile || tls?.keyFile);

/** A scrape class may name the files (the operator allows that under deny: true; a monitor may not). */
const scrapeClassReadsFiles = (prometheus: PrometheusResource) => (prometheus.spec?.scrapeClasses ?? []).some((c) => readsFiles(c.tlsConfig));

export default defineCheck({
  id: 'prometheus.fs-access',
  title: 'the operator lets monitors read the TLS files (arbitraryFSAccessThroughSMs)',
  category: 'prometheus',
  codes: ['FS_ACCESS_DENIED'],
  needs: ['prometheusResources'],
  uses: ['serviceMonitors', 'namespaces'],
  async run(ctx) {
    const serviceMonitors = await ctx.tryGet('serviceMonitors');
    const namespaces = await ctx.tryGet('namespaces');
    for (const prometheus of await ctx.get('prometheusResources')) {
      if (prometheus.spec?.arbitraryFSAccessThroughSMs?.deny !== true) continue;
      // The operator's testForArbitraryFSAccess rejects any endpoint whose tlsConfig names a file.
      const selected = (serviceMonitors ?? []).filter((m) => prometheusSelects(prometheus, m, namespaces).selected !== false);
      const rejected = selected.filter((m: Monitor) => (m.spec?.endpoints ?? []).some((e) => readsFiles(e.tlsConfig)));
      // With no such monitor in sight, deny: true still leaves the certificate files no way in, unless a scrape class names them.
      const blocksRecipe = rejected.length > 0 || (!selected.length && !scrapeClassReadsFiles(prometheus));
      if (blocksRecipe)
        ctx.report('FS_ACCESS_DENIED', { prometheus: `${namespaceOf(prometheus)}/${nameOf(prometheus)}`, monitors: rejected.map((m) => `${namespaceOf(m)}/${nameOf(m)}`) }, { subject: ctx.subjectOf(prometheus) });
    }
  },
});
