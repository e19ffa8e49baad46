// Mutation testing (`npm run mutate`, not part of `npm test`): Stryker mutates the code the checks
// rest on and runs the fast suite (vitest.unit.config.ts) against each mutant. A surviving mutant is a
// behaviour no test pins down: kill it with a test, or explain it as equivalent in docs/reliability.md.
// One folder at a time: `npm run mutate -- --mutate 'checks/**/*.ts'`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['checks/**/*.ts', 'src/core/**/*.ts', 'src/pki/**/*.ts', 'src/probes/**/*.ts', '!**/*.d.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  coverageAnalysis: 'perTest',
  checkers: [],
  concurrency: 2,
  timeoutMS: 30_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.stryker-tmp',
};
