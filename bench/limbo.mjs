// Chain-verification correctness on the x509-limbo 2023 suite: the project's verdict (verifyChain,
// from the built library, with the `openssl` command and with Node's embedded OpenSSL, as when the
// command is absent) beside a plain `openssl verify` baseline, all judged against limbo's expected
// results. Run with `npm run bench:limbo` (it builds first). Results: docs/limbo.md.
//
//   node bench/limbo.mjs [path/to/limbo.json] [--verbose]
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifyChain } from '../dist/index.js';

const DEFAULT_SUITE = new URL('../test/fixtures/upstream/x509-limbo/at-1ff9a430/limbo.json', import.meta.url).pathname;
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const suitePath = args.find((a) => !a.startsWith('--')) ?? DEFAULT_SUITE;

// What a mesh never asks of a chain verifier. Istio workload certificates carry a SPIFFE URI SAN
// that nobody matches against a host name (Prometheus runs with insecureSkipVerify; Envoy matches
// SPIFFE IDs), and mesh CAs carry no DNS/IP/DN name constraints.
const SKIPS = [
  { why: 'host-name matching of the peer (DNS/IP SAN against the expected name)', test: (c) => c.id.startsWith('webpki::san::') },
  { why: 'name constraints (DNS, IP, DN subtrees)', test: (c) => /::nc::/.test(c.id) },
];

const execFileAsync = promisify(execFile);

/** The baseline: `openssl verify` as its manual suggests for a TLS server chain at a given time. */
async function opensslVerify(testcase, at) {
  const dir = await mkdtemp(join(tmpdir(), 'limbo-'));
  try {
    await writeFile(join(dir, 'roots.pem'), testcase.trusted_certs.join('\n'));
    await writeFile(join(dir, 'untrusted.pem'), testcase.untrusted_intermediates.join('\n'));
    await writeFile(join(dir, 'leaf.pem'), testcase.peer_certificate);
    const argv = ['verify', '-no-CApath', '-no-CAstore', '-purpose', 'sslserver', '-attime', String(Math.floor(at.getTime() / 1000)),
      '-CAfile', join(dir, 'roots.pem')];
    if (testcase.untrusted_intermediates.length) argv.push('-untrusted', join(dir, 'untrusted.pem'));
    if (testcase.max_chain_depth != null) argv.push('-verify_depth', String(testcase.max_chain_depth));
    argv.push(join(dir, 'leaf.pem'));
    await execFileAsync('openssl', argv);
    return 'SUCCESS';
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return 'FAILURE';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The project's verdict; a certificate Node cannot even parse is a rejected chain. */
async function projectVerify(testcase, at, verifier) {
  let parsed;
  try {
    const parse = (pem) => new X509Certificate(pem);
    parsed = {
      leaf: parse(testcase.peer_certificate),
      intermediates: testcase.untrusted_intermediates.map(parse),
      roots: testcase.trusted_certs.map(parse),
    };
  } catch {
    return 'FAILURE';
  }
  try {
    const verdict = await verifyChain({ ...parsed, time: at, purpose: 'sslserver', maxDepth: testcase.max_chain_depth ?? undefined, verifier });
    return verdict.ok ? 'SUCCESS' : 'FAILURE';
  } catch (error) {
    if (error.name === 'Unavailable') return 'UNJUDGED';
    throw error;
  }
}

const suite = JSON.parse(await readFile(suitePath, 'utf8'));
const started = new Date();
const skipped = new Map(SKIPS.map((s) => [s.why, 0]));
const tally = { project: 0, node: 0, openssl: 0, run: 0 };
const disagreements = [];

for (const testcase of suite.testcases) {
  const skip = SKIPS.find((s) => s.test(testcase));
  if (skip) {
    skipped.set(skip.why, skipped.get(skip.why) + 1);
    continue;
  }
  const at = testcase.validation_time ? new Date(testcase.validation_time) : started;
  const [project, node, openssl] = await Promise.all([projectVerify(testcase, at, 'openssl'), projectVerify(testcase, at, 'node'), opensslVerify(testcase, at)]);
  tally.run += 1;
  if (project === testcase.expected_result) tally.project += 1;
  if (node === testcase.expected_result) tally.node += 1;
  if (openssl === testcase.expected_result) tally.openssl += 1;
  if (project !== testcase.expected_result || node !== testcase.expected_result || openssl !== testcase.expected_result) {
    disagreements.push({ id: testcase.id, expected: testcase.expected_result, project, node, openssl });
  }
}

const pct = (n) => `${((100 * n) / tally.run).toFixed(1)}%`;
console.log(`x509-limbo ${suitePath.replace(/.*upstream\//, '')}: ${suite.testcases.length} cases`);
for (const [why, n] of skipped) console.log(`  skipped ${n}: ${why}`);
console.log(`  run ${tally.run}`);
console.log(`  asm-prom verifyChain (openssl command) agrees with the expected result: ${tally.project}/${tally.run} (${pct(tally.project)})`);
console.log(`  asm-prom verifyChain (Node, no command) agrees with the expected result: ${tally.node}/${tally.run} (${pct(tally.node)})`);
console.log(`  openssl verify (baseline)   agrees with the expected result: ${tally.openssl}/${tally.run} (${pct(tally.openssl)})`);
if (verbose) {
  console.log('\nwhere any differs from the expected result (expected / asm-prom openssl / asm-prom node / openssl verify):');
  for (const d of disagreements) console.log(`  ${d.id}  ${d.expected} / ${d.project} / ${d.node} / ${d.openssl}`);
}
if (tally.project < tally.openssl || tally.node < tally.openssl) {
  console.error('asm-prom agrees less often than openssl verify');
  process.exitCode = 1;
}
