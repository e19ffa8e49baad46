import type { Check } from '../../src/core/check.js';
import mtlsMode from './mtls-mode.js';
import portProtocol from './port-protocol.js';
import schema from './schema.js';
import selected from './selected.js';
import targetsMatch from './targets-match.js';
import tlsPaths from './tls-paths.js';
import tlsSettings from './tls-settings.js';
import scrapeJobTargets from './scrape-job-targets.js';

export const monitorsChecks: Check[] = [schema, selected, targetsMatch, tlsSettings, tlsPaths, mtlsMode, portProtocol, scrapeJobTargets];
