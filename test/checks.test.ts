/**
 * One driver over every check's fixture folder: a `fail-*` case must produce each expected code on
 * the expected subject, and no warning or error it does not expect, with messages that say what its
 * `says:` lines say; a `pass-*` case must produce none of the check's warning or error codes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_CHECKS, CODES, runDoctor, type Code } from '../src/index.js';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { globMatch, loadFixtureCases, subjectKey } from './helpers/fixtures.js';

const cases = loadFixtureCases();
const byId = new Map(ALL_CHECKS.map((c) => [c.id, c]));
/** what each check read during its fixtures, to hold `needs` honest (istio's CheckMetadataInputs) */
const reads = new Map<string, Set<string>>();

describe.each([...new Set(cases.map((c) => c.checkId))])('%s', (checkId) => {
  const check = byId.get(checkId);
  it('is a registered check', () => expect(check, `no check has the id ${checkId}`).toBeDefined());

  it.each(cases.filter((c) => c.checkId === checkId).map((c) => [c.name, c] as const))('%s', async (_name, fixture) => {
    const summary = await runDoctor(parseDoctorArgs([...fixture.args, '--only', checkId]), {
      onResourceRead: (id, key) => (reads.get(id) ?? reads.set(id, new Set()).get(id)!).add(key),
    });
    const result = summary.checks.find((c) => c.id === checkId);
    expect(result?.status, `skipped: ${result?.skipReason}`).not.toBe('skip');
    expect(summary.checks.filter((c) => c.status === 'crash')).toEqual([]);
    const mine = summary.findings.filter((f) => f.check === checkId && f.severity !== 'info');
    if (fixture.kind === 'pass') {
      expect(mine.map((f) => `${f.code} ${subjectKey(f.subject)}`)).toEqual([]);
    } else {
      expect(fixture.expect.length, 'a fail case names the codes it expects').toBeGreaterThan(0);
      for (const want of fixture.expect) {
        const got = mine.filter((f) => f.code === want.code && globMatch(want.subject, subjectKey(f.subject)));
        expect(got.length, `${want.code} ${want.subject} among ${mine.map((f) => `${f.code} ${subjectKey(f.subject)}`).join(', ') || 'nothing'}`).toBeGreaterThan(0);
      }
      const unexpected = mine.filter((f) => !fixture.expect.some((want) => f.code === want.code && globMatch(want.subject, subjectKey(f.subject))));
      expect(unexpected.map((f) => `${f.code} ${subjectKey(f.subject)}`), 'findings the case does not expect').toEqual([]);
      for (const words of fixture.says) {
        expect(mine.map((f) => f.message), `a message saying "${words}"`).toEqual(expect.arrayContaining([expect.stringContaining(words)]));
      }
    }
  });
});

/** Codes whose meaning offline manifests or certificate files can show: each needs a failing fixture. */
const FIXTURE_CATEGORIES = new Set(['prometheus', 'monitors', 'certs']);
/** Codes a fixture folder cannot produce, and where they are tested instead. */
const NOT_IN_FIXTURES: Partial<Record<Code, string>> = {
  CERT_FILE_UNREADABLE: 'the suite may run as root, which reads every file: test/certs-minted.test.ts and the files-0600 demo scenario',
};

describe('the fixture grid as a whole', () => {
  it('makes every warning and error code of the manifest and certificate checks fire in a fail-* case', () => {
    const expected = new Set(cases.filter((c) => c.kind === 'fail').flatMap((c) => c.expect.map((e) => e.code)));
    const needed = (Object.keys(CODES) as Code[]).filter((code) => FIXTURE_CATEGORIES.has(CODES[code].category) && CODES[code].severity !== 'info');
    expect(needed.filter((code) => !expected.has(code) && !NOT_IN_FIXTURES[code])).toEqual([]);
  });

  it('gives every check of those categories a pass-* and a fail-* case', () => {
    const ids = ALL_CHECKS.filter((c) => FIXTURE_CATEGORIES.has(c.category)).map((c) => c.id);
    const missing = ids.flatMap((id) => (['pass', 'fail'] as const).filter((k) => !cases.some((c) => c.checkId === id && c.kind === k)).map((k) => `${id} ${k}-*`));
    expect(missing).toEqual([]);
  });

  afterAll(() => {
    // Declared needs that no fixture run read are dishonest metadata (or untested paths).
    const unread = ALL_CHECKS.filter((c) => reads.has(c.id)).flatMap((c) => c.needs.filter((n) => !reads.get(c.id)!.has(n)).map((n) => `${c.id} needs ${n}`));
    expect(unread).toEqual([]);
  });
});
