/**
 * The suite's own rules (developers' guide): no assertion on wall-clock time outside bench/, and
 * fast-check only through test/helpers/property.ts (a fixed seed, printed on failure), and no write to
 * a child's stdin without a handler for its errors (a child that ends first gives EPIPE, an unhandled
 * error that fails the whole run by chance), and no temporary folder left behind: a file that makes
 * one removes it (rm/rmSync, or helpers/tmp.ts's tempDir); files share a worker (`isolate: false`),
 * so nothing may wait for the process to exit. src/ makes its temporary folders only through
 * core/scratch-dir.ts, which removes them even when the process exits with the work in flight.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST = new URL('./', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? files(join(dir, e)) : /\.(ts|mjs)$/.test(e) ? [join(dir, e)] : []));
const SRC = new URL('../src/', import.meta.url).pathname;
const BENCH = new URL('../bench/', import.meta.url).pathname;
const sources = files(TEST).filter((f) => !f.endsWith('suite-hygiene.test.ts')).map((f) => ({ file: relative(TEST, f), text: readFileSync(f, 'utf8') }));

/** a file that makes a temporary folder and neither removes it nor leaves that to helpers/tmp.ts */
const leavesTempDirs = (text: string) =>
  /\bmkdtemp(Sync)?\(/.test(text) && !/\brm(Sync)?\(/.test(text) && !/from '(\.\/|(\.\.\/)+)(helpers\/)?tmp\.js'/.test(text);

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

  it('removes every temporary folder it makes', () => {
    const ours = [...sources, ...files(BENCH).map((f) => ({ file: relative(TEST, f), text: readFileSync(f, 'utf8') }))];
    expect(ours.filter((s) => leavesTempDirs(s.text)).map((s) => s.file)).toEqual([]);
  });

  it('src/ makes temporary folders only through core/scratch-dir.ts', () => {
    const direct = files(SRC).filter((f) => !f.endsWith(join('core', 'scratch-dir.ts')) && /\btmpdir\(\)/.test(readFileSync(f, 'utf8')));
    expect(direct.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('the rules can fail', () => {
    expect(/expect\(\s*(Date\.now\(\)|performance\.now\(\))\s*-/.test('expect(Date.now() - started).toBeLessThan(5)')).toBe(true);
    const made = "const dir = mkdtempSync(join(tmpdir(), 'x-'));\n";
    expect([made, `${made}afterAll(() => rmSync(dir, { recursive: true, force: true }));`, `import { tempDir } from './helpers/tmp.js';\n${made}`].map(leavesTempDirs)).toEqual([true, false, false]);
  });
});
