/** Starts `asm-prom serve` (the built CLI) on a free loopback port, for the serve tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';

export interface Served { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }

/** Starts serve and resolves once it says where it listens. */
export function startServe(args: readonly string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

