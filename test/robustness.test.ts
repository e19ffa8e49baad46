/**
 * Manifests are user input: whatever types a field holds, the doctor reports findings and never
 * crashes (exit 3) or hangs. Property test: the examples' and fixtures' objects, with random
 * fields replaced by values of the wrong type, through the whole offline doctor.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runDoctor } from '../src/index.js';
import { checkAsyncProperty } from './helpers/property.js';

const ROOTS = ['../examples/', './checks/'].map((r) => new URL(r, import.meta.url).pathname);

function manifests(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const path = join(dir, e);
    return statSync(path).isDirectory() ? manifests(path) : /\.ya?ml$/.test(e) ? [path] : [];
  });
}

const SEEDS: Record<string, unknown>[] = ROOTS.flatMap(manifests).flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => {
    const value: unknown = doc.errors.length ? undefined : doc.toJS();
    return value && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
  }),
);

const wrongValue = fc.constantFrom<unknown>(null, 0, -1, 1.5, true, '', 'x', '::', [], {}, [null], ['a', 1], { a: null }, 70000);

/** The object with fields picked by `picks` (a stream of booleans) replaced by wrong values. */
function mutate(value: unknown, picks: boolean[], wrong: unknown[], at = { i: 0 }): unknown {
  const next = () => picks[at.i++ % picks.length] === true;
  const replacement = () => wrong[at.i % wrong.length];
  if (Array.isArray(value)) return value.map((v) => (next() ? replacement() : mutate(v, picks, wrong, at)));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, next() ? replacement() : mutate(v, picks, wrong, at)]));
  return value;
}

describe('the doctor on malformed manifests', () => {
  it('never crashes a check, whatever the field types', async () => {
    await checkAsyncProperty(
      'wrong field types through the offline doctor',
      fc.asyncProperty(
        fc.array(fc.nat(SEEDS.length - 1), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 9 }).map((n) => n < 3), { minLength: 5, maxLength: 40 }),
        fc.array(wrongValue, { minLength: 1, maxLength: 10 }),
        async (indexes, picks, wrong) => {
          const items = indexes.map((i) => mutate(SEEDS[i], picks, wrong));
          const summary = await runDoctor({ filenames: ['-'], stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }), probe: 'off' });
          const crashes = summary.findings.filter((f) => f.code === 'CHECK_CRASHED').map((f) => f.message);
          expect(crashes).toEqual([]);
          expect([0, 1]).toContain(summary.exitCode);
        },
      ),
      150,
    );
  }, 120_000);
});
