import type { Check } from '../../src/core/check.js';

export const monitorsChecks: Check[] = [];
