/**
 * `npm run test:unit`: the fast tests for the inner loop (no built CLI, no simulated mesh, no real
 * peer started), under 30 s. `npm test` runs everything, these included.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/checks.test.ts',
      'test/checks/*.test.ts',
      'test/classify.test.ts',
      'test/intern.test.ts',
      'test/json-arrays.test.ts',
      'test/manifests.test.ts',
      'test/model-*.test.ts',
      'test/peers.test.ts',
      'test/pki.test.ts',
      'test/probe-targets.test.ts',
      'test/properties.test.ts',
      'test/registry.test.ts',
      'test/reporters.test.ts',
      'test/robustness.test.ts',
      'test/runner.test.ts',
      'test/suite-hygiene.test.ts',
    ],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
