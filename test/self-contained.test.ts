/**
 * The repository stands alone: a clone with nothing beside it runs every test. No source or test
 * reads from a sibling folder of the workspace or from a developer's home, and no symlink leads out
 * of the repository (upstream material is vendored under test/fixtures/upstream, with provenance).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCANNED = ['src', 'checks', 'test', 'bench', 'scripts'];
/** the one optional maintainer's check that reads the design contract beside the repository (README) */
const MAY_READ_SHARED = ['scripts/check-contract.mjs'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git']);

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Paths that only exist on the machine a file was written on. Built from parts, so this file is not its own hit. */
const OUTSIDE = new RegExp(
  [String.raw`\.\./` + 'shared\\b', ...['work', 'home', 'Users', 'root', 'mnt', 'private/var'].map((d) => `(?<![\\w.-])/${d}/`), String.raw`\b[A-Z]:\\`].join('|'),
);

/** `file:line: text` of every line under `dirs` that names a path outside the repository. */
function outsidePaths(dirs: string[]): string[] {
  const hits: string[] = [];
  for (const dir of dirs) {
    for (const file of walk(join(ROOT, dir))) {
      if (lstatSync(file).isSymbolicLink() || MAY_READ_SHARED.includes(relative(ROOT, file))) continue;
      const text = readFileSync(file);
      if (text.includes(0)) continue; // binary
      text.toString('utf8').split('\n').forEach((line, i) => {
        if (OUTSIDE.test(line)) hits.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
  }
  return hits;
}

describe('a clone with nothing beside it', () => {
  it('names no sibling folder of the workspace and no absolute path of a machine under src/, checks/, test/, bench/ and scripts/ (but the optional check:contract)', () => {
    expect(outsidePaths(SCANNED)).toEqual([]);
  });

  it('has no symlink that leads out of the repository', () => {
    const escaping = [...walk(ROOT)]
      .filter((file) => lstatSync(file).isSymbolicLink())
      .map((link) => ({ link: relative(ROOT, link), target: resolve(dirname(link), readlinkSync(link)) }))
      .filter(({ target }) => relative(ROOT, target).startsWith('..'))
      .map(({ link, target }) => `${link} -> ${target}`);
    expect(escaping).toEqual([]);
  });

  it('the scan sees what it looks for (a path of the workspace, a home, a sibling folder)', () => {
    for (const line of ['../sh' + 'ared/upstream/x.pem', "'/wo" + "rk/shared/x'", '"/ho' + 'me/me/x"', 'C:' + '\\Users\\me']) expect(OUTSIDE.test(line), line).toBe(true);
    for (const line of ['/etc/prom-certs/root-cert.pem', '/var/run/secrets/istio', 'sidecar.istio.io/userVolumeMount', 'a shared volume', 'https://example.com/home/x'])
      expect(OUTSIDE.test(line), line).toBe(false);
  });
});

describe('the docs tell users to run only what exists', () => {
  const docs = ['README.md', 'examples/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
    .filter((f) => existsSync(join(ROOT, f)))
    .map((f) => ({ file: f, text: readFileSync(join(ROOT, f), 'utf8') }));
  const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

  it('never npx: asm-prom is not on the npm registry, and the name is anyone\'s to claim', () => {
    expect(docs.filter((d) => /\bnpx\b/.test(d.text)).map((d) => d.file)).toEqual([]);
  });

  it('names only npm scripts that package.json has, and files of bin/, scripts/ and deploy/ (manifests) that exist', () => {
    const missing = docs.flatMap(({ file, text }) => [
      ...[...text.matchAll(/\bnpm run ([\w:-]+)/g)].filter((m) => !scripts.includes(m[1]!)).map((m) => `${file}: npm run ${m[1]}`),
      ...[...text.matchAll(/(?<![\w/.-])(bin\/[\w.-]*\w|scripts\/[\w.-]+\.\w+|deploy\/[\w./-]+\.ya?ml)/g)].filter((m) => !existsSync(join(ROOT, m[1]!))).map((m) => `${file}: ${m[1]}`),
    ]);
    expect(missing).toEqual([]);
  });
});
