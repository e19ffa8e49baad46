import type { Check } from '../../src/core/check.js';
import probe from './probe.js';

export const targetsChecks: Check[] = [probe];
