import type { Check } from '../../src/core/check.js';
import reachable from './api-reachable.js';
import scrapePools from './scrape-pools.js';
import targetsDown from './targets-down.js';

export const prometheusApiChecks: Check[] = [reachable, targetsDown, scrapePools];
