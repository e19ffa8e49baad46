/**
 * The registry of built-in checks, one file per check, grouped by category (istio's analyzers/all.go).
 * Each category's index lists its checks; the registry validates ids at load.
 */
import type { Check } from '../src/core/check.js';
import { validateRegistry } from '../src/core/registry.js';
import { certsChecks } from './certs/index.js';
import { inputsChecks } from './inputs/index.js';
import { monitorsChecks } from './monitors/index.js';
import { prometheusChecks } from './prometheus/index.js';
import { prometheusApiChecks } from './prometheus-api/index.js';
import { targetsChecks } from './targets/index.js';

export const ALL_CHECKS: readonly Check[] = validateRegistry([
  ...prometheusChecks,
  ...monitorsChecks,
  ...certsChecks,
  ...targetsChecks,
  ...prometheusApiChecks,
  ...inputsChecks,
]);
