/**
 * Fixes are data: for every finding code, the recipe that patches the object the user owns, or why
 * no safe mechanical fix exists (the finding's hint then says what to do). A meta-test holds this
 * table to the catalogue of codes: every code is here, fixable with a test, or manual.
 */
import type { Code } from '../core/codes.js';
import { manual, type Manual, type Recipe } from './recipes/common.js';
import { MONITOR_FIXES } from './recipes/monitors.js';
import { PROMETHEUS_FIXES } from './recipes/prometheus.js';

const NOT_CONFIGURATION = 'not a fault of an object the user applies: the inputs or the doctor itself';
const SIDECAR_FILES = 'the files are what the sidecar wrote: the cause is the mesh (its CA, the sidecar, a rotation), not a field a patch can set; restart the pod once the cause is fixed';
const LIVE = 'a live symptom: the configuration findings that explain it carry the fixes';

/** Codes with no safe mechanical fix, and why. */
export const MANUAL: Partial<Record<Code, Manual>> = {
  MANIFEST_PARSE_ERROR: manual('which text was meant cannot be guessed from a document that does not parse'),
  CLUSTER_UNREACHABLE: manual(NOT_CONFIGURATION),
  ACCESS_DENIED: manual(NOT_CONFIGURATION),
  PROMETHEUS_NOT_FOUND: manual(NOT_CONFIGURATION),
  CHECK_CRASHED: manual(NOT_CONFIGURATION),
  PROXY_CONFIG_INVALID: manual('what the annotation meant cannot be read from it; rewriting it could drop settings'),
  PROXY_VERSION_UNSUPPORTED: manual('an upgrade of Istio, not a change to an object'),
  AMBIENT_NAMESPACE: manual('leaving ambient mode, or scraping over plain http, is a design decision'),
  MONITOR_INVALID: manual('which field or value was meant is a guess'),
  MONITOR_NO_MATCHING_SERVICE: manual('which Service or Pod was meant is a guess'),
  CERT_FILE_MISSING: manual(SIDECAR_FILES),
  CERT_FILE_UNREADABLE: manual('an Istio upgrade (≥ 1.9.4) or running Prometheus as uid 1337: both beyond a patch'),
  CERT_PARSE_ERROR: manual(SIDECAR_FILES),
  KEY_MISMATCH: manual(SIDECAR_FILES),
  CERT_EXPIRED: manual(SIDECAR_FILES),
  CERT_NOT_YET_VALID: manual('clocks of the node or the CA'),
  CERT_NOT_ROTATED: manual(SIDECAR_FILES),
  CHAIN_BROKEN: manual(SIDECAR_FILES),
  ROOT_MISMATCH: manual('a wrong root is a matter of the mesh CA and revisions, never patched blindly'),
  IDENTITY_MISMATCH: manual('which identity is right is for the AuthorizationPolicies to say'),
  TARGET_OK: manual('nothing to fix'),
  TARGET_UNREACHABLE: manual(LIVE),
  TARGET_TIMEOUT: manual(LIVE),
  TARGET_NOT_TLS: manual(LIVE),
  CLIENT_CERT_REJECTED: manual(LIVE),
  PEER_CERT_UNTRUSTED: manual(LIVE),
  PEER_IDENTITY_MISMATCH: manual(LIVE),
  SCRAPE_CONNECTION_CLOSED: manual(LIVE),
  SCRAPE_HTTP_ERROR: manual('a 403 is an AuthorizationPolicy, a 503 the app: widening a security policy or changing an app is never automatic'),
  SCRAPE_NOT_METRICS: manual(LIVE),
  TARGET_DOWN: manual(LIVE),
  SCRAPE_POOL_MISSING: manual('reload Prometheus (POST /-/reload) once the files are there'),
  PROMETHEUS_API_UNREACHABLE: manual(NOT_CONFIGURATION),
  SCRAPE_CONFIG_INVALID: manual('what a configuration Prometheus refuses to load meant (a duplicate job, an unknown field, a bad regex) is a guess'),
  SCRAPE_JOB_NO_TARGETS: manual('which targets the relabelling meant to keep is a guess: the finding names the rule that drops them'),
};

/** Codes with a mechanical fix. */
export const FIXES: Partial<Record<Code, Recipe>> = { ...PROMETHEUS_FIXES, ...MONITOR_FIXES };

/**
 * Subject kinds no fix is given for, whatever the code, and why: the monitors.* codes of a raw
 * scrape job (scheme, tls_config, paths) name fields of Prometheus's own configuration text, which
 * lives in a ConfigMap or Secret key, an additionalScrapeConfigs Secret, a prometheus.yml, a scraper's
 * own format, or (live) only in what Prometheus loaded: no object field a patch can set.
 */
export const MANUAL_FOR_KIND: Readonly<Record<string, Manual>> = {
  ScrapeConfig: manual("a ScrapeConfig has no endpoints list and names TLS files only through a scrape class; the monitor fixes do not apply to it: edit it (or its Prometheus's scrapeConfigSelector) as the hint says"),
  ScrapeJob: manual("a raw scrape job is text in Prometheus's configuration (a ConfigMap or Secret key, a prometheus.yml, or only what Prometheus loaded), not an object field a patch can set: edit the job as the hint says, then reload Prometheus"),
};

/** The fix of a finding: the kind's reason when its subject kind has none, else the code's recipe or reason. */
export function fixOf(code: string, subjectKind?: string): Recipe | Manual | undefined {
  const recipe = FIXES[code as Code];
  const forKind = subjectKind === undefined ? undefined : MANUAL_FOR_KIND[subjectKind];
  return (recipe && forKind) ?? recipe ?? MANUAL[code as Code];
}
