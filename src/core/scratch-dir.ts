/**
 * Private temporary folders (mode 0700, as mkdtemp makes them) that do not outlive the process.
 * Each one is registered while it exists and removed synchronously when the process exits, however
 * it exits: `process.exit()` from a signal handler or a deadline while the work is in flight, an
 * uncaught error, or the end of the event loop. A removal by the owner (its `finally`, its `stop`)
 * unregisters it. While a folder is registered, SIGINT, SIGTERM and SIGHUP that nothing else
 * handles remove it too, then end the process by the same signal (Node's default would end it
 * without an 'exit' event); a command with its own handler (demo, serve) keeps its own behaviour.
 *
 *   const scratch = makeScratchDir('asm-prom-verify-');
 *   try { ...scratch.path... } finally { await scratch.remove(); }
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScratchDir {
  readonly path: string;
  /** removes the folder and everything in it, and unregisters it */
  remove(): Promise<void>;
  removeSync(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const live = new Set<string>();

function removeAll(): void {
  for (const path of live) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // the process is ending: a folder that cannot be removed must not turn the exit into a crash
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another handler decides what this signal means (and exits through 'exit' if it wants to). This
  // listener runs first (prepended), so a `once` handler is still counted: it removes itself when called.
  if (process.listenerCount(signal) > 1) return;
  removeAll();
  detach();
  process.kill(process.pid, signal);
}

function attach(): void {
  process.on('exit', removeAll);
  for (const signal of SIGNALS) process.prependListener(signal, onSignal);
}

function detach(): void {
  process.off('exit', removeAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function register(path: string): ScratchDir {
  if (live.size === 0) attach();
  live.add(path);
  const unregister = () => {
    if (live.delete(path) && live.size === 0) detach();
  };
  return {
    path,
    remove: async () => {
      await rm(path, { recursive: true, force: true });
      unregister();
    },
    removeSync: () => {
      rmSync(path, { recursive: true, force: true });
      unregister();
    },
  };
}

/**
 * A new folder `<os.tmpdir()>/<prefix>XXXXXX`, removed at the latest when the process exits.
 * Synchronous on purpose: made and registered in one step, with no moment in between when the
 * process could exit and leave it behind (an asynchronous mkdtemp's folder exists before its
 * callback runs).
 */
export function makeScratchDir(prefix: string): ScratchDir {
  return register(mkdtempSync(join(tmpdir(), prefix)));
}

/** The folders registered now (for tests). */
export function liveScratchDirs(): string[] {
  return [...live];
}
