/**
 * The fixture grid (istio's analyzer grid, Polaris' fixture folders): test/checks/<check-id>/ holds
 * `pass-*` and `fail-*` cases. A case is a manifest file (`*.yaml`, `*.json`), or a folder with a
 * `case.txt`. Expectations are lines, in the file's leading comments or in case.txt:
 *
 *   # expect: CODE Kind/namespace/name      (subject globs; `*` for any subject)
 *   # says: words of a message               (a finding of the check says them, word for word)
 *   # args: --certs-dir {dir}/certs --now 2026-01-01T00:00:00Z   ({dir} is the case folder)
 *   # args: --mesh-root {fixtures}/upstream/istio/samples/certs/root-cert.pem   ({fixtures} is test/fixtures)
 *
 * A folder case without `args:` runs `-f` on the folder's manifests (every *.yaml in it).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECK_FIXTURES = new URL('../checks/', import.meta.url).pathname;
/** test/fixtures: vendored upstream files (with their provenance) and the seed's manifests. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url)).replace(/\/$/, '');
/** A vendored upstream file or folder, by `<source>/<upstream path>` (test/fixtures/upstream/). */
export const upstream = (path = ''): string => join(FIXTURES, 'upstream', path);
/** The seed's manifests (test/fixtures/seed/). */
export const SEED = join(FIXTURES, 'seed');

export interface FixtureCase {
  checkId: string;
  name: string;
  kind: 'pass' | 'fail';
  args: string[];
  expect: { code: string; subject: string }[];
  /** fragments that some finding's message of the check holds, written by hand from what it must say */
  says: string[];
}

export function loadFixtureCases(root = CHECK_FIXTURES): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const checkId of readdirSync(root).sort()) {
    const dir = join(root, checkId);
    if (!statSync(dir).isDirectory()) continue;
    for (const entry of readdirSync(dir).sort()) {
      const m = /^(pass|fail)-/.exec(entry);
      if (!m) continue;
      const path = join(dir, entry);
      const isDir = statSync(path).isDirectory();
      const text = isDir ? (existsSync(join(path, 'case.txt')) ? readFileSync(join(path, 'case.txt'), 'utf8') : '') : readFileSync(path, 'utf8');
      // In a manifest only comment lines carry expectations (a container's `args:` is not one).
      const lines = text.split('\n').filter((l) => isDir || /^\s*#/.test(l)).map((l) => l.replace(/^\s*#\s?/, '').trim());
      const expect = lines.filter((l) => l.startsWith('expect:')).map((l) => {
        const [code, subject = '*'] = l.slice('expect:'.length).trim().split(/\s+/);
        return { code: code!, subject };
      });
      const says = lines.filter((l) => l.startsWith('says:')).map((l) => l.slice('says:'.length).trim());
      const argLine = lines.find((l) => l.startsWith('args:'));
      const args = argLine
        ? argLine.slice('args:'.length).trim().split(/\s+/).map((a) => a.replaceAll('{dir}', path).replaceAll('{fixtures}', FIXTURES))
        : ['-f', path];
      cases.push({ checkId, name: entry, kind: m[1] as 'pass' | 'fail', args, expect, says });
    }
  }
  return cases;
}

/** `Kind/namespace/name` of a finding's subject, for matching expectations. */
export function subjectKey(subject: { kind: string; namespace?: string; name?: string; path?: string; endpoint?: string }): string {
  return [subject.kind, subject.namespace, subject.name ?? subject.endpoint ?? subject.path].filter((p) => p !== undefined).join('/');
}

export function globMatch(glob: string, value: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
  return re.test(value);
}
