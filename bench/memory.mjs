// Peak memory of a live doctor run against the simulated mesh with N injected target pods
// (`scale-N`: Deployments of 100 replicas behind a Service each, every pod injected and running),
// beside baselines measured in the same run: `node -e 0` (Node itself) and a bare import of
// @kubernetes/client-node (what any cluster run pays). The simulated mesh runs in this process;
// each doctor runs in a child whose max RSS it reports on exit. Budgets: under 250 MiB at 5,000
// pods, and bounded (under 400 MiB) beyond.
//
// The doctor runs with `--probe off`, so it never dials a target pod: by default the simulated mesh
// starts without a listener per target pod (`targetsListen: false`; its Prometheus reports every
// target up without scraping it). The API server, its objects, lists, pages, exec and the
// Prometheus API are the simulator's own. A listener per pod would take minutes at 50,000 pods and
// more file descriptors than this machine allows; `--listen` starts them anyway (up to ~15,000 pods).
//
//   npm run build && node bench/memory.mjs [--listen] [pods …]        (default: 5000 15000 50000)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const PODS = SIZES.length ? SIZES : [5_000, 15_000, 50_000];
const LISTEN = process.argv.includes('--listen');
const BUDGET_MIB = (pods) => (pods <= 5_000 ? 250 : 400);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/asm-prom.js');

const dir = mkdtempSync(join(tmpdir(), 'asm-prom-bench-memory-'));
// the simulator is not part of the library's bundle: bundle it here, packages external (so the
// bundle lives under node_modules, where its imports resolve)
const simBundle = join(ROOT, 'node_modules/.cache/asm-prom-bench/sim.mjs');
await build({ entryPoints: [join(ROOT, 'src/sim/index.ts')], outfile: simBundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning', absWorkingDir: ROOT });
const sim = await import(simBundle);

// max RSS of the child, printed on exit by a preload (no external tools needed)
const rssHook = join(dir, 'rss.cjs');
writeFileSync(rssHook, "process.on('exit', () => process.stderr.write(`maxRSS=${process.resourceUsage().maxRSS}\\n`));");
const maxRssMiB = (stderr) => Number(/maxRSS=(\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;

function baseline(args) {
  const run = spawnSync(process.execPath, ['--require', rssHook, ...args], { encoding: 'utf8', cwd: ROOT });
  return { rssMiB: maxRssMiB(run.stderr) };
}

/** The doctor in a child (asynchronously: the simulated API server answers from this process). */
function doctor(kubeconfig) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--require', rssHook, BIN, 'doctor', '--kubeconfig', kubeconfig, '--probe', 'off', '--timeout', '60s', '--deadline', '600s', '-o', 'json'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) return reject(new Error(`doctor exited ${code}: ${stderr.slice(-2000)}`));
      const report = JSON.parse(stdout);
      resolve({ rssMiB: maxRssMiB(stderr), seconds: (Date.now() - started) / 1000, exitCode: code, codes: [...new Set(report.findings.map((f) => f.code))].sort() });
    });
  });
}

const rows = [
  ['baseline: node -e 0', baseline(['-e', '0'])],
  ['baseline: import @kubernetes/client-node', baseline(['--input-type=module', '-e', "await import('@kubernetes/client-node')"])],
];
let failed = false;
for (const pods of PODS) {
  mkdirSync(join(dir, `mesh-${pods}`));
  const building = Date.now();
  const mesh = await sim.startSimulatedMesh(`scale-${pods}`, { dir: join(dir, `mesh-${pods}`), targetsListen: LISTEN });
  console.error(`scale-${pods}: simulated mesh built in ${((Date.now() - building) / 1000).toFixed(0)} s${LISTEN ? ' (targets listening)' : ''}`);
  try {
    const result = await doctor(mesh.kubeconfigPath);
    const over = result.rssMiB > BUDGET_MIB(pods);
    failed ||= over;
    rows.push([`doctor, ${pods} injected pods (budget ${BUDGET_MIB(pods)} MiB)${over ? '  OVER BUDGET' : ''}`, result]);
    console.error(`scale-${pods}: max RSS ${result.rssMiB.toFixed(0)} MiB in ${result.seconds.toFixed(1)} s`);
  } finally {
    await mesh.stop();
  }
}

console.log('what                                                   max RSS   time   findings');
for (const [what, r] of rows) {
  console.log(`${what.padEnd(54)} ${r.rssMiB.toFixed(0).padStart(5)} MiB ${r.seconds === undefined ? '      ' : `${r.seconds.toFixed(1).padStart(5)}s`}  ${r.codes ? r.codes.join(' ') || '(none)' : ''}`);
}
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
