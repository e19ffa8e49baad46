import { defineCheck } from '../../src/core/check.js';
import type { SafeTLSConfig } from '../../src/model/k8s.js';
import { effectiveEndpoints, loadMonitors, onceEach, viewsOf } from './endpoints.js';
import { rawJobTarget, resolveRawJobs, usesMeshTls } from './raw-jobs.js';

const isSet = (value: unknown) => (typeof value === 'string' ? value !== '' : typeof value === 'object' && value !== null && Object.keys(value).length > 0);

/**
 * The recipe's three files (by file, or by Secret where the CRD allows), as CONTRACT.md promises:
 * the CA too, even under insecureSkipVerify, because the recipe's set is what the other checks
 * (paths, certificate files) follow, and a missing one usually means a half-copied tlsConfig.
 */
function missingFiles(tls: SafeTLSConfig | undefined, names = { ca: 'caFile', cert: 'certFile', key: 'keyFile' }): string[] {
  const missing: string[] = [];
  if (!isSet(tls?.caFile) && !isSet(tls?.ca)) missing.push(names.ca);
  if (!isSet(tls?.certFile) && !isSet(tls?.cert)) missing.push(names.cert);
  if (!isSet(tls?.keyFile) && !isSet(tls?.keySecret)) missing.push(names.key);
  return missing;
}
const RAW_NAMES = { ca: 'ca_file', cert: 'cert_file', key: 'key_file' };

export default defineCheck({
  id: 'monitors.tls-settings',
  title: 'https endpoints send the Istio client certificate and skip host-name verification',
  category: 'monitors',
  codes: ['MONITOR_TLS_FILES_MISSING', 'MONITOR_VERIFY_SPIFFE', 'SCRAPE_CLASS_TLS_OVERRIDE'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'prometheusResources', 'namespaces', 'scrapeConfigs', 'services', 'workloads', 'rawJobTargets'],
  async run(ctx) {
    const prometheuses = await ctx.tryGet('prometheusResources');
    const namespaces = await ctx.tryGet('namespaces');
    // Raw jobs (scrape_configs) made https, by their scheme or by relabelling, toward the mesh.
    for (const job of await resolveRawJobs(ctx)) {
      if (!job.schemes.has('https') || !usesMeshTls(job, namespaces)) continue;
      const tls = job.entry.job.tls;
      // inline PEM (ca, cert, key) counts as set, as the CRD's Secret references do
      const inline = { inline: true };
      const asSafe = tls && ({ caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile, ca: tls.ca ? inline : undefined, cert: tls.cert ? inline : undefined, keySecret: tls.key ? inline : undefined } as SafeTLSConfig);
      // a ScrapeConfig object: the operator's names (its files come from a scrape class)
      const object = job.entry.tlsOrigin !== undefined;
      const missing = missingFiles(asSafe, object ? undefined : RAW_NAMES);
      if (missing.length) ctx.report('MONITOR_TLS_FILES_MISSING', { endpoint: job.label, missing, kind: object ? 'ScrapeConfig' : 'ScrapeJob', skipsVerify: tls?.insecureSkipVerify === true }, rawJobTarget(job));
      if (tls?.insecureSkipVerify !== true) ctx.report('MONITOR_VERIFY_SPIFFE', { endpoint: job.label }, rawJobTarget(job));
    }
    for (const monitor of await loadMonitors(ctx).catch((error) => (ctx.tryGet('scrapeConfigs').then((c) => { if (!c) throw error; return []; })))) {
      const subject = ctx.subjectOf(monitor);
      const first = onceEach();
      for (const ep of effectiveEndpoints(monitor, viewsOf(monitor, prometheuses, namespaces))) {
        if (ep.scheme !== 'https') continue;
        const missing = missingFiles(ep.tls);
        if (missing.length && first(`files ${ep.path} ${missing}`))
          ctx.report('MONITOR_TLS_FILES_MISSING', { endpoint: ep.path, missing, kind: monitor.kind ?? 'ServiceMonitor', skipsVerify: ep.tls?.insecureSkipVerify === true }, { subject });
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
