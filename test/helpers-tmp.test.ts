/** helpers/tmp.ts: a test's temporary folder is gone when its test, or its describe block, is done. */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';

let inBlock = '';
let inTest = '';
let inHook: unknown;

describe('made while the tests are collected', () => {
  inBlock = tempDir('asm-prom-helper-block-');
  it('exists during the tests of its block', () => {
    expect(existsSync(inBlock)).toBe(true);
  });
});

describe('made in a test', () => {
  it('exists during that test', () => {
    inTest = tempDir('asm-prom-helper-test-');
    expect(existsSync(inTest)).toBe(true);
  });

  it('is gone when that test is done', () => {
    expect(existsSync(inTest)).toBe(false);
  });

  it('the folder of the block before is gone once that block is done', () => {
    expect(inBlock).not.toBe('');
    expect(existsSync(inBlock)).toBe(false);
  });
});

describe('made in a hook', () => {
  beforeAll(() => {
    try {
      inHook = tempDir('asm-prom-helper-hook-');
    } catch (error) {
      inHook = error;
    }
  });

  it('is refused (its removal would never run)', () => {
    expect(inHook).toBeInstanceOf(Error);
    expect((inHook as Error).message).toMatch(/in a hook/);
  });
});
