// Start-up and offline cost of the CLI, beside baselines measured in the same run: `node -e 0`
// (Node itself) and a bare import of @kubernetes/client-node (what a run would pay if the cluster
// client were loaded eagerly). Targets: `--help` and an offline `doctor -f` stay far below the
// client-node import, because the cluster source loads it lazily; the offline doctor on a large
// manifest set (2,000 ServiceMonitors and Services) stays within a memory budget.
//
//   npm run build && node bench/startup.mjs [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.argv[2] ?? 10);
const BIN = fileURLToPath(new URL('../bin/asm-prom.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/correct/', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'asm-prom-bench-startup-'));
const large = join(dir, 'large.yaml');
writeFileSync(large, Array.from({ length: 2_000 }, (_, i) => `
apiVersion: v1
kind: Service
metadata: { name: app-${i}, namespace: apps, labels: { app: app-${i} } }
spec: { selector: { app: app-${i} }, ports: [{ name: http-metrics, port: 9080 }] }
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: app-${i}, namespace: apps, labels: { team: apps } }
spec:
  selector: { matchLabels: { app: app-${i} } }
  endpoints:
  - port: http-metrics
    scheme: https
    tlsConfig: { caFile: /etc/prom-certs/root-cert.pem, certFile: /etc/prom-certs/cert-chain.pem, keyFile: /etc/prom-certs/key.pem, insecureSkipVerify: true }
`).join('---\n'));

/** Median wall time (ms) and the largest max RSS (MiB) of `node args`, over RUNS runs. */
function measure(args) {
  const times = [];
  let rss = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ['--expose-gc', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (run.status !== 0 && run.status !== 1) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    const reported = /maxRSS=(\d+)/.exec(run.stderr ?? '');
    if (reported) rss = Math.max(rss, Number(reported[1]) / 1024);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], rssMiB: rss };
}

// max RSS of the child, printed on exit by a preload (no external tools needed)
const rssHook = join(dir, 'rss.cjs');
writeFileSync(rssHook, "process.on('exit', () => process.stderr.write(`maxRSS=${process.resourceUsage().maxRSS}\\n`));");
const withRss = (args) => ['--require', rssHook, ...args];

const rows = [
  ['baseline: node -e 0', measure(withRss(['-e', '0']))],
  ['baseline: import @kubernetes/client-node', measure(withRss(['--input-type=module', '-e', "await import('@kubernetes/client-node')"]))],
  ['asm-prom --help', measure(withRss([BIN, '--help']))],
  ['asm-prom doctor -f examples/correct', measure(withRss([BIN, 'doctor', '-f', EXAMPLE]))],
  ['asm-prom doctor -f (2,000 monitors + services)', measure(withRss([BIN, 'doctor', '-f', large, '-o', 'json']))],
];
rmSync(dir, { recursive: true, force: true });

console.log(`${'command'.padEnd(50)} ${'median ms'.padStart(10)} ${'max RSS MiB'.padStart(12)}   (${RUNS} runs)`);
for (const [name, r] of rows) console.log(`${name.padEnd(50)} ${r.ms.toFixed(0).padStart(10)} ${r.rssMiB.toFixed(0).padStart(12)}`);

const [, clientNode, help, offline, big] = rows.map(([, r]) => r);
const verdicts = [
  ['--help costs less than importing the cluster client', help.ms < clientNode.ms],
  ['an offline doctor costs less than importing the cluster client', offline.ms < clientNode.ms],
  ['2,000 monitors are diagnosed within 512 MiB', big.rssMiB < 512],
];
for (const [what, ok] of verdicts) console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
process.exitCode = verdicts.every(([, ok]) => ok) ? 0 : 1;
