/**
 * Every YAML fix snippet of docs/checks.md does what it says: merged into the broken fixture it
 * fixes (as its declaration says, see test/helpers/doc-fixes.ts), the doctor no longer reports the
 * code and reports no error it did not report before. A snippet no `-f` run can show (a
 * cluster-only finding) says why, and is at least valid YAML.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ALL_CODES } from '../src/core/codes.js';
import { runDoctor } from '../src/index.js';
import { applySnippet, fixSnippets, objectId } from './helpers/doc-fixes.js';
import { tempDir } from './helpers/tmp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const snippets = fixSnippets(readFileSync(join(ROOT, 'docs/checks.md'), 'utf8'));

async function findings(file: string) {
  return (await runDoctor({ filenames: [file], offline: true, probe: 'off' })).findings;
}

describe('docs/checks.md fix snippets', () => {
  it('every YAML fix snippet declares the code it fixes, and how it is checked', () => {
    expect(snippets.length).toBeGreaterThan(20);
    const undeclared = snippets.filter((s) => !s.directive || !(ALL_CODES as readonly string[]).includes(s.directive.code) || !(s.directive.unchecked || (s.directive.fixture && s.directive.into)));
    expect(undeclared.map((s) => `${s.section} (line ${s.line})`)).toEqual([]);
  });

  it.each(snippets.filter((s) => s.directive?.unchecked).map((s) => [s.directive!.code, s.line, s] as const))('%s (line %i): unchecked, but valid YAML', (_code, _line, snippet) => {
    for (const doc of parseAllDocuments(snippet.yaml, { uniqueKeys: true })) expect(doc.errors).toEqual([]);
  });

  it.each(snippets.filter((s) => s.directive?.fixture).map((s) => [s.directive!.code, s.line, s] as const))('%s (line %i): fixes its fixture and adds no error', async (code, _line, snippet) => {
    const fixture = join(ROOT, snippet.directive!.fixture!);
    const before = await findings(fixture);
    expect(before.map((f) => f.code), 'the fixture shows the code').toContain(code);
    const dir = tempDir('asm-prom-docfix-');
    const fixed = join(dir, 'fixed.yaml');
    const { objects, touched } = applySnippet(readFileSync(fixture, 'utf8'), snippet);
    writeFileSync(fixed, objects.map((o) => stringify(o)).join('---\n'));
    const after = await findings(fixed);
    // gone from the objects the snippet changed (a fixture may show the code on another object too)
    const left = after.filter((f) => f.code === code && touched.has(objectId(f.subject.kind, f.subject.namespace, f.subject.name)));
    expect(left.map((f) => `${f.code} ${f.subject.kind}/${f.subject.namespace ?? ''}/${f.subject.name}: ${f.message}`), 'the code is gone').toEqual([]);
    expect(after.filter((f) => f.code === code).length, 'fewer findings of the code').toBeLessThan(before.filter((f) => f.code === code).length);
    const newErrors = after.filter((f) => f.severity === 'error' && !before.some((b) => b.code === f.code));
    expect(newErrors.map((f) => `${f.code}: ${f.message}`), 'no new error').toEqual([]);
  });
});
