// How instant `asm-prom demo` feels: time to verdict (the report's last byte on stdout) and time to
// exit (the prompt back), beside `node -e 0` (Node's own start and exit) measured in the same run.
// Targets (issue 9): the verdict within 3 s, the exit at once after it (the gap is the stray-timer
// bound). The machine's load shows in the baseline: compare the two, not the absolute numbers alone.
//
//   npm run bench:demo            (builds first)
//   node bench/demo.mjs [runs] [scenario]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.argv[2] ?? 5);
const SCENARIO = process.argv[3];
const BIN = fileURLToPath(new URL('../bin/asm-prom.js', import.meta.url));
const VERDICT_TARGET_MS = 3_000;
const EXIT_GAP_TARGET_MS = 1_000;

/** One run: ms from spawn to the last stdout byte, and to the process's exit. */
function timeRun(argv) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let lastOut;
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, CI: '1', NO_COLOR: '1' } });
    child.stdout.on('data', () => (lastOut = performance.now()));
    child.on('error', reject);
    child.on('exit', () => {
      const exit = performance.now();
      // a process that prints nothing (the baseline) has its verdict at its exit
      lastOut ??= exit;
      resolve({ verdict: lastOut - start, exit: exit - start, gap: exit - lastOut });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`.padStart(8);

async function measure(name, argv) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await timeRun(argv));
  const row = { verdict: median(runs.map((r) => r.verdict)), exit: median(runs.map((r) => r.exit)), gap: Math.max(...runs.map((r) => r.gap)) };
  console.log(`${name.padEnd(26)} verdict ${ms(row.verdict)}   exit ${ms(row.exit)}   worst gap verdict→exit ${ms(row.gap)}`);
  return row;
}

console.log(`${RUNS} runs each, medians (load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
const baseline = await measure('node -e 0', ['-e', '0']);
const demo = await measure(`asm-prom demo${SCENARIO ? ` ${SCENARIO}` : ''}`, [BIN, 'demo', ...(SCENARIO ? [SCENARIO] : [])]);
console.log(`demo beyond Node's own start: ${Math.round(demo.exit - baseline.exit)} ms`);
const misses = [
  demo.verdict > VERDICT_TARGET_MS && `verdict after ${Math.round(demo.verdict)} ms (target ${VERDICT_TARGET_MS} ms)`,
  demo.gap > EXIT_GAP_TARGET_MS && `exit ${Math.round(demo.gap)} ms after the verdict (target ${EXIT_GAP_TARGET_MS} ms)`,
].filter(Boolean);
for (const miss of misses) console.error(`missed: ${miss}`);
if (misses.length) process.exitCode = 1;
