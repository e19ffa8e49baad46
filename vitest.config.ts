import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on child processes, sockets and real peers rather than compute: one file more
    // than the machine has cores keeps both cores busy (vitest's default, cores - 1, left one idle
    // on a 2-core machine and the suite took twice as long).
    maxWorkers: '150%',
    // A worker keeps its modules between files instead of importing the whole doctor again for each
    // one (a third of the CPU of a unit run). Files restore what they change (env stubs, timers, spies).
    isolate: false,
  },
});
