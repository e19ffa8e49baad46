/**
 * The real peers the suite runs against (developers' guide: real peers, not mocks): found on PATH or in
 * the sbin folders where distributions put daemons (nginx is /usr/sbin/nginx on Debian, not on a user's
 * PATH). A test that needs an absent peer skips with a visible reason, except under CI=true, where a
 * missing peer fails the run: CI must never pass by skipping what it was meant to test.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type PeerName = 'prometheus' | 'promtool' | 'nginx' | 'kubectl' | 'openssl';
export const PEERS: readonly PeerName[] = ['prometheus', 'promtool', 'nginx', 'kubectl', 'openssl'];

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export const inCi = (env: NodeJS.ProcessEnv = process.env): boolean => env.CI !== undefined && !['', '0', 'false'].includes(env.CI.toLowerCase());

/** The absolute path of an executable named `name` on PATH or in the sbin folders, if any. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const warned = new Set<string>();

/**
 * The path of a peer for `describe.skipIf(!path)`; when absent, says so once on stderr, and under CI
 * throws, so the test file fails instead of skipping.
 */
export function peer(name: PeerName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = findExecutable(name, env);
  if (path) return path;
  const reason = `${name} is not installed (looked on PATH and in ${SBIN.join(', ')})`;
  if (inCi(env)) throw new Error(`CI=true: ${reason}; the tests that need this real peer must run in CI, not skip`);
  if (!warned.has(name)) {
    warned.add(name);
    console.warn(`asm-prom tests: SKIPPING the tests that need ${name}: ${reason}`);
  }
  return undefined;
}

/** The path of a peer a helper is about to start; a clear error instead of `spawn ENOENT`. */
export function requirePeer(name: PeerName): string {
  const path = findExecutable(name);
  if (!path) throw new Error(`${name} is not installed (looked on PATH and in ${SBIN.join(', ')}); the test needing it should have been skipped with peer('${name}')`);
  return path;
}
