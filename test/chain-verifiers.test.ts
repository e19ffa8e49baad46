/**
 * The chain verdict is the same with or without the `openssl` command: every x509-limbo case and
 * every chain of Istio's certificate sets, judged by `openssl verify` and by Node's embedded OpenSSL
 * (verify-node.ts), gives the same verdict, the same X509_V_ERR codes at the same depths and the
 * same reasons. Both run here for real: openssl is installed on this machine. Without the command,
 * `auto` judges with Node, and `openssl` explicitly says the command is missing.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Unavailable } from '../src/core/resources.js';
import { parseCertificates, verifyChain, type ChainInput, type ChainVerdict } from '../src/pki/index.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const UPSTREAM = fileURLToPath(new URL('./fixtures/upstream/', import.meta.url));

interface LimboCase {
  id: string;
  validation_kind: string;
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  max_chain_depth: number | null;
  extended_key_usage: string[];
  expected_result: 'SUCCESS' | 'FAILURE';
}

const limbo = (JSON.parse(readFileSync(join(UPSTREAM, 'x509-limbo/at-1ff9a430/limbo.json'), 'utf8')) as { testcases: LimboCase[] }).testcases;
const JUDGED_AT = new Date('2026-01-01T00:00:00Z');

async function both(input: Omit<ChainInput, 'verifier'>): Promise<[ChainVerdict, ChainVerdict | Unavailable]> {
  const openssl = await verifyChain({ ...input, verifier: 'openssl' });
  const node = await verifyChain({ ...input, verifier: 'node' }).catch((error: unknown) => {
    if (error instanceof Unavailable) return error;
    throw error;
  });
  return [openssl, node];
}

function limboInput(c: LimboCase): Omit<ChainInput, 'verifier'> | undefined {
  try {
    return {
      leaf: new X509Certificate(c.peer_certificate),
      intermediates: c.untrusted_intermediates.map((p) => new X509Certificate(p)),
      roots: c.trusted_certs.map((p) => new X509Certificate(p)),
      time: c.validation_time ? new Date(c.validation_time) : JUDGED_AT,
      purpose: c.validation_kind === 'CLIENT' ? 'sslclient' : 'sslserver',
      maxDepth: c.max_chain_depth ?? undefined,
    };
  } catch {
    return undefined; // a certificate Node cannot parse: no verifier is asked
  }
}

describe('openssl verify and Node agree on x509-limbo', () => {
  const cases = limbo.map((c) => [c.id, c] as const);

  it('the suite is there and large', () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases)('%s', async (_id, c) => {
    const input = limboInput(c);
    if (!input) return;
    const [openssl, node] = await both(input);
    if (node instanceof Unavailable) {
      // the one thing Node does not replay, said, never judged wrongly
      expect(node.message).toMatch(/name constraints/);
      expect(c.id).toMatch(/::nc::|name-constraint|nc-/i);
      return;
    }
    expect(node).toEqual(openssl);
  });
});

describe("openssl verify and Node agree on Istio's certificate sets", () => {
  const pemFiles = (dir: string) => readdirSync(join(UPSTREAM, dir)).filter((f) => f.endsWith('.pem') && !f.includes('key')).map((f) => join(UPSTREAM, dir, f));
  const files = [...pemFiles('istio/samples/certs'), ...readdirSync(join(UPSTREAM, 'istio/tests/testdata/certs'), { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) => pemFiles(`istio/tests/testdata/certs/${d.name}`))];
  const certs = new Map<string, X509Certificate[]>(files.map((f) => [f.replace(UPSTREAM, ''), parseCertificates(readFileSync(f, 'utf8'))]));
  // every file's first certificate with the rest of its file as intermediates; against the roots of
  // its own set, Istio's sample root, the sample's other CAs and the DNS test set's fake root
  const seen = new Set<string>();
  const chains = [...certs].filter(([, list]) => !seen.has(list[0]!.fingerprint256) && seen.add(list[0]!.fingerprint256)).map(([name, list]) => ({ name, leaf: list[0]!, intermediates: list.slice(1) }));
  const rootFiles = ['istio/samples/certs/root-cert.pem', 'istio/samples/certs/root-cert-alt.pem', 'istio/samples/certs/root-cert-combined.pem', 'istio/tests/testdata/certs/dns/fake-root-cert.pem'];
  const rootSets = (chainName: string) => [
    ...rootFiles,
    ...[...certs.keys()].filter((f) => f.startsWith(chainName.replace(/[^/]+$/, '')) && f.includes('root') && !rootFiles.includes(f)),
  ].map((name) => ({ name, roots: certs.get(name)! }));

  it('has the sets', () => {
    expect(chains.length).toBeGreaterThan(15);
  });

  it.each(['sslclient', 'sslserver'] as const)('every chain against the mesh roots, as %s, now, in 2040 and ignoring time', async (purpose) => {
    let compared = 0;
    const verdicts = new Set<string>();
    const differ: unknown[] = [];
    for (const chain of chains) {
      for (const { name, roots } of rootSets(chain.name)) {
        for (const time of [JUDGED_AT, new Date('2040-01-01T00:00:00Z'), 'ignore' as const]) {
          const [openssl, node] = await both({ leaf: chain.leaf, intermediates: chain.intermediates, roots, time, purpose });
          if (JSON.stringify(node) !== JSON.stringify(openssl)) differ.push({ chain: chain.name, roots: name, time, openssl, node });
          verdicts.add(openssl.ok ? 'ok' : openssl.errors.map((e) => e.code).join(','));
          compared += 1;
        }
      }
    }
    expect(differ).toEqual([]);
    expect(compared).toBeGreaterThan(100);
    // not a comparison of identical answers: passes and several kinds of failure were met
    expect(verdicts.has('ok')).toBe(true);
    expect(verdicts.size).toBeGreaterThan(3);
  }, 120_000);
});

describe('the verifier is chosen', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const samples = (f: string) => parseCertificates(readFileSync(join(UPSTREAM, 'istio/samples/certs', f), 'utf8'));
  const [leaf, ica] = samples('workload-foo-cert.pem');
  const input = { leaf: leaf!, intermediates: [ica!], roots: samples('root-cert.pem'), time: JUDGED_AT, purpose: 'sslclient' as const };

  it('without the openssl command, auto judges with Node; openssl says it is missing', async () => {
    vi.stubEnv('PATH', '/nonexistent');
    expect(await verifyChain({ ...input, verifier: 'auto' })).toEqual({ ok: true });
    expect(await verifyChain({ ...input, roots: samples('root-cert-alt.pem'), verifier: 'auto' })).toMatchObject({ ok: false, errors: [{ code: 20, depth: 1 }] });
    await expect(verifyChain({ ...input, verifier: 'openssl' })).rejects.toThrow(/openssl command is not on the PATH/);
  });

  it('ASM_PROM_CHAIN_VERIFIER selects it; another value is a usage error', async () => {
    vi.stubEnv('PATH', '/nonexistent');
    vi.stubEnv('ASM_PROM_CHAIN_VERIFIER', 'node');
    expect(await verifyChain(input)).toEqual({ ok: true });
    vi.stubEnv('ASM_PROM_CHAIN_VERIFIER', 'boringssl');
    await expect(verifyChain(input)).rejects.toThrow(/ASM_PROM_CHAIN_VERIFIER must be openssl, node or auto/);
  });
});

describe('the doctor without an openssl command on the PATH', () => {
  it('judges the chain (certs.chain runs, not skipped) and finds what it finds with the command', async () => {
    const set = join(UPSTREAM, 'istio/tests/testdata/certs/default');
    const good = tempDir('asm-prom-noopenssl-');
    const broken = join(good, 'broken');
    mkdirSync(broken);
    for (const f of ['cert-chain.pem', 'key.pem', 'root-cert.pem']) copyFileSync(join(set, f), join(good, f));
    for (const f of ['cert-chain.pem', 'key.pem']) copyFileSync(join(set, f), join(broken, f));
    copyFileSync(join(UPSTREAM, 'istio/samples/certs/root-cert.pem'), join(broken, 'root-cert.pem'));
    const emptyPath = tempDir('asm-prom-empty-path-');
    for (const dir of [good, broken]) {
      const run = (env: NodeJS.ProcessEnv) => runCli(['doctor', '--offline', '--certs-dir', dir, '--now', '2026-01-01T00:00:00Z', '-o', 'json'], { env });
      const [withCommand, without] = await Promise.all([run({}), run({ PATH: emptyPath })]);
      const report = (r: { stdout: string }) => JSON.parse(r.stdout) as { checks: { id: string; status: string }[]; findings: { code: string; evidence: unknown }[] };
      const chainCheck = (r: { stdout: string }) => report(r).checks.find((c) => c.id === 'certs.chain')!.status;
      expect(chainCheck(without)).not.toBe('skip');
      expect(chainCheck(without)).toBe(chainCheck(withCommand));
      expect(report(without).findings.map((f) => [f.code, f.evidence])).toEqual(report(withCommand).findings.map((f) => [f.code, f.evidence]));
      expect(without.code).toBe(withCommand.code);
      expect(report(without).findings.map((f) => f.code)).toEqual(dir === broken ? ['CHAIN_BROKEN'] : []);
    }
    const wrong = await runCli(['doctor', '--offline', '--certs-dir', good], { env: { ASM_PROM_CHAIN_VERIFIER: 'boringssl' } });
    expect([wrong.code, wrong.stdout]).toEqual([2, '']);
    expect(wrong.stderr.trim().split('\n')).toEqual(['asm-prom: ASM_PROM_CHAIN_VERIFIER must be openssl, node or auto (got "boringssl")']);
  }, 120_000);
});
