/**
 * Temporary folders for tests, removed by the suite itself: files share a worker (`isolate: false`
 * in vitest.config.ts), so nothing may wait for the process to exit.
 *
 *   const dir = tempDir('asm-prom-foo-');
 *
 * Made inside a test, the folder is removed when that test finishes; made while the tests are
 * collected (at the top of a file or in a describe block), after the tests of that file or block.
 * Not from a beforeAll/beforeEach hook: a removal registered then would never run, so tempDir
 * refuses; make the folder while collecting instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';
import { getCurrentSuite, getCurrentTest } from 'vitest/suite';

export function tempDir(prefix: string): string {
  const inTest = Boolean(getCurrentTest());
  // the file has a result once its tests run: before that, its tests are being collected
  const collecting = !inTest && getCurrentSuite().file?.result === undefined;
  if (!inTest && !collecting) throw new Error(`tempDir(${JSON.stringify(prefix)}) in a hook: make it in a test or while the tests are collected`);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (inTest) onTestFinished(remove);
  else afterAll(remove);
  return dir;
}
