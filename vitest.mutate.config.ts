/**
 * The suite Stryker runs against each mutant (npm run mutate): the fast suite and the probe's own
 * tests (their TLS servers run in the test's process, a few seconds in all), less the property
 * suites (robustness, properties): they run the whole doctor hundreds of times, so they cover every
 * mutant and made each one take minutes; they pin "never crashes", not behaviour.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import unit from './vitest.unit.config.js';

const PROBE_TESTS = ['test/probe.test.ts', 'test/probe-faults.test.ts', 'test/prometheus-api.test.ts', 'test/alloy-api.test.ts'];

export default mergeConfig(unit, defineConfig({
  test: {
    include: PROBE_TESTS,
    exclude: ['test/robustness.test.ts', 'test/properties.test.ts', 'node_modules/**'],
  },
}));
