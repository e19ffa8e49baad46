import type { Check } from '../../src/core/check.js';
import ambient from './ambient.js';
import annotationsOnPod from './annotations-on-pod.js';
import certsMounted from './certs-mounted.js';
import certsPath from './certs-path.js';
import certsVolume from './certs-volume.js';
import fsAccess from './fs-access.js';
import scraperFsAccess from './scraper-fs-access.js';
import legacySecret from './legacy-secret.js';
import outputCerts from './output-certs.js';
import proxyConfig from './proxy-config.js';
import proxyVersion from './proxy-version.js';
import rbac from './rbac.js';
import sidecarInjected from './sidecar-injected.js';
import startupRace from './startup-race.js';
import trafficCapture from './traffic-capture.js';
import userVolumeMount from './user-volume-mount.js';
import scrapeConfig from './scrape-config.js';

/** In the order a reader fixes them: the pod gets a sidecar, the sidecar writes the files, Prometheus reads them. */
export const prometheusChecks: Check[] = [
  annotationsOnPod,
  sidecarInjected,
  ambient,
  proxyConfig,
  outputCerts,
  userVolumeMount,
  legacySecret,
  certsVolume,
  certsPath,
  certsMounted,
  trafficCapture,
  startupRace,
  proxyVersion,
  rbac,
  fsAccess,
  scraperFsAccess,
  scrapeConfig,
];
