/**
 * Offline acceptance: the CLI as a user who writes manifests and certificate folders by hand meets
 * it (CONTRACT.md), for cases the per-check fixtures do not cover: flags given twice, paths of the
 * wrong kind, realistic set-ups.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
