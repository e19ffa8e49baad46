/**
 * Whether a Prometheus is meant to scrape over Istio mTLS, the recipe the prometheus.* checks judge.
 * It is not when everything known says so: no operator resource, no sidecar coming (injection off),
 * no sign of the OUTPUT_CERTS recipe on the pod, and a raw configuration, read, whose jobs all scrape
 * in plain text or with their own CA. Istio's addon Prometheus is such a one: it scrapes the merged
 * metrics of injected pods on 15020, which the sidecar leaves in plain text. Judged as deployed, it
 * lacks nothing. Whatever is unknown (no configuration read) keeps the Prometheus judged.
 */
import type { CheckContext } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { PrometheusPod } from '../../src/model/inventory.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { resolveRawJobs, usesMeshTls } from '../monitors/raw-jobs.js';
import { missingSidecarCause, withoutSidecarOrRecipe } from './injection.js';

/** What a check that calls meshScrapers must declare in `uses`, besides `namespaces`. */
export const MESH_INTENT_USES = ['scrapeConfigs', 'services', 'workloads', 'namespaces', 'rawJobTargets'] as const;

const RECIPE_ANNOTATIONS = ['sidecar.istio.io/userVolumeMount', 'sidecar.istio.io/userVolume'];

async function scrapesOverMesh(ctx: CheckContext, pp: PrometheusPod): Promise<boolean> {
  if (pp.resource) return true;
  const namespaces = await ctx.tryGet('namespaces');
  if (!missingSidecarCause(pp, namespaces)) return true;
  const annotations = annotationsOf(pp.pod);
  if (RECIPE_ANNOTATIONS.some((a) => annotations[a]) || /OUTPUT_CERTS/.test(annotations['proxy.istio.io/config'] ?? '')) return true;
  const jobs = (await resolveRawJobs(ctx)).filter((j) => j.entry.scraper === pp);
  if (!jobs.length) return true;
  return jobs.some((j) => j.schemes.has('https') && usesMeshTls(j, namespaces));
}

/**
 * The Prometheus pods the recipe checks judge; unavailable, with the reason, when every one of them
 * is known to scrape nothing over Istio mTLS.
 */
export async function meshScrapers(ctx: CheckContext): Promise<PrometheusPod[]> {
  const pods = await ctx.get('prometheusPods');
  const judged: PrometheusPod[] = [];
  for (const pp of pods) if (await scrapesOverMesh(ctx, pp)) judged.push(pp);
  if (pods.length && !judged.length)
    throw new Unavailable('no Prometheus here scrapes over Istio mTLS: no sidecar is injected, and every job of its configuration scrapes in plain text or with its own CA');
  return judged;
}

/**
 * The mesh scrapers whose sidecar's own parts (OUTPUT_CERTS, userVolumeMount) are judged: less those
 * that will run without any sidecar and show no sign of the recipe, whose missing parts follow from
 * SIDECAR_NOT_INJECTED and are not reported again.
 */
export async function sidecarRecipeScrapers(ctx: CheckContext): Promise<PrometheusPod[]> {
  const namespaces = await ctx.tryGet('namespaces');
  return (await meshScrapers(ctx)).filter((pp) => !withoutSidecarOrRecipe(pp, namespaces));
}
