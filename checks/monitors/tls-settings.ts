import { defineCheck } from '../../src/core/check.js';
import type { SafeTLSConfig } from '../../src/model/k8s.js';
import { effectiveEndpoints, loadMonitors, onceEach, viewsOf } from './endpoints.js';

const isSet = (value: unknown) => (typeof value === 'string' ? value !== '' : typeof value === 'object' && value !== null && Object.keys(value).length > 0);

/**
 * The recipe's three files (by file, or by Secret where the CRD allows), as CONTRACT.md promises:
 * the CA too, even under insecureSkipVerify, because the recipe's set is what the other checks
 * (paths, certificate files) follow, and a missing one usually means a half-copied tlsConfig.
 */
function missingFiles(tls: SafeTLSConfig | undefined): string[] {
  const missing: string[] = [];
  if (!isSet(tls?.caFile) && !isSet(tls?.ca)) missing.push('caFile');
  if (!isSet(tls?.certFile) && !isSet(tls?.cert)) missing.push('certFile');
  if (!isSet(tls?.keyFile) && !isSet(tls?.keySecret)) missing.push('keyFile');
  return missing;
}

export default defineCheck({
  id: 'monitors.tls-settings',
  title: 'https endpoints send the Istio client certificate and skip host-name verification',
  category: 'monitors',
  codes: ['MONITOR_TLS_FILES_MISSING', 'MONITOR_VERIFY_SPIFFE', 'SCRAPE_CLASS_TLS_OVERRIDE'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'prometheusResources', 'namespaces'],
  async run(ctx) {
    const prometheuses = await ctx.tryGet('prometheusResources');
    const namespaces = await ctx.tryGet('namespaces');
    for (const monitor of await loadMonitors(ctx)) {
      const subject = ctx.subjectOf(monitor);
      const first = onceEach();
      for (const ep of effectiveEndpoints(monitor, viewsOf(monitor, prometheuses, namespaces))) {
        if (ep.scheme !== 'https') continue;
        const missing = missingFiles(ep.tls);
        if (missing.length && first(`files ${ep.path} ${missing}`))
          ctx.report('MONITOR_TLS_FILES_MISSING', { endpoint: ep.path, missing, kind: monitor.kind ?? 'ServiceMonitor' }, { subject });
        if (ep.tls?.insecureSkipVerify !== true && first(`verify ${ep.path}`))
          ctx.report('MONITOR_VERIFY_SPIFFE', { endpoint: ep.path }, { subject });
        const scrapeClass = ep.view.scrapeClass;
        const ownTls = ep.endpoint.tlsConfig;
        const dropped = scrapeClass?.tlsConfig?.insecureSkipVerify === true && isSet(ownTls) && ownTls?.insecureSkipVerify !== true;
        if (dropped && first(`override ${ep.path} ${scrapeClass.name}`))
          ctx.report('SCRAPE_CLASS_TLS_OVERRIDE', { endpoint: ep.path, scrapeClass: scrapeClass.name ?? '' }, { subject });
      }
    }
  },
});
