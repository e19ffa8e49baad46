/**
 * Real peers the tests talk to (prometheus, promtool, nginx, kubectl, openssl): found on the PATH
 * (and /usr/sbin, where Debian puts nginx). Absent, a test skips with the reason, except under
 * CI=true, where .ci/run installs them all: there a missing peer fails the run instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findPeer(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'].filter(Boolean);
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** The peer's path, or undefined (with a warning) when it is absent and CI is not set. */
export function peer(name: string, why: string): string | undefined {
  const path = findPeer(name);
  if (path && spawnSync(path, ['--version'], { stdio: 'ignore' }).error === undefined) return path;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`${name} is not installed, and CI must run the tests that need it (${why}): .ci/run installs it`);
  console.warn(`${name} is not on the PATH: skipping ${why}`);
  return undefined;
}
