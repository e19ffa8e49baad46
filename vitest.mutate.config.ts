/**
 * The suite Stryker runs against each mutant (npm run mutate): the fast suite, less the property
 * suites (robustness, properties): they run the whole doctor hundreds of times, so they cover every
 * mutant and made each one take minutes; they pin "never crashes", not behaviour.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import unit from './vitest.unit.config.js';

export default mergeConfig(unit, defineConfig({ test: { exclude: ['test/robustness.test.ts', 'test/properties.test.ts', 'node_modules/**'] } }));
