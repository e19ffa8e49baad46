/**
 * --fix, proven twice. In the run: each fix carries `verified` from a re-run of the checks on a
 * patched copy of the inventory. Here: every failing fixture of the prometheus.* and monitors.*
 * checks is patched with the real kubectl (`kubectl patch --local -f FILE`, the printed command's
 * own --type and -p, through a shell; `kubectl create … --dry-run=client` for new objects), and the
 * doctor on the result no longer reports the fixed findings, and no new error.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { ALL_CODES, runDoctor, type Finding, type MechanicalFix } from '../src/index.js';
import type { Code } from '../src/core/codes.js';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { FIXES, MANUAL, MANUAL_FOR_KIND } from '../src/fix/table.js';
import { applyPatch, jsonPatch, mergePatch, strategicMergePatch } from '../src/fix/patch.js';
import { loadFixtureCases } from './helpers/fixtures.js';
import { runCli } from './helpers/cli.js';
import { REPORTERS } from '../src/reporters/index.js';
import { tempDir } from './helpers/tmp.js';

const work = tempDir('asm-prom-fix-');

const isMechanical = (f: Finding['fix']): f is MechanicalFix => f !== undefined && !('manual' in f);
const key = (f: Finding) => `${f.code} ${f.subject.kind}/${f.subject.namespace ?? ''}/${f.subject.name ?? ''}`;
const sh = (command: string) => execFileSync('bash', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

type Obj = { kind?: string; metadata?: { name?: string; namespace?: string } };

/** Applies one printed fix with the real kubectl, offline, to the matching object of `objects`. */
function applyWithKubectl(objects: Obj[], fix: MechanicalFix, n: number): Obj[] {
  if (fix.create) {
    // the printed line, with kubectl reading the objects offline instead of sending them
    expect(fix.kubectl).toMatch(/ \| kubectl apply -f -$/);
    const read = sh(fix.kubectl.replace(/kubectl apply -f -$/, "kubectl patch --local -f - --type merge -p '{}' -o json"));
    const created = JSON.parse(`[${read.replace(/\n}\n{/g, '\n},\n{')}]`) as Obj[];
    return [...objects, ...created];
  }
  const i = objects.findIndex((o) => o.kind === fix.target.kind && o.metadata?.name === fix.target.name && (fix.target.namespace === undefined || (o.metadata?.namespace ?? 'default') === fix.target.namespace));
  expect(i, `${fix.target.kind} ${fix.target.name} among the documents`).toBeGreaterThanOrEqual(0);
  const file = join(work, `object-${n}.json`);
  writeFileSync(file, JSON.stringify(objects[i]));
  // The printed command, with `kubectl patch KIND NAME [-n NS]` made `kubectl patch --local -f FILE`.
  const m = /^kubectl patch \S+ \S+(?: -n \S+)? (--type \S+ -p .*)$/s.exec(fix.kubectl);
  expect(m, fix.kubectl).not.toBeNull();
  const out = JSON.parse(sh(`kubectl patch --local -f ${file} -o json ${m![1]}`)) as Obj;
  return objects.map((o, j) => (j === i ? out : o));
}

const cases = loadFixtureCases().filter((c) => c.kind === 'fail' && /^(prometheus|monitors)\./.test(c.checkId) && c.args[0] === '-f' && c.args.length === 2 && !c.args[1]!.endsWith('/'));
const provenCodes = new Set<string>();
/** subject kinds seen with a fixable code, given their kind's manual fix */
const manualKindsSeen = new Set<string>();

