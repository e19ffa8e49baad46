/**
 * Scratch folders do not outlive the process that made them: a real Node process makes one and then
 * exits with the work in flight (process.exit, an uncaught error, a signal), and the folder is gone.
 * Each child runs with TMPDIR set to a folder of the test's own (os.tmpdir() honours it), so what is
 * left there is exactly what the child left.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { liveScratchDirs, makeScratchDir } from '../src/core/scratch-dir.js';
import { verifyChain } from '../src/pki/verify.js';
import { Mint } from './certs-mint.js';
import { tempDir } from './helpers/tmp.js';

const root = tempDir('asm-prom-scratch-test-');
const lib = join(root, 'lib');
const SRC = new URL('../src/', import.meta.url).pathname;

beforeAll(async () => {
  // The modules as the CLI's bundle has them, importable by a plain `node` child.
  await build({
    entryPoints: { 'scratch-dir': join(SRC, 'core/scratch-dir.ts'), verify: join(SRC, 'pki/verify.ts') },
    outdir: lib, outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    packages: 'external', logLevel: 'warning',
  });
});

let runs = 0;
/** Runs `body` (an ES module, with makeScratchDir imported) in a child with its own TMPDIR. */
function child(body: string, { signalWhen }: { signalWhen?: RegExp } = {}) {
  const id = ++runs;
  const tmp = join(root, `tmp-${id}`);
  mkdirSync(tmp);
  const script = join(root, `child-${id}.mjs`);
  writeFileSync(script, `import { makeScratchDir } from ${JSON.stringify(join(lib, 'scratch-dir.mjs'))};\n${body}\n`);
  const proc = spawn(process.execPath, [script], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (signalWhen?.test(stdout)) {
      signalWhen = undefined;
      proc.kill('SIGTERM');
    }
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; left: string[] }>((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, left: readdirSync(tmp) });
    });
  });
}

/** makes the folder, puts a file in it, and reports its path */
const MAKE = `const scratch = makeScratchDir('asm-prom-work-');
import { writeFileSync } from 'node:fs';
writeFileSync(scratch.path + '/leaf.pem', 'not really a certificate');
console.log('made ' + scratch.path);`;

describe('a scratch folder is removed however the process exits', () => {
  it('process.exit() with the work in flight', async () => {
    const run = await child(`${MAKE}\nsetInterval(() => {}, 1000);\nsetImmediate(() => process.exit(3));`);
    expect(run.stdout).toMatch(/^made .*asm-prom-work-/);
    expect({ code: run.code, left: run.left }).toEqual({ code: 3, left: [] });
  });

  it('an uncaught error', async () => {
    const run = await child(`${MAKE}\nsetImmediate(() => { throw new Error('boom'); });`);
    expect(run.stderr).toContain('boom');
    expect({ code: run.code, left: run.left }).toEqual({ code: 1, left: [] });
  });

  it('the end of the event loop without a removal', async () => {
    const run = await child(MAKE);
    expect({ code: run.code, left: run.left }).toEqual({ code: 0, left: [] });
  });

  it('SIGTERM that nothing else handles: removed, and the process still ends by the signal', async () => {
    const run = await child(`${MAKE}\nsetInterval(() => {}, 1000);`, { signalWhen: /made/ });
    expect({ code: run.code, signal: run.signal, left: run.left }).toEqual({ code: null, signal: 'SIGTERM', left: [] });
  });

  it.each([
    ['on, after the folder', `${MAKE}\nprocess.on('SIGTERM', () => { console.log('own handler'); process.exit(7); });`],
    // as serve does: a once handler, there before the folder, that winds down before it exits
    ['once, before the folder', `process.once('SIGTERM', () => { console.log('own handler'); setTimeout(() => process.exit(7), 50); });\n${MAKE}`],
  ])("SIGTERM with the program's own handler (%s): that handler decides, and the folder is removed", async (_how, body) => {
    const run = await child(`${body}\nsetInterval(() => {}, 1000);`, { signalWhen: /made/ });
    expect(run.stdout).toContain('own handler');
    expect({ code: run.code, signal: run.signal, left: run.left }).toEqual({ code: 7, signal: null, left: [] });
  });

  it('a removal by the owner unregisters the folder and the exit and signal listeners', async () => {
    const run = await child(`const count = () => [process.listenerCount('exit'), process.listenerCount('SIGTERM')];
const before = count();
const a = makeScratchDir('asm-prom-a-');
const b = makeScratchDir('asm-prom-b-');
const during = count();
a.removeSync();
const one = count();
await b.remove();
console.log(JSON.stringify({ before, during, one, after: count() }));`);
    const counts = JSON.parse(run.stdout) as Record<string, [number, number]>;
    const [exit, term] = counts.before!;
    expect(counts).toEqual({ before: [exit, term], during: [exit + 1, term + 1], one: [exit + 1, term + 1], after: [exit, term] });
    expect({ code: run.code, left: run.left }).toEqual({ code: 0, left: [] });
  });

  it('openssl verify interrupted by process.exit leaves none of its certificates behind', async () => {
    const mint = new Mint();
    const ca = mint.root('scratch-root', 'p256');
    const leaf = mint.workload('scratch-leaf', ca, { keyType: 'p256' });
    const run = await child(`import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { verifyChain } from ${JSON.stringify(join(lib, 'verify.mjs'))};
const cert = (pem) => new X509Certificate(pem);
void verifyChain({ leaf: cert(${JSON.stringify(leaf.pem)}), intermediates: [], roots: [cert(${JSON.stringify(ca.pem)})], time: 'ignore', purpose: 'sslclient', verifier: 'openssl' });
const look = () => {
  const dir = readdirSync(tmpdir()).find((name) => name.startsWith('asm-prom-verify-'));
  if (!dir) return setImmediate(look);
  console.log('saw ' + dir);
  process.exit(0);
};
look();`);
    expect(run.stdout).toMatch(/^saw asm-prom-verify-/);
    expect({ code: run.code, left: run.left }).toEqual({ code: 0, left: [] });
  });
});

describe('in process', () => {
  it('makes the folder private (0700) under os.tmpdir(), and unregisters it on removal', async () => {
    const tmp = join(root, 'in-process');
    mkdirSync(tmp);
    vi.stubEnv('TMPDIR', tmp);
    try {
      const a = makeScratchDir('asm-prom-a-');
      const b = makeScratchDir('asm-prom-b-');
      expect([a.path, b.path].map((p) => [p.startsWith(join(tmp, 'asm-prom-')), statSync(p).mode & 0o777])).toEqual([[true, 0o700], [true, 0o700]]);
      expect(liveScratchDirs()).toEqual(expect.arrayContaining([a.path, b.path]));
      a.removeSync();
      await b.remove();
      expect(liveScratchDirs()).not.toContain(a.path);
      expect(liveScratchDirs()).not.toContain(b.path);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('verifyChain with openssl leaves nothing in TMPDIR and nothing registered', async () => {
    const mint = new Mint();
    const ca = mint.root('in-process-root', 'p256');
    const leaf = mint.workload('in-process-leaf', ca, { keyType: 'p256' });
    const tmp = join(root, 'verify');
    mkdirSync(tmp);
    vi.stubEnv('TMPDIR', tmp);
    try {
      expect(await verifyChain({ leaf: leaf.x509, intermediates: [], roots: [ca.x509], time: 'ignore', purpose: 'sslclient', verifier: 'openssl' })).toEqual({ ok: true });
      expect(readdirSync(tmp)).toEqual([]);
      expect(liveScratchDirs().filter((p) => p.startsWith(tmp))).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
