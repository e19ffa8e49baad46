/**
 * One driver over every check's fixture folder: a `fail-*` case must produce each expected code on
 * the expected subject; a `pass-*` case must produce none of the check's warning or error codes.
 */
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS, runDoctor } from '../src/index.js';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { globMatch, loadFixtureCases, subjectKey } from './helpers/fixtures.js';

const cases = loadFixtureCases();
const byId = new Map(ALL_CHECKS.map((c) => [c.id, c]));

describe.each([...new Set(cases.map((c) => c.checkId))])('%s', (checkId) => {
  const check = byId.get(checkId);
  it('is a registered check', () => expect(check, `no check has the id ${checkId}`).toBeDefined());

  it.each(cases.filter((c) => c.checkId === checkId).map((c) => [c.name, c] as const))('%s', async (_name, fixture) => {
    const summary = await runDoctor(parseDoctorArgs([...fixture.args, '--only', checkId]));
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
    }
  });
});
