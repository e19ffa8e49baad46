/**
 * Offline acceptance: the CLI as a user who writes manifests and certificate folders by hand meets
 * it (CONTRACT.md), for cases the per-check fixtures do not cover: flags given twice, paths of the
 * wrong kind, realistic set-ups.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mint } from './certs-mint.js';
import { runCli } from './helpers/cli.js';
import { SEED } from './helpers/fixtures.js';
import { tempDir } from './helpers/tmp.js';

const SAMPLE_CERTS = new URL('./checks/certs.key-match/pass-samples-foo/certs/', import.meta.url).pathname;
const tmp = () => tempDir('asm-prom-acceptance-');

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

  it.each([[['checks']], [['explain', 'EOF']]])('for %j too, in either order', async (command) => {
    const [jsonOnly, humanOnly, humanThenJson, jsonThenHuman] = await Promise.all(
      [['-o', 'json'], ['-o', 'human'], ['-o', 'human', '-o', 'json'], ['-o', 'json', '-o', 'human']].map((o) => runCli([...command, ...o])),
    );
    expect(jsonOnly!.stdout).not.toBe(humanOnly!.stdout);
    expect(humanThenJson).toEqual(jsonOnly);
    expect(jsonThenHuman).toEqual(humanOnly);
  });
});

describe('path flags of the wrong kind, and an --only that selects nothing, are usage errors, with a whole message on one line', () => {
  const file = join(tmp(), 'root-cert.pem');
  writeFileSync(file, 'x');
  it.each([
    [['doctor', '--offline', '--certs-dir', file], /--certs-dir .*: not a directory/],
    [['doctor', '--offline', '--certs-dir', SAMPLE_CERTS, '--mesh-root', SAMPLE_CERTS], /--mesh-root .*: is a directory/],
    [['doctor', '--kubeconfig', tmpdir()], /--kubeconfig .*: is a directory/],
    [['doctor', '-f', ''], /-f: expected a path/],
    [['doctor', '--offline', '--certs-dir', SAMPLE_CERTS, '--probe', 'sometimes'], /Argument: probe, Given: "sometimes", Choices: /],
    [['doctor', '-f', SEED, '--only', 'monitor.*', '-o', 'json'], /--only monitor\.\*: matches no check/],
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

describe('manifests no parser should take: one MANIFEST_PARSE_ERROR each, never exit 3', () => {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)];
  it.each([
    ['an alias bomb', 'bomb.yaml', Buffer.from(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n${laughs.map((l) => `  ${l}\n`).join('')}`), /resource exhaustion/],
    ['binary bytes', 'image.yaml', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xc3, 0x28, 0xff, 0x00]), /not UTF-8 text/],
    ['Latin-1 text', 'latin1.yaml', Buffer.from('apiVersion: v1\nkind: Service\nmetadata:\n  name: caf\xe9\n', 'latin1'), /not UTF-8 text/],
  ])('%s', async (_name, file, bytes, reason) => {
    const dir = tmp();
    writeFileSync(join(dir, file), bytes);
    const { code, stdout, stderr } = await runCli(['doctor', '-f', join(dir, file), '-o', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const findings = JSON.parse(stdout).findings;
    expect(findings.map((f: { code: string }) => f.code)).toEqual(['MANIFEST_PARSE_ERROR']);
    expect(findings[0].message).toMatch(reason);
  });

  it('reads UTF-16 with a BOM, as Windows PowerShell writes it, like kubectl does', async () => {
    const dir = tmp();
    const text = readFileSync(join(SEED, 'service-monitor.yaml'), 'utf8');
    writeFileSync(join(dir, 'service-monitor.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const { stdout } = await runCli(['doctor', '-f', dir, '-o', 'json']);
    expect(JSON.parse(stdout).findings.map((f: { code: string }) => f.code)).toContain('MONITOR_INVALID');
  });
});

describe('reports a CI dashboard reads', () => {
  /** the seed recipe, right but for the warning STARTUP_RACE (no holdApplicationUntilProxyStarts) */
  const warningsOnly = () => {
    const dir = tmp();
    writeFileSync(join(dir, 'prometheus.yaml'), readFileSync(join(SEED, 'prometheus.yaml'), 'utf8').concat(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prometheus-full-access}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prometheus-full-access}
subjects: [{kind: ServiceAccount, name: prometheus-full-access, namespace: default}]
`));
    return dir;
  };

  it('JUnit marks as failures what --fail-on warning fails the run for', async () => {
    const dir = warningsOnly();
    const plain = await runCli(['doctor', '-f', dir, '-o', 'junit']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/<failure /);
    const strict = await runCli(['doctor', '-f', dir, '-o', 'junit', '--fail-on', 'warning']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/<testsuites [^>]*failures="1"/);
    expect(strict.stdout).toMatch(/<failure message="STARTUP_RACE: [^"]+" type="STARTUP_RACE">/);
  });
});

describe('-n and --prometheus narrow the Prometheus judged offline, as against a cluster', () => {
  const codes = async (...extra: string[]) => {
    const { code, stdout } = await runCli(['doctor', '-f', SEED, '-o', 'json', ...extra]);
    return { code, codes: JSON.parse(stdout).findings.map((f: { code: string }) => f.code) as string[] };
  };

  it('judges the Prometheus named', async () => {
    expect((await codes('--prometheus', 'default', '-n', 'default')).codes).toContain('STARTUP_RACE');
  });

  it.each([[['--prometheus', 'k8s']], [['-n', 'monitoring']]])('names PROMETHEUS_NOT_FOUND for %j, which the manifests do not hold', async (extra) => {
    const result = await codes(...extra);
    expect(result.code).toBe(1);
    expect(result.codes).toContain('PROMETHEUS_NOT_FOUND');
    expect(result.codes).not.toContain('STARTUP_RACE');
  });
});
