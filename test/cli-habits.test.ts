/** kubectl's habits, as users bring them to asm-prom: the plugin name, -A, -nNAMESPACE, and flags named as typed. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitShortValues } from '../src/cli/flag-kinds.js';
import { BIN, runCli, type CliResult } from './helpers/cli.js';
import { SEED } from './helpers/fixtures.js';

const BIN_DIR = dirname(BIN);
const PLUGIN = `${BIN_DIR}/kubectl-asm_prom`;
const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function kubectl(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env: { ...process.env, PATH: `${BIN_DIR}:${process.env.PATH}`, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const notFound = async (args: string[]) => {
  const { stdout } = await runCli(['doctor', '-f', SEED, '-o', 'json', ...args]);
  return (JSON.parse(stdout) as { findings: { code: string; message: string }[] }).findings.filter((f) => f.code === 'PROMETHEUS_NOT_FOUND').map((f) => f.message);
};

describe('the kubectl plugin', () => {
  it('is bin/kubectl-asm_prom, executable, with no .js, and package.json installs it under that name', () => {
    expect(statSync(PLUGIN).mode & 0o111).toBe(0o111);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['kubectl-asm_prom']).toBe('bin/kubectl-asm_prom');
  });

  it.skipIf(!hasKubectl).each([[['asm-prom', '--help']], [['asm-prom', 'doctor', '--help']]])('the real kubectl runs `kubectl %j` from bin/ on the PATH', async (args) => {
    const { code, stdout, stderr } = await kubectl(args);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(args.includes('doctor') ? 'kubectl asm-prom doctor' : 'kubectl asm-prom <command>');
  });
});

describe('-A/--all-namespaces', () => {
  it('looks in every namespace, and wins over -n as in kubectl (which ignores -n then)', async () => {
    expect(await notFound(['-n', 'nothere'])).toHaveLength(1);
    for (const all of [['-A'], ['--all-namespaces'], ['-A', '-n', 'nothere'], ['-n', 'nothere', '--all-namespaces']]) expect(await notFound(all), all.join(' ')).toEqual([]);
  });
});

describe('short flags with their value attached, as kubectl takes them', () => {
  it('reads -nmonitoring as -n monitoring (and -n=x, --namespace=x alike)', async () => {
    const want = await notFound(['-n', 'monitoring']);
    expect(want).toEqual([expect.stringContaining('namespace monitoring')]);
    for (const form of [['-nmonitoring'], ['-n=monitoring'], ['--namespace=monitoring']]) expect(await notFound(form), form.join(' ')).toEqual(want);
  });

  it('reads -ojson as -o json', async () => {
    const { code, stdout } = await runCli(['doctor', '-f', SEED, '-ojson', '--fail-on', 'never']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ schemaVersion: 1 });
  });

  it.each([
    [['-nmonitoring'], ['-n', 'monitoring']],
    [['-f-'], ['-f', '-']],
    [['-SCERT_*=Pod/*'], ['-S', 'CERT_*=Pod/*']],
    [['-v'], ['-v']], // boolean: a group, left to yargs
    [['-vA'], ['-vA']],
    [['-n=x'], ['-n=x']], // yargs reads it
    [['-S', '-nx'], ['-S', '-nx']], // the value of -S
    [['--', '-nx'], ['--', '-nx']],
    [['--namespace', 'x'], ['--namespace', 'x']],
    [['--timeout', '-1s'], ['--timeout=-1s']], // a negative value, not flags -1 and -s
    [['--concurrency', '-3'], ['--concurrency=-3']],
    [['--offline', '-1'], ['--offline', '-1']], // a boolean takes no value
  ])('splits %j into %j', (args, want) => {
    expect(splitShortValues(args)).toEqual(want);
  });
});

describe('a negative duration', () => {
  it('--timeout -1s (with a space): exit 2, one line naming it', async () => {
    const { code, stdout, stderr } = await runCli(['doctor', '-f', SEED, '--timeout', '-1s']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--timeout -1s: expected a duration/);
  });
});

describe('a mistyped --concurrency', () => {
  it.each([['abc'], ['0'], ['2.5'], ['-3'], ['1e3']])('--concurrency %s: exit 2, one line naming what was typed', async (typed) => {
    const { code, stdout, stderr } = await runCli(['doctor', '-f', SEED, `--concurrency=${typed}`]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`asm-prom: --concurrency ${typed}: expected a whole number ≥ 1\n`);
  });

  it('takes a whole number', async () => {
    expect((await runCli(['doctor', '-f', SEED, '--concurrency', '3', '-o', 'json', '--fail-on', 'never'])).code).toBe(0);
  });
});

describe('demo --help', () => {
  it('lists only the flags demo takes: none of those it refuses', async () => {
    const { code, stdout } = await runCli(['demo', '--help']);
    expect(code).toBe(0);
    for (const refused of ['--filename', '--offline', '--kubeconfig', '--context']) expect(stdout).not.toContain(refused);
    for (const taken of ['--list', '--keep', '--output', '--fail-on', '--all-namespaces']) expect(stdout).toContain(taken);
  });

  it.each([[['-f', '.']], [['--offline']], [['--kubeconfig', BIN]], [['--context', 'x']]])('still refuses %j in one line', async (flags) => {
    const { code, stdout, stderr } = await runCli(['demo', 'healthy', ...flags]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/simulated cluster: .* does not apply/)]);
  });
});
