/**
 * The real-world corpus (test/real-world/<case>/, docs/real-world.md): public configurations of the
 * recipe, judged by hand. Each case's review.yaml lists its real faults (error findings that must be
 * found), its expected warnings, and the files it is made of with their sha256. The test runs the
 * built CLI as a user would, `asm-prom doctor -f <files> -o json --probe off` (`npm test` builds first),
 * and fails on any error finding not in the review, on any reviewed fault not found, and on a
 * STARTUP_RACE where the review says the race is not real.
 *
 * The configuration files themselves are third-party data and are not committed here: each is looked
 * for, byte for byte (sha256), in the case folder or in $ASM_PROM_REAL_WORLD_DATA/<case>/. A case whose
 * files are nowhere is skipped, and says so.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './helpers/cli.js';

interface Subject {
  code: string;
  kind: string;
  namespace?: string;
  name?: string;
}
interface Fault extends Subject {
  reason: string;
}
interface ExpectedWarning extends Subject {
  reason: string;
  /** must be found (else: allowed, not demanded) */
  required: boolean;
  /** STARTUP_RACE only: what evidence.nativeSidecarPossible must be (false: anything but true) */
  nativeSidecarPossible?: boolean;
}
interface Review {
  case: string;
  files: { name: string; sha256: string; bytes: number }[];
  verdict: string;
  faults: Fault[];
  expectedWarnings: ExpectedWarning[];
  healthy: string;
}
interface Finding {
  code: string;
  severity: string;
  subject: { kind: string; namespace?: string; name?: string };
  evidence?: Record<string, unknown>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CORPUS = join(ROOT, 'test', 'real-world');
const DATA_DIRS = [process.env.ASM_PROM_REAL_WORLD_DATA].filter((d): d is string => !!d);

const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function review(name: string): Review {
  return parse(readFileSync(join(CORPUS, name, 'review.yaml'), 'utf8')) as Review;
}

/** The folder that holds every file of the case, or undefined. */
function dataDir(name: string, r: Review): string | undefined {
  return [join(CORPUS, name), ...DATA_DIRS.map((d) => join(d, name))].find((dir) => r.files.every((f) => existsSync(join(dir, f.name))));
}

const matches = (s: Subject, f: Finding): boolean =>
  s.code === f.code && s.kind === f.subject.kind && (s.namespace === undefined || s.namespace === f.subject.namespace) && (s.name === undefined || s.name === f.subject.name);
const label = (f: Finding): string => `${f.code} ${f.subject.kind}/${f.subject.namespace ?? ''}/${f.subject.name ?? ''}`;

describe('the corpus', () => {
  it('has at least 14 cases, each with a provenance and a review that names its files', () => {
    expect(cases.length).toBeGreaterThanOrEqual(14);
    for (const name of cases) {
      expect(existsSync(join(CORPUS, name, 'PROVENANCE.md')), `${name}/PROVENANCE.md`).toBe(true);
      const r = review(name);
      expect(r.case).toBe(name);
      expect(r.files.length, name).toBeGreaterThan(0);
      for (const f of r.files) expect(readFileSync(join(CORPUS, name, 'PROVENANCE.md'), 'utf8'), `${name}: ${f.name}`).toContain(f.sha256);
      for (const s of [...r.faults, ...r.expectedWarnings]) expect(s.reason, `${name}: ${s.code} needs a reason`).toBeTruthy();
    }
  });
});

describe.each(cases)('%s', (name) => {
  const r = review(name);
  const dir = dataDir(name, r);

  it.skipIf(!dir)(`as deployed: ${r.verdict}${dir ? '' : ' (files not present here: skipped)'}`, async () => {
    const files = r.files.map((f) => {
      const path = join(dir!, f.name);
      const bytes = readFileSync(path);
      expect(createHash('sha256').update(bytes).digest('hex'), `${f.name} is not the reviewed file`).toBe(f.sha256);
      return path;
    });
    const { stdout, stderr } = await runCli(['doctor', ...files.flatMap((f) => ['-f', f]), '-o', 'json', '--probe', 'off'], { timeoutMs: 120_000 });
    expect(stdout, stderr).not.toBe('');
    const findings = (JSON.parse(stdout) as { findings: Finding[] }).findings;
    const errors = findings.filter((f) => f.severity === 'error');

    const unreviewed = errors.filter((f) => !r.faults.some((s) => matches(s, f))).map(label);
    const missed = r.faults.filter((s) => !errors.some((f) => matches(s, f))).map((s) => `${s.code} ${s.kind}/${s.namespace ?? ''}/${s.name ?? ''}`);
    expect({ unreviewed, missed }).toEqual({ unreviewed: [], missed: [] });

    // STARTUP_RACE only where the race is real, and with the evidence the review asks for.
    const races = findings.filter((f) => f.code === 'STARTUP_RACE');
    const expectedRaces = r.expectedWarnings.filter((w) => w.code === 'STARTUP_RACE');
    expect(races.filter((f) => !expectedRaces.some((w) => matches(w, f))).map(label), 'STARTUP_RACE where the race is not real').toEqual([]);
    for (const w of r.expectedWarnings.filter((x) => x.required)) {
      expect(findings.some((f) => matches(w, f)), `${w.code} ${w.kind}/${w.name} expected`).toBe(true);
    }
    for (const w of expectedRaces) {
      for (const f of races.filter((x) => matches(w, x))) {
        const possible = f.evidence?.nativeSidecarPossible === true;
        expect(possible, `${label(f)}: evidence.nativeSidecarPossible`).toBe(w.nativeSidecarPossible === true);
      }
    }
  });
});
