/**
 * The demo gives the prompt back: the process exits as soon as its report is out (no stray timer or
 * handle), and Ctrl-C at any moment leaves no temporary folder or kubeconfig behind. The built
 * binary, run as users run it, with a temporary folder of the test's own as TMPDIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { progressText, trackProgress } from '../src/cli/progress.js';
import { BIN } from './helpers/cli.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function demo(args: string[]) {
  const tmp = mkdtempSync(join(tmpdir(), 'demo-exit-'));
  dirs.push(tmp);
  const child = spawn(process.execPath, [BIN, 'demo', ...args], {
    env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  /** resolves once `test` holds for what was written so far */
  const until = (test: () => boolean) => new Promise<void>((resolve, reject) => {
    const look = () => {
      if (test()) return resolve();
      if (child.exitCode !== null) return reject(new Error(`the demo exited (${child.exitCode}) first: ${stderr}`));
      setTimeout(look, 20);
    };
    look();
  });
  return { child, tmp, exited, until, out: () => stdout, err: () => stderr, left: () => readdirSync(tmp) };
}

const isWholeJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('asm-prom demo gives the prompt back', () => {
  it('exits within 1.5 s of its complete report, with the report\'s exit code and nothing left in TMPDIR', async () => {
    const run = demo(['-o', 'json']);
    await run.until(() => isWholeJson(run.out()));
    const verdict = await Promise.race([
      run.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 1_500)),
    ]);
    expect(verdict).toEqual({ code: (JSON.parse(run.out()) as { exitCode: number }).exitCode, signal: null });
    expect(run.left()).toEqual([]);
  }, 120_000);

  it.each(['SIGINT', 'SIGTERM'] as const)('%s while the mesh starts or the doctor runs: exit 130, the mesh\'s folder and kubeconfig removed', async (signal) => {
    const run = demo(['healthy']);
    // The mesh's folder (with its kubeconfig) appears as its servers start, before the doctor runs.
    await run.until(() => run.left().some((name) => name.startsWith('asm-prom-sim-')));
    const folder = join(run.tmp, run.left().find((name) => name.startsWith('asm-prom-sim-'))!);
    run.child.kill(signal);
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(run.out()).toBe('');
    expect(existsSync(folder)).toBe(false);
    expect(run.left()).toEqual([]);
  }, 120_000);

  it('Ctrl-C after --keep printed its kubeconfig: the doctor\'s exit code, and the kubeconfig removed', async () => {
    const run = demo(['healthy', '--keep']);
    await run.until(() => /press Ctrl-C/.test(run.err()));
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(run.err())![1]!;
    expect(kubeconfig.startsWith(run.tmp)).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.left()).toEqual([]);
  }, 120_000);
});

describe('the spinner counts as checks and targets finish', () => {
  it('shows the phase first, then checks done out of started, then targets probed', () => {
    const shown: string[] = [];
    const progress = trackProgress('starting the simulated mesh "healthy"', (t) => shown.push(t));
    progress.phase('diagnosing');
    progress.checkStarted({ title: 'a' });
    progress.checkStarted({ title: 'b' });
    progress.checkFinished();
    progress.targetProbed(1, 3);
    progress.checkFinished();
    expect(shown).toEqual([
      'diagnosing',
      '0/1 checks done · a',
      '0/2 checks done · b',
      '1/2 checks done · b',
      '1/2 checks done · 1/3 targets probed · b',
      '2/2 checks done · 1/3 targets probed',
    ]);
  });

  it('before any check, the phase alone', () => {
    expect(progressText({ phase: 'starting', current: '', started: 0, done: 0 })).toBe('starting');
  });
});
