// Is `asm-prom serve` cheap enough to leave running? On a simulated mesh of PODS pods of which
// TARGETS are scrape targets, `serve` (a child process, `node --expose-gc`) runs the doctor back to
// back RUNS times; we record, per run, its RSS and its heap after a full collection (from its own
// log line), its CPU, and the API requests it made. Baselines measured in the same run, against the
// same API server: `kubectl get pods -A -o json` (CPU of one full pod listing), and the same serve on
// a mesh ten times smaller (requests per run must not grow with the pods).
//
//   npm run build && node bench/serve.mjs [runs] [pods] [targets]
//
// Targets: steady RSS under 250 MiB, no heap growth (heap after the last run within 10% + 5 MiB of
// the heap after run 10), API requests per run independent of the pod count.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startSimulatedMesh } from '../dist/sim.js';

const RUNS = Number(process.argv[2] ?? 100);
const PODS = Number(process.argv[3] ?? 3_000);
const TARGETS = Number(process.argv[4] ?? 1_000);
const BIN = fileURLToPath(new URL('../bin/asm-prom.js', import.meta.url));
const RSS_LIMIT_MIB = 250;
const CLK_TCK = 100; // /proc/<pid>/stat ticks per second on Linux

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

/** Runs serve against `mesh` until it has logged `runs` runs; per run: rss, heap, cpu, requests. */
async function serveRuns(mesh, runs) {
  const child = spawn(process.execPath, ['--expose-gc', BIN, 'serve', '--kubeconfig', mesh.kubeconfigPath, '--listen', '127.0.0.1:0',
    '--interval', '1ms', '--timeout', '20s', '--deadline', '10m'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const samples = [];
  let buffered = '';
  let lastCpu = 0;
  let lastRequests = mesh.requestLog.length;
  await new Promise((resolve, reject) => {
    child.on('exit', (code) => (samples.length < runs ? reject(new Error(`serve exited ${code}`)) : resolve()));
    child.stderr.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const m = /run (\d+): (\d+) error\(s\).* in (\d+) ms.*rss ([\d.]+) MiB, heap ([\d.]+) MiB/.exec(line);
        if (!m) {
          if (/failed|incomplete/.test(line)) process.stderr.write(`${line}\n`);
          continue;
        }
        const cpu = cpuSeconds(child.pid);
        const requests = mesh.requestLog.length;
        samples.push({ run: Number(m[1]), errors: Number(m[2]), ms: Number(m[3]), rss: Number(m[4]), heap: Number(m[5]), cpu: cpu - lastCpu, requests: requests - lastRequests });
        lastCpu = cpu;
        lastRequests = requests;
        if (samples.length % 10 === 0) process.stderr.write(`  … ${samples.length}/${runs} runs\n`);
        if (samples.length >= runs) child.kill('SIGTERM');
      }
    });
  });
  return samples;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs) => Math.max(...xs);

/** CPU seconds of one `kubectl get pods -A -o json` (async: the API server lives in this process). */
async function kubectlCpu(mesh) {
  const { stdout } = await promisify(execFile)('bash', ['-c', 'kubectl --kubeconfig "$1" get pods -A -o json > /dev/null; times', '_', mesh.kubeconfigPath], { maxBuffer: 1 << 20 });
  // `times`: shell user/sys, then children's user/sys, as 0m1.234s
  const line = stdout.trim().split('\n').at(-1);
  return line.split(/\s+/).map((t) => { const m = /(\d+)m([\d.]+)s/.exec(t); return Number(m[1]) * 60 + Number(m[2]); }).reduce((a, b) => a + b, 0);
}

async function measure(pods, targets, runs) {
  process.stderr.write(`mesh of ${pods} pods, ${targets} targets: starting\n`);
  const mesh = await startSimulatedMesh(`scale-${pods}-${targets}`);
  try {
    const baselineCpu = median([await kubectlCpu(mesh), await kubectlCpu(mesh), await kubectlCpu(mesh)]);
    const samples = await serveRuns(mesh, runs);
    return { pods, targets, baselineCpu, samples };
  } finally {
    await mesh.stop();
  }
}

const small = await measure(Math.round(PODS / 10), Math.round(TARGETS / 10), 5);
const large = await measure(PODS, TARGETS, RUNS);
const steady = large.samples.slice(1); // run 1 pays for the lazy imports and first connections
const heapAt = (n) => large.samples[Math.min(n, large.samples.length) - 1].heap;
const rows = [
  ['runs', RUNS],
  ['run time, median (ms)', median(steady.map((s) => s.ms))],
  ['CPU per run, median (s)', median(steady.map((s) => s.cpu)).toFixed(2)],
  ['baseline: kubectl get pods -A -o json, CPU (s)', large.baselineCpu.toFixed(2)],
  ['RSS, max over all runs (MiB)', max(large.samples.map((s) => s.rss))],
  ['heap after run 10 (MiB)', heapAt(10)],
  [`heap after run ${RUNS} (MiB)`, heapAt(RUNS)],
  [`API requests per run, median (${large.pods} pods)`, median(steady.map((s) => s.requests))],
  [`baseline: API requests per run, median (${small.pods} pods)`, median(small.samples.slice(1).map((s) => s.requests))],
  ['error findings in the last run', large.samples.at(-1).errors],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`asm-prom serve on scale-${PODS}-${TARGETS} (${new Date().toISOString()})`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);

const failures = [];
if (max(large.samples.map((s) => s.rss)) > RSS_LIMIT_MIB) failures.push(`RSS above ${RSS_LIMIT_MIB} MiB`);
if (heapAt(RUNS) > heapAt(10) * 1.1 + 5) failures.push('heap grows across runs');
const requestsLarge = median(steady.map((s) => s.requests));
const requestsSmall = median(small.samples.slice(1).map((s) => s.requests));
if (requestsLarge > requestsSmall * 1.2 + 5) failures.push('API requests grow with the number of pods');
if (large.samples.at(-1).errors > 0) failures.push('the healthy mesh has error findings');
if (failures.length) {
  console.log(`FAIL: ${failures.join('; ')}`);
  process.exitCode = 1;
} else {
  console.log('OK');
}
