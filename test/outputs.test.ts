/**
 * The outputs as their consumers take them, from the built CLI: SARIF that the official schema
 * accepts with -f locations relative to %SRCROOT%; JSON `docsUrl` only with a docs base;
 * `asm-prom explain CODE` printing the installed docs from any working directory.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import { ALL_CODES, docsAnchor } from '../src/core/codes.js';
import { docsSection } from '../src/docs.js';
import { BIN } from './helpers/cli.js';
import { sarifValidator } from './helpers/sarif-schema.js';
import { tempDir } from './helpers/tmp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BROKEN = join(ROOT, 'examples/broken');

function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1', ASM_PROM_DOCS_URL: undefined, ...options.env } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('SARIF from the CLI', () => {
  it('-f with an absolute path: valid SARIF 2.1.0, locations relative to %SRCROOT% (the working directory)', () => {
    const { code, stdout } = cli(['doctor', '-f', BROKEN, '-o', 'sarif']);
    expect(code).toBe(1);
    const log = JSON.parse(stdout) as Log;
    expect(sarifValidator()(log)).toEqual([]);
    const run = log.runs[0]!;
    expect(run.originalUriBaseIds?.['%SRCROOT%']?.uri).toBe(`file://${ROOT.endsWith('/') ? ROOT : `${ROOT}/`}`);
    const physical = run.results!.flatMap((r) => r.locations ?? []).map((l) => l.physicalLocation?.artifactLocation).filter(Boolean);
    expect(physical.length).toBeGreaterThan(0);
    for (const location of physical) {
      expect(location).toMatchObject({ uriBaseId: '%SRCROOT%' });
      expect(location!.uri).toMatch(/^examples\/broken\/[^/]+\.ya?ml$/);
    }
    expect(run.results!.every((r) => r.level !== 'note')).toBe(true);
  });

  it('from another working directory the files are absolute file: URIs, still valid', () => {
    const elsewhere = tempDir('asm-prom-sarif-');
    const log = JSON.parse(cli(['doctor', '-f', BROKEN, '-o', 'sarif'], { cwd: elsewhere }).stdout) as Log;
    expect(sarifValidator()(log)).toEqual([]);
    const uris = log.runs[0]!.results!.flatMap((r) => r.locations ?? []).map((l) => l.physicalLocation?.artifactLocation).filter(Boolean);
    for (const location of uris) expect(location!.uri).toMatch(/^file:\/\/\//);
    expect(log.runs[0]!.originalUriBaseIds).toBeUndefined();
  });
});

describe('docs a user can reach', () => {
  it('JSON findings keep the anchor and add docsUrl only when ASM_PROM_DOCS_URL gives a base', () => {
    const plain = JSON.parse(cli(['doctor', '-f', BROKEN, '-o', 'json']).stdout) as { findings: { code: string; docs: string; docsUrl?: string }[] };
    expect(plain.findings.length).toBeGreaterThan(0);
    for (const f of plain.findings) {
      expect(f.docs).toBe(docsAnchor(f.code as never));
      expect(f).not.toHaveProperty('docsUrl');
    }
    const linked = JSON.parse(cli(['doctor', '-f', BROKEN, '-o', 'json'], { env: { ASM_PROM_DOCS_URL: 'https://mirror.example.com/asm-prom' } }).stdout) as typeof plain;
    for (const f of linked.findings) expect(f.docsUrl).toBe(`https://mirror.example.com/asm-prom/${f.docs}`);
    const bad = cli(['doctor', '-f', BROKEN, '-o', 'json'], { env: { ASM_PROM_DOCS_URL: 'docs.example.com' } });
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the human report ends each hint with asm-prom explain CODE', () => {
    const { stdout } = cli(['doctor', '-f', BROKEN]);
    const more = stdout.split('\n').filter((l) => /^\s+more: /.test(l));
    expect(more.length).toBeGreaterThan(0);
    for (const line of more) expect(line).toMatch(/more: asm-prom explain [A-Z][A-Z0-9_]+$/);
    expect(stdout).not.toContain('docs/checks.md#');
  });

  it('explain CODE prints that code\'s section of the installed docs/checks.md, from any working directory', () => {
    const elsewhere = tempDir('asm-prom-explain-');
    const markdown = readFileSync(join(ROOT, 'docs/checks.md'), 'utf8');
    for (const word of ['KEY_MISMATCH', 'key-mismatch']) {
      const { code, stdout, stderr } = cli(['explain', word], { cwd: elsewhere });
      expect([code, stderr]).toEqual([0, '']);
      expect(stdout).toBe(`${docsSection(markdown, 'key-mismatch')}\n`);
      expect(stdout).toMatch(/^### key-mismatch\n/);
      expect(stdout).not.toMatch(/^### (?!key-mismatch)/m);
    }
    const json = JSON.parse(cli(['explain', 'TARGET_DOWN', '-o', 'json'], { env: { ASM_PROM_DOCS_URL: 'https://mirror.example.com/x/' } }).stdout);
    expect(json).toMatchObject({ code: 'TARGET_DOWN', docs: 'docs/checks.md#target-down', docsUrl: 'https://mirror.example.com/x/docs/checks.md#target-down' });
  });

  it('every code has a section that explain finds', () => {
    const markdown = readFileSync(join(ROOT, 'docs/checks.md'), 'utf8');
    const missing = ALL_CODES.filter((code) => !docsSection(markdown, docsAnchor(code).split('#')[1]!)?.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('an unknown code-shaped word: exit 2, one line naming the closest code', () => {
    const typo = cli(['explain', 'TARGET_DWN']);
    expect([typo.code, typo.stdout]).toEqual([2, '']);
    expect(typo.stderr).toMatch(/TARGET_DWN is not an asm-prom finding code \(did you mean TARGET_DOWN\?\)/);
  });
});