describe('kubectl applies the printed fixes to the failing fixtures, and the doctor then finds them fixed', () => {
  it.each(cases.map((c) => [`${c.checkId}/${c.name}`, c.args[1]!] as const))('%s', async (name, path) => {
    // --fix-dir is --fix that also writes the patched copies: one run gives both (checked below)
    const original = readFileSync(path, 'utf8');
    const dir = join(work, `dir-${name.replaceAll('/', '_')}`);
    const before = await runDoctor(parseDoctorArgs(['-f', path, '--fix-dir', dir]));
    // a subject kind with no fix (a raw scrape job) says so, with its kind's reason, whatever its code
    for (const f of before.findings.filter((x) => FIXES[x.code as Code] && MANUAL_FOR_KIND[x.subject.kind])) {
      expect(f.fix, key(f)).toEqual({ manual: true, reason: MANUAL_FOR_KIND[f.subject.kind]!.manual });
      manualKindsSeen.add(f.subject.kind);
    }
    const fixes = before.findings.filter((f) => isMechanical(f.fix));
    if (!fixes.length) return; // every finding of this case is manual (see the meta-test)
    let objects: Obj[] = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean);
    const seen = new Set<string>();
    fixes.forEach((f, n) => {
      const fix = f.fix as MechanicalFix;
      const once = `${fix.kubectl}`;
      if (seen.has(once)) return; // a fix that also fixed a later finding is printed for both
      seen.add(once);
      objects = applyWithKubectl(objects, fix, n);
    });
    const patchedFile = join(work, `${name.replaceAll('/', '_')}`);
    writeFileSync(patchedFile, objects.map((o) => stringify(o)).join('---\n'));
    const after = await runDoctor(parseDoctorArgs(['-f', patchedFile]));
    const left = new Set(after.findings.map(key));
    const errorsBefore = new Set(before.findings.filter((f) => f.severity === 'error').map((f) => f.code));
    for (const f of fixes) {
      if ((f.fix as MechanicalFix).verified) {
        expect(left.has(key(f)), `${key(f)} still found after ${(f.fix as MechanicalFix).kubectl}`).toBe(false);
        provenCodes.add(f.code);
      }
    }
    // what a fix said it leaves (not verified: remaining) is announced, not new
    const announced = new Set(fixes.flatMap((f) => ((f.fix as MechanicalFix).verified ? [] : (f.fix as MechanicalFix).remaining.map((code) => `${code} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`))));
    const newErrors = after.findings.filter((f) => f.severity === 'error' && !errorsBefore.has(f.code) && !announced.has(`${f.code} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`)).map(key);
    expect(newErrors).toEqual([]);

    // --fix-dir: the patched copy says the same, and the original is untouched
    expect(readFileSync(path, 'utf8')).toBe(original);
    const copy = join(dir, relative(process.cwd(), path));
    const fromDir = await runDoctor(parseDoctorArgs(['-f', copy]));
    const leftInCopy = new Set(fromDir.findings.map(key));
    for (const f of fixes) if ((f.fix as MechanicalFix).verified) expect(leftInCopy.has(key(f)), `${key(f)} in the --fix-dir copy`).toBe(false);
    expect(fromDir.findings.filter((f) => f.severity === 'error' && !errorsBefore.has(f.code) && !announced.has(`${f.code} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`)).map(key)).toEqual([]);
    // the copy keeps the file's leading comments, and the documents no fix touched
    const firstComment = original.split('\n').find((l) => l.startsWith('#'));
    if (firstComment) expect(readFileSync(copy, 'utf8')).toContain(firstComment);
    const targets = new Set(fixes.map((f) => { const t = (f.fix as MechanicalFix).target; return `${t.kind}/${t.name}`; }));
    const docsBefore = parseAllDocuments(original).map((d) => d.toJS() as Obj).filter((o) => o && !targets.has(`${o.kind}/${o.metadata?.name}`));
    const docsAfter = parseAllDocuments(readFileSync(copy, 'utf8')).map((d) => d.toJS() as Obj);
    for (const doc of docsBefore) expect(docsAfter).toContainEqual(doc);
  });
});

