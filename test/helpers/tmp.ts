/**
 * Temporary folders for tests, removed by the suite itself: files share a worker (`isolate: false`
 * in vitest.config.ts), so nothing may wait for the process to exit.
 *
 *   const dir = tempDir('asm-prom-foo-');
 *
 * Made inside a test, the folder is removed when that test finishes; made while the tests are
 * collected (at the top of a file or in a describe block), after the tests of that file or block.
 * Not from a beforeAll/beforeEach hook (no test and no collection then): make it while collecting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';
import { getCurrentTest } from 'vitest/suite';

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (getCurrentTest()) onTestFinished(remove);
  else afterAll(remove);
  return dir;
}
