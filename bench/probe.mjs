// The live probe at scale: 200 mTLS targets on loopback (one Node https server each, client
// certificate required), probed by `runDoctor` (the built library) with --target × 200 at the default
// --concurrency, beside a baseline measured in the same run: the same 200 handshakes and GETs made
// with bare `https.get` at the same concurrency. The doctor must get TARGET_OK for every one, within
// the --timeout budget, and cost no more than a small multiple of the baseline.
//
//   npm run build && node bench/probe.mjs [targets] [concurrency]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor } from '../dist/index.js';

const TARGETS = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 32);
const TIMEOUT_MS = 5_000;
/** The doctor does more per target than the baseline (ALPN, chain and SPIFFE checks, sample counting, findings). */
const MAX_RATIO = 4;

// Istio's own sample workload certificates: foo serves, bar is "Prometheus"; both under root-cert.pem.
const SAMPLES = new URL('../test/fixtures/upstream/istio/samples/certs/', import.meta.url).pathname;
const read = (name) => readFileSync(join(SAMPLES, name), 'utf8');
const root = read('root-cert.pem');
const server = { cert: read('workload-foo-cert.pem'), key: read('workload-foo-key.pem') };
const client = { cert: read('workload-bar-cert.pem'), key: read('workload-bar-key.pem') };
const METRICS = 'up 1\nhttp_requests_total{code="200"} 42\n';

const dir = mkdtempSync(join(tmpdir(), 'asm-prom-bench-probe-'));
writeFileSync(join(dir, 'root-cert.pem'), root);
writeFileSync(join(dir, 'cert-chain.pem'), client.cert);
writeFileSync(join(dir, 'key.pem'), client.key, { mode: 0o600 });

const servers = [];
for (let i = 0; i < TARGETS; i++) {
  const s = https.createServer({ ...server, ca: root, requestCert: true, rejectUnauthorized: true }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(METRICS);
  });
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  servers.push(s);
}
const ports = servers.map((s) => s.address().port);

/** At most `limit` calls in flight. */
async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function baseline() {
  const started = performance.now();
  let ok = 0;
  await pool(ports, CONCURRENCY, (port) => new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/metrics', ...client, ca: root, agent: false, checkServerIdentity: () => undefined, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) ok++;
        resolve();
      });
    });
    req.on('error', reject);
  }));
  return { ms: performance.now() - started, ok };
}

async function doctor() {
  const started = performance.now();
  const summary = await runDoctor({
    offline: true, certsDir: dir, meshRoot: join(dir, 'root-cert.pem'), probe: 'local', only: ['targets.*'],
    targets: ports.map((p) => `127.0.0.1:${p}`), timeoutMs: TIMEOUT_MS, concurrency: CONCURRENCY,
  });
  const findings = summary.findings.filter((f) => f.check === 'targets.probe');
  return { ms: performance.now() - started, ok: findings.filter((f) => f.code === 'TARGET_OK').length, other: findings.filter((f) => f.code !== 'TARGET_OK') };
}

try {
  await baseline(); // warm-up: TLS and module initialisation
  const base = await baseline();
  const run = await doctor();
  const ratio = run.ms / base.ms;
  console.log(`targets ${TARGETS}, concurrency ${CONCURRENCY}`);
  console.log(`baseline https.get: ${base.ms.toFixed(0)} ms (${base.ok} ok)`);
  console.log(`asm-prom probe:     ${run.ms.toFixed(0)} ms (${run.ok} TARGET_OK) = ${ratio.toFixed(2)} × baseline`);
  const failures = [];
  if (run.ok !== TARGETS) failures.push(`${TARGETS - run.ok} targets not OK: ${run.other.slice(0, 3).map((f) => `${f.code} ${f.message}`).join('; ')}`);
  if (ratio > MAX_RATIO) failures.push(`slower than ${MAX_RATIO} × the baseline`);
  if (run.ms > 3 * TIMEOUT_MS) failures.push(`took longer than the three steps' timeouts of one target (${3 * TIMEOUT_MS} ms)`);
  if (failures.length) {
    console.error(`FAIL: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log('PASS');
  }
} finally {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
}
