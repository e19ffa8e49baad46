/**
 * Offline acceptance: the CLI as a user who writes manifests and certificate folders by hand meets
 * it (CONTRACT.md), for cases the per-check fixtures do not cover: flags given twice, paths of the
 * wrong kind, realistic set-ups.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mint } from './certs-mint.js';
import { runCli } from './helpers/cli.js';

const SEED = new URL('../../shared/examples/seed/', import.meta.url).pathname;
const SAMPLE_CERTS = new URL('./checks/certs.key-match/pass-samples-foo/certs/', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'asm-prom-acceptance-'));

describe('a single-valued flag given twice: the last one wins, as with kubectl', () => {
  it.each([
    [['-o', 'human', '-o', 'json']],
    [['--timeout', '1s', '--timeout', '2s']],
    [['--now', '2026-01-01T00:00:00Z', '--now', '2026-06-01T00:00:00Z']],
    [['--concurrency', '2', '--concurrency', '3']],
    [['--fail-on', 'never', '--fail-on', 'error']],
  ])('%j', async (extra) => {
    const { code, stdout, stderr } = await runCli(['doctor', '-f', SEED, '-o', 'human', ...extra, '-o', 'json']);
    expect(stderr).not.toMatch(/internal error/);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).exitCode).toBe(1);
  });

  it('for checks and explain too', async () => {
    expect(JSON.parse((await runCli(['checks', '-o', 'human', '-o', 'json'])).stdout).checks).toBeInstanceOf(Array);
    expect(JSON.parse((await runCli(['explain', 'EOF', '-o', 'human', '-o', 'json'])).stdout)).toMatchObject({ input: 'EOF' });
  });
});

describe('path flags of the wrong kind are usage errors, with a whole message on one line', () => {
  const file = join(tmp(), 'root-cert.pem');
  writeFileSync(file, 'x');
  it.each([
    [['doctor', '--offline', '--certs-dir', file], /--certs-dir .*: not a directory/],
    [['doctor', '--offline', '--certs-dir', SAMPLE_CERTS, '--mesh-root', SAMPLE_CERTS], /--mesh-root .*: is a directory/],
    [['doctor', '--kubeconfig', tmpdir()], /--kubeconfig .*: is a directory/],
    [['doctor', '-f', ''], /-f: expected a path/],
    [['doctor', '--offline', '--certs-dir', SAMPLE_CERTS, '--probe', 'sometimes'], /Argument: probe, Given: "sometimes", Choices: /],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });
});

describe('certificates named as a user reads them', () => {
  it("names Istio's self-signed root, whose subject is only O=cluster.local, by that subject", async () => {
    const mint = new Mint();
    const root = mint.root('istio-root', 'p256', { subject: '/O=cluster.local' });
    const leaf = mint.workload('prometheus', root, { keyType: 'p256' });
    const { dir } = mint.certsDir('istio-shaped', { root: [root], chain: [leaf, root], key: leaf.keyPem });
    const before = new Date(root.x509.validFrom).getTime() - 3_600_000;
    const { code, stdout } = await runCli(['doctor', '--offline', '--certs-dir', dir, '--now', new Date(before).toISOString(), '-o', 'json']);
    expect(code).toBe(1);
    const messages = JSON.parse(stdout).findings.filter((f: { code: string }) => f.code === 'CERT_NOT_YET_VALID').map((f: { message: string }) => f.message);
    expect(messages).toContainEqual(expect.stringMatching(/^the root "O=cluster\.local" is not valid before /));
  });
});
