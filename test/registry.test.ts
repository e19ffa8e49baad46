/** Meta-tests over the registry and the catalogue (istio's TestAnalyzersHave*, typescript-eslint's docs test). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS, ALL_CODES, docsAnchor } from '../src/index.js';

const docs = readFileSync(new URL('../docs/checks.md', import.meta.url), 'utf8');

function docsSection(code: string): string | undefined {
  const anchor = docsAnchor(code as never).split('#')[1]!;
  const start = docs.indexOf(`\n### ${anchor}\n`);
  if (start < 0) return undefined;
  const end = docs.indexOf('\n### ', start + 1);
  return docs.slice(start, end < 0 ? undefined : end);
}

describe('the catalogue of codes', () => {
  it.each(ALL_CODES)('%s has a docs heading with what it means, how to confirm and how to fix', (code) => {
    const section = docsSection(code);
    expect(section, `docs/checks.md lacks "### ${docsAnchor(code).split('#')[1]}"`).toBeDefined();
    expect(section).toMatch(/\*\*Confirm by hand\.\*\*/);
    expect(section).toMatch(/\*\*Fix\.\*\*/);
    expect(section).not.toMatch(/\bTODO\b/);
  });

  it('every code but CHECK_CRASHED (the runner\'s) is declared by a check', () => {
    const declared = new Set(ALL_CHECKS.flatMap((c) => c.codes));
    expect(ALL_CODES.filter((c) => c !== 'CHECK_CRASHED' && !declared.has(c))).toEqual([]);
  });
});

describe('the registry', () => {
  it('has unique ids in <category>.<name> form', () => {
    const ids = ALL_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of ALL_CHECKS) expect(c.id.startsWith(`${c.category}.`)).toBe(true);
  });

  it('gives every check a title and at least one code', () => {
    for (const c of ALL_CHECKS) {
      expect(c.title.length, c.id).toBeGreaterThan(5);
      expect(c.codes.length, c.id).toBeGreaterThan(0);
    }
  });
});
