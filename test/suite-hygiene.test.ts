/**
 * The suite's own rules (developers' guide): no assertion on wall-clock time outside bench/, and
 * fast-check only through test/helpers/property.ts (a fixed seed, printed on failure), and no write to
 * a child's stdin without a handler for its errors (a child that ends first gives EPIPE, an unhandled
 * error that fails the whole run by chance).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST = new URL('./', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? files(join(dir, e)) : /\.(ts|mjs)$/.test(e) ? [join(dir, e)] : []));
const SRC = new URL('../src/', import.meta.url).pathname;
const sources = files(TEST).filter((f) => !f.endsWith('suite-hygiene.test.ts')).map((f) => ({ file: relative(TEST, f), text: readFileSync(f, 'utf8') }));

describe('suite hygiene', () => {
  it('asserts nothing on elapsed wall-clock time', () => {
    const elapsed = /expect\(\s*(Date\.now\(\)|performance\.now\(\))\s*-/;
    expect(sources.filter((s) => elapsed.test(s.text)).map((s) => s.file)).toEqual([]);
  });

  it('runs fast-check only with the fixed seed of helpers/property.ts', () => {
    const direct = /\bfc\.(assert|check)\(/;
    expect(sources.filter((s) => s.file !== join('helpers', 'property.ts') && direct.test(s.text)).map((s) => s.file)).toEqual([]);
  });

  it('handles the errors of every child stdin it writes to', () => {
    const writes = (text: string) => /\bchild\.stdin\.(end|write)\(/.test(text) && !/\bchild\.stdin\.on\(\s*'error'/.test(text);
    const ours = [...sources, ...files(SRC).map((f) => ({ file: relative(TEST, f), text: readFileSync(f, 'utf8') }))];
    expect(ours.filter((s) => writes(s.text)).map((s) => s.file)).toEqual([]);
  });

  it('the rules can fail', () => {
    expect(/expect\(\s*(Date\.now\(\)|performance\.now\(\))\s*-/.test('expect(Date.now() - started).toBeLessThan(5)')).toBe(true);
  });
});