describe('fix output', () => {
  const fixture = 'test/checks/prometheus.certs-volume/fail-volume-missing.yaml';

  it('JSON: each fixable finding has the contract shape; each manual one says why', async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', fixture, '--fix']));
    const json = JSON.parse(REPORTERS.json(summary, { color: false, verbose: false })) as { findings: Finding[] };
    const missing = json.findings.find((f) => f.code === 'CERTS_VOLUME_MISSING')!;
    expect(missing.fix).toMatchObject({
      // the document's first line, below the fixture's leading comments (expect:, says:)
      target: { kind: 'Prometheus', namespace: 'monitoring', name: 'k8s', file: fixture, line: readFileSync(fixture, 'utf8').split('\n').findIndex((l) => l.startsWith('apiVersion:')) + 1 },
      patchType: 'merge', verified: true, remaining: [],
      kubectl: expect.stringMatching(/^kubectl patch prometheus k8s -n monitoring --type merge -p '/),
    });
    expect((missing.fix as MechanicalFix).restart).toBeUndefined(); // offline: no pod to restart
    const withoutFix = await runDoctor(parseDoctorArgs(['-f', fixture]));
    expect(withoutFix.findings.every((f) => f.fix === undefined)).toBe(true);
  });

  it('human: the command under the finding, marked verified', async () => {
    const out = REPORTERS.human(await runDoctor(parseDoctorArgs(['-f', fixture, '--fix'])), { color: false, verbose: false });
    expect(out).toMatch(/CERTS_VOLUME_MISSING[^\n]*\n(?:.*\n){2}\s+fix: ✓ verified\n\s+kubectl patch prometheus k8s -n monitoring --type merge/);
    const manualOut = REPORTERS.human(await runDoctor(parseDoctorArgs(['-f', 'test/checks/prometheus.proxy-version/fail-1-9-2.yaml', '--fix'])), { color: false, verbose: false });
    expect(manualOut).toMatch(/fix: none automatic \(an upgrade of Istio/);
  });

  it('SARIF: a fix per result with the replacement of the document; applied, it fixes the finding', async () => {
    const summary = await runDoctor(parseDoctorArgs(['-f', fixture, '--fix']));
    const sarif = JSON.parse(REPORTERS.sarif(summary, { color: false, verbose: false }));
    const result = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'CERTS_VOLUME_MISSING');
    const change = result.fixes[0].artifactChanges[0];
    expect(change.artifactLocation.uri).toBe(fixture);
    const { deletedRegion, insertedContent } = change.replacements[0];
    const text = readFileSync(fixture, 'utf8');
    expect(text.slice(0, deletedRegion.charOffset).split('\n').length).toBe(deletedRegion.startLine);
    const patched = text.slice(0, deletedRegion.charOffset) + insertedContent.text + text.slice(deletedRegion.charOffset + deletedRegion.charLength);
    const file = join(work, 'sarif-applied.yaml');
    writeFileSync(file, patched);
    const after = await runDoctor(parseDoctorArgs(['-f', file]));
    expect(after.findings.map((f) => f.code)).not.toContain('CERTS_VOLUME_MISSING');
  });

  it('--fix-dir keeps a JSON manifest JSON, and edits two items of one List', async () => {
    const objects = parseAllDocuments(readFileSync('test/checks/monitors.tls-settings/fail-verify-on.yaml', 'utf8')).map((d) => d.toJS()).filter(Boolean);
    const input = join(work, 'list.json');
    writeFileSync(input, `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
    const dir = join(work, 'json-out');
    await runDoctor(parseDoctorArgs(['-f', input, '--fix-dir', dir]));
    const copy = join(dir, 'list.json');
    const written = JSON.parse(readFileSync(copy, 'utf8')) as { kind: string; items: unknown[] };
    expect(written.kind).toBe('List');
    expect(written.items.length).toBe(objects.length);
    const after = await runDoctor(parseDoctorArgs(['-f', copy]));
    expect(after.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual([]);
  });

  it('--fix-dir: only with -f, and never over the inputs (exit 2)', async () => {
    const noFiles = await runCli(['doctor', '--offline', '--certs-dir', 'test', '--fix-dir', join(work, 'x')]);
    expect(noFiles.code).toBe(2);
    expect(noFiles.stderr).toMatch(/--fix-dir: needs -f/);
    const over = await runCli(['doctor', '-f', fixture, '--fix-dir', '.']);
    expect(over.code).toBe(2);
    expect(over.stdout).toBe('');
  });
});

describe('the fix table and the catalogue', () => {
  it('gives every code a mechanical fix or a reason why there is none, never both', () => {
    expect(ALL_CODES.filter((c) => !FIXES[c] && !MANUAL[c])).toEqual([]);
    expect(ALL_CODES.filter((c) => FIXES[c] && MANUAL[c])).toEqual([]);
  });

  it('gives the subject kinds with no fix their reason on a failing fixture (runs after the kubectl cases)', () => {
    expect(Object.keys(MANUAL_FOR_KIND).filter((k) => !manualKindsSeen.has(k))).toEqual([]);
  });

  it('proves every mechanical fix with kubectl on a failing fixture (runs after the kubectl cases)', () => {
    const fixable = ALL_CODES.filter((c) => FIXES[c]);
    // INBOUND_CAPTURED is info: no fixture fails on it, but it rides along in most of them
    expect(fixable.filter((c) => !provenCodes.has(c))).toEqual([]);
  });
});

describe('patch semantics, as the API server applies them', () => {
  it('merge patch: maps merge, null deletes, lists replace', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });

  it('strategic merge: containers and volumes by name, volumeMounts by mountPath, $patch: delete', () => {
    const pod = {
      spec: {
        containers: [{ name: 'prometheus', volumeMounts: [{ name: 'a', mountPath: '/etc/prom-certs/' }] }, { name: 'reloader' }],
        volumes: [{ name: 'a', hostPath: { path: '/x' } }, { name: 'b', emptyDir: {} }],
      },
    };
    const out = strategicMergePatch(pod, {
      spec: {
        containers: [{ name: 'prometheus', volumeMounts: [{ name: 'certs', mountPath: '/etc/prom-certs/' }, { name: 'c', mountPath: '/c' }] }],
        volumes: [{ name: 'a', hostPath: null, emptyDir: { medium: 'Memory' } }, { name: 'b', $patch: 'delete' }],
      },
    });
    expect(out).toEqual({
      spec: {
        containers: [{ name: 'prometheus', volumeMounts: [{ name: 'certs', mountPath: '/etc/prom-certs/' }, { name: 'c', mountPath: '/c' }] }, { name: 'reloader' }],
        volumes: [{ name: 'a', emptyDir: { medium: 'Memory' } }],
      },
    });
  });

  it('strategic merge agrees with kubectl on a Deployment', () => {
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'p', namespace: 'm' },
      spec: { selector: { matchLabels: { app: 'p' } }, template: { metadata: { labels: { app: 'p' } }, spec: {
        containers: [{ name: 'prometheus', image: 'prom', ports: [{ containerPort: 9090 }], volumeMounts: [{ name: 'a', mountPath: '/a' }] }],
        volumes: [{ name: 'a', emptyDir: {} }] } } },
    };
    const patch = { spec: { template: { metadata: { annotations: { x: 'y' } }, spec: {
      containers: [{ name: 'prometheus', volumeMounts: [{ name: 'b', mountPath: '/b' }], ports: [{ containerPort: 9091 }] }],
      volumes: [{ name: 'a', emptyDir: { medium: 'Memory' } }, { name: 'b', emptyDir: { medium: 'Memory' } }] } } } };
    const file = join(work, 'deployment.json');
    writeFileSync(file, JSON.stringify(deployment));
    const real = JSON.parse(execFileSync('kubectl', ['patch', '--local', '-f', file, '--type', 'strategic', '-p', JSON.stringify(patch), '-o', 'json'], { encoding: 'utf8' }));
    expect(applyPatch(deployment, 'strategic', patch)).toEqual(real);
  });

  it('JSON patch: add, replace, remove by index; a failed test changes nothing', () => {
    const monitor = { spec: { endpoints: [{ port: 'a', scheme: 'https', tlsConfig: {} }] } };
    expect(jsonPatch(monitor, [{ op: 'test', path: '/spec/endpoints/0/port', value: 'a' }, { op: 'replace', path: '/spec/endpoints/0/scheme', value: 'http' }, { op: 'remove', path: '/spec/endpoints/0/tlsConfig' }]))
      .toEqual({ spec: { endpoints: [{ port: 'a', scheme: 'http' }] } });
    expect(() => jsonPatch(monitor, [{ op: 'test', path: '/spec/endpoints/0/port', value: 'b' }, { op: 'remove', path: '/spec' }])).toThrow(/test failed/);
    expect(monitor.spec.endpoints[0]!.scheme).toBe('https');
  });
});
