import type { Check } from '../../src/core/check.js';

export const certsChecks: Check[] = [];
