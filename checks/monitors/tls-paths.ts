import { posix } from 'node:path';
import { defineCheck } from '../../src/core/check.js';
import type { CodeArgs } from '../../src/core/codes.js';
import { normaliseDir, OUTPUT_FILES, prometheusCertsMount } from '../../src/model/istio.js';
import type { Pod, SafeTLSConfig } from '../../src/model/k8s.js';
import { describeScraper, scraperSelects } from '../../src/model/scraper.js';
import { prometheusSelects } from '../../src/model/selectors.js';
import { effectiveEndpoints, loadMonitors, onceEach, scrapeClassFor, type EffectiveEndpoint } from './endpoints.js';
import { rawJobTarget, resolveRawJobs, usesMeshTls } from './raw-jobs.js';

/** Which file of the sidecar's each TLS field must name. */
const EXPECTED_FILE = { caFile: 'root-cert.pem', certFile: 'cert-chain.pem', keyFile: 'key.pem' } as const;
type FileField = keyof typeof EXPECTED_FILE;

/** The path a TLS field should hold: the sidecar's file in the folder the scraper mounts (`/` included). */
const expectedPath = (mountPath: string, field: FileField) => posix.join(normaliseDir(mountPath), EXPECTED_FILE[field]);

function splitPath(path: string): { dir: string; base: string } {
  const normalised = normaliseDir(path);
  const cut = normalised.lastIndexOf('/');
  return { dir: cut > 0 ? normalised.slice(0, cut) : '/', base: normalised.slice(cut + 1) };
}

/** What is wrong with one TLS file path, seen from a Prometheus container that mounts the volume at mountPath. */
function problemOf(path: string, field: FileField, mountPath: string): CodeArgs<'MONITOR_TLS_PATH_UNMOUNTED'>['problem'] | undefined {
  const mount = normaliseDir(mountPath);
  const { dir, base } = splitPath(path);
  if (dir !== mount) return normaliseDir(path).startsWith(`${mount}/`) ? 'not-written' : 'outside-mount';
  if (!(OUTPUT_FILES as readonly string[]).includes(base)) return 'not-written';
  return base === EXPECTED_FILE[field] ? undefined : 'wrong-file';
}

/** Whether any mount of the container holds the path's folder. */
function mountedAt(pod: Pod, containerName: string, path: string): boolean {
  const dir = splitPath(path).dir;
  const container = pod.spec?.containers?.find((c) => c.name === containerName);
  return (container?.volumeMounts ?? []).some((m) => m.mountPath && (dir === normaliseDir(m.mountPath) || dir.startsWith(`${normaliseDir(m.mountPath)}/`)));
}

/** Where a field's value was written: the monitor's own tlsConfig, or the scrape class it inherits. */
function origin(ep: EffectiveEndpoint, field: FileField, value: string): string {
  const own = (ep.endpoint.tlsConfig as SafeTLSConfig | undefined)?.[field];
  return own === value || !ep.view.scrapeClass ? `${ep.path}.tlsConfig.${field}` : `scrape class "${ep.view.scrapeClass.name}" tlsConfig.${field}`;
}

export default defineCheck({
  id: 'monitors.tls-paths',
  title: "TLS file paths point at the sidecar's files inside Prometheus's certificates mount",
  category: 'monitors',
  codes: ['MONITOR_TLS_PATH_UNMOUNTED'],
  needs: ['prometheusPods'],
  uses: ['serviceMonitors', 'podMonitors', 'namespaces', 'scrapeConfigs', 'services', 'workloads', 'rawJobTargets'],
  async run(ctx) {
    const pods = await ctx.get('prometheusPods');
    const namespaces = await ctx.tryGet('namespaces');
    // Raw jobs: their tls_config files against the certificates mount of the Prometheus that loads them.
    const RAW_FIELDS: Record<FileField, 'ca_file' | 'cert_file' | 'key_file'> = { caFile: 'ca_file', certFile: 'cert_file', keyFile: 'key_file' };
    for (const job of await resolveRawJobs(ctx)) {
      const scraper = job.entry.scraper;
      const mount = scraper && prometheusCertsMount(scraper.pod, scraper.prometheusContainer);
      if (!mount || !job.schemes.has('https') || !usesMeshTls(job, namespaces)) continue;
      for (const field of Object.keys(EXPECTED_FILE) as FileField[]) {
        const path = job.entry.job.tls?.[field];
        if (!path) continue;
        const problem = problemOf(path, field, mount.mountPath);
        if (problem) ctx.report('MONITOR_TLS_PATH_UNMOUNTED', {
          field: job.entry.tlsOrigin !== undefined ? `${job.entry.tlsOrigin}.${field}` : `${job.label} tls_config.${RAW_FIELDS[field]}`, path, mountPath: mount.mountPath, problem,
          expected: expectedPath(mount.mountPath, field),
        }, rawJobTarget(job));
      }
    }
    for (const monitor of await loadMonitors(ctx)) {
      const first = onceEach();
      // Scrapers that select monitors by rules of their own (VMAgent, Alloy, a target allocator's collector)
      for (const pod of pods) {
        if (!pod.selection || scraperSelects(pod.selection, monitor, namespaces).selected === false) continue;
        const mount = prometheusCertsMount(pod.pod, pod.prometheusContainer);
        for (const ep of effectiveEndpoints(monitor, [{}])) {
          if (ep.scheme !== 'https') continue;
          for (const field of Object.keys(EXPECTED_FILE) as FileField[]) {
            const path = ep.tls?.[field];
            if (!path) continue;
            const at = `${ep.path}.tlsConfig.${field}`;
            const scraper = pod.scraper ? describeScraper(pod.scraper) : undefined;
            // The allocator's case: the job (and its paths) reach a collector pod that mounts nothing there.
            const problem = mount ? problemOf(path, field, mount.mountPath) : pod.selection.viaTargetAllocator && !mountedAt(pod.pod, pod.prometheusContainer, path) ? 'not-mounted' : undefined;
            const mountPath = mount?.mountPath ?? normaliseDir(splitPath(path).dir);
            if (problem && first(`${at} ${path} ${mountPath} ${scraper}`)) {
              ctx.report('MONITOR_TLS_PATH_UNMOUNTED', {
                field: at, path, mountPath, problem, expected: expectedPath(mountPath, field), ...(scraper ? { scraper } : {}),
              }, { subject: ctx.subjectOf(monitor) });
            }
          }
        }
      }
      for (const pod of pods) {
        const prometheus = pod.resource;
        if (!prometheus || prometheusSelects(prometheus, monitor, namespaces).selected === false) continue;
        const { scrapeClass, notFound } = scrapeClassFor(prometheus, monitor);
        // Without a mount of the certificates volume the prometheus.* checks say what is wrong.
        const mount = prometheusCertsMount(pod.pod, pod.prometheusContainer);
        if (notFound || !mount) continue;
        for (const ep of effectiveEndpoints(monitor, [{ prometheus, scrapeClass }])) {
          if (ep.scheme !== 'https') continue;
          for (const field of Object.keys(EXPECTED_FILE) as FileField[]) {
            const path = ep.tls?.[field];
            if (!path) continue;
            const problem = problemOf(path, field, mount.mountPath);
            const at = origin(ep, field, path);
            if (problem && first(`${at} ${path} ${mount.mountPath}`)) {
              ctx.report('MONITOR_TLS_PATH_UNMOUNTED', {
                field: at, path, mountPath: mount.mountPath, problem,
                expected: expectedPath(mount.mountPath, field),
              }, { subject: ctx.subjectOf(monitor) });
            }
          }
        }
      }
    }
  },
});
