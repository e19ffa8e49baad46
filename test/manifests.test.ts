import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors.js';
import { ResourceStore } from '../src/core/resources.js';
import { MAX_MANIFEST_DEPTH, manifestProviders, parseManifests, readManifestFiles } from '../src/sources/manifests.js';
import { tempDir } from './helpers/tmp.js';

describe('parseManifests', () => {
  it('reads multi-document YAML with the line of each object', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n# a comment\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n';
    const { objects, errors } = parseManifests([{ name: 'x.yaml', text }]);
    expect(errors).toEqual([]);
    expect(objects.map((o) => [o.object.metadata?.name, o.line])).toEqual([['a', 1], ['b', 6]]);
  });

  it('reports a broken document with file and line, and keeps the others', () => {
    const text = 'kind: Service\nmetadata: {name: ok}\n---\nkind: Service\nmetadata:\n  name: [unclosed\n---\nkind: Pod\nmetadata: {name: after}\n';
    const { objects, errors } = parseManifests([{ name: 'bad.yaml', text }]);
    expect(objects.map((o) => o.object.metadata?.name)).toEqual(['ok', 'after']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'bad.yaml' });
    expect(errors[0]!.line).toBeGreaterThanOrEqual(5);
  });

  it('unpacks kind: List and reads JSON', () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Service', metadata: { name: 's' } }, { kind: 'Pod', metadata: { name: 'p' } }] }, null, 2);
    const { objects } = parseManifests([{ name: 'list.json', text: json }]);
    expect(objects.map((o) => o.object.kind)).toEqual(['Service', 'Pod']);
    expect(objects[1]!.line).toBeGreaterThan(objects[0]!.line);
  });

  it('rejects a document that is not a mapping', () => {
    const { errors } = parseManifests([{ name: 'scalar.yaml', text: '- just\n- a list\n' }]);
    expect(errors[0]?.reason).toMatch(/not a Kubernetes object/);
  });
});

describe('hostile but parseable documents are findings, never a crash', () => {
  it('refuses a self-referencing alias with the line of the alias, as go-yaml does, and keeps the other documents', () => {
    const text = 'kind: Service\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Service\nmetadata: &m {name: self, loop: *m}\n';
    const { objects, errors } = parseManifests([{ name: 'alias.yaml', text }]);
    expect(objects.map((o) => o.object.metadata?.name)).toEqual(['ok']);
    expect(errors).toEqual([{ file: 'alias.yaml', line: 6, reason: expect.stringMatching(/alias \*m is inside the anchor &m/) }]);
  });

  it('refuses an alias to an ancestor further up, and reads an alias to a sibling', () => {
    const cyclic = parseManifests([{ name: 'c.yaml', text: 'kind: Pod\nspec: &s\n  a:\n    b: [1, *s]\n' }]);
    expect(cyclic.errors).toEqual([{ file: 'c.yaml', line: 4, reason: expect.stringMatching(/\*s is inside the anchor &s/) }]);
    const shared = parseManifests([{ name: 's.yaml', text: 'kind: Pod\nmetadata: {labels: &l {app: a}, annotations: *l}\n' }]);
    expect(shared.errors).toEqual([]);
    expect(shared.objects[0]!.object.metadata?.annotations).toEqual({ app: 'a' });
  });

  it.each([
    ['a mapping', 'items: {a: 1}', 'a mapping'],
    ['a string', 'items: hello', 'a string'],
    ['a number', 'items: 3', 'a number'],
  ])('refuses a kind: List whose items is %s', (_, items, type) => {
    const { objects, errors } = parseManifests([{ name: 'l.yaml', text: `apiVersion: v1\nkind: List\n${items}\n` }]);
    expect(objects).toEqual([]);
    expect(errors).toEqual([{ file: 'l.yaml', line: 3, reason: `items of a kind: List must be a list, not ${type}` }]);
  });

  it('reads a kind: List without items as empty', () => {
    expect(parseManifests([{ name: 'l.yaml', text: 'apiVersion: v1\nkind: List\n' }])).toEqual({ objects: [], errors: [] });
  });

  const flow = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const block = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(2 + 2 * i)}-`).join('\n');

  it.each([
    ['YAML flow lists', 1_000, (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: ${flow(n)}\n`, 5, 8],
    ['YAML block lists', 5_000, (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n${block(n)}\n`, 5, 8 + MAX_MANIFEST_DEPTH - 1],
    ['JSON arrays', 100_000, (n: number) => `---\n{"kind":"ConfigMap","metadata":{"name":"ok"}}\n---\n{"kind":"ConfigMap",\n"data":${flow(n)}}\n`, 4, 5],
  ])('refuses %s %i deep with the line of the document and of the level too deep; keeps the others', (_, n, text, docLine, deepLine) => {
    const { objects, errors } = parseManifests([{ name: 'deep', text: text(n) }]);
    expect(objects.map((o) => o.object.metadata?.name)).toEqual(['ok']);
    expect(errors).toEqual([
      { file: 'deep', line: docLine, tooDeep: true, reason: `the document nests more than ${MAX_MANIFEST_DEPTH} levels deep (line ${deepLine}); asm-prom reads documents up to ${MAX_MANIFEST_DEPTH} levels deep and skipped this one` },
    ]);
  });

  it(`reads a document exactly ${MAX_MANIFEST_DEPTH} levels deep`, () => {
    // the object is one level, data another, so the list holds MAX - 2 levels
    const { objects, errors } = parseManifests([{ name: 'edge.yaml', text: `kind: ConfigMap\ndata:\n  x: ${flow(MAX_MANIFEST_DEPTH - 2)}\n` }]);
    expect(errors).toEqual([]);
    expect(objects).toHaveLength(1);
    const over = parseManifests([{ name: 'edge.yaml', text: `kind: ConfigMap\ndata:\n  x: ${flow(MAX_MANIFEST_DEPTH - 1)}\n` }]);
    expect(over.errors).toHaveLength(1);
  });
});

describe('readManifestFiles', () => {
  it('walks folders recursively for yaml, yml and json only', () => {
    const dir = tempDir('asm-prom-');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.yaml'), 'kind: A');
    writeFileSync(join(dir, 'sub', 'b.yml'), 'kind: B');
    writeFileSync(join(dir, 'sub', 'c.json'), '{"kind":"C"}');
    writeFileSync(join(dir, 'notes.txt'), 'kind: D');
    expect(readManifestFiles([dir]).map((f) => f.text)).toEqual(['kind: A', 'kind: B', '{"kind":"C"}']);
  });

  it('reads stdin for -', () => {
    expect(readManifestFiles(['-'], 'kind: X')).toEqual([{ name: '-', text: 'kind: X' }]);
  });

  it('makes a missing path a usage error', () => {
    expect(() => readManifestFiles(['/does/not/exist'])).toThrow(UsageError);
  });
});

describe('manifestProviders', () => {
  it('puts namespace-less objects in default and says what the manifests lack', async () => {
    const store = new ResourceStore();
    store.provide(manifestProviders(store, parseManifests([{ name: 'm.yaml', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\n' }])));
    const [svc] = await store.require('services');
    expect(store.subjectOf(svc!)).toMatchObject({ kind: 'Service', namespace: 'default', name: 'web', line: 1 });
    expect(await store.load('peerAuthentications')).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown/) });
    expect(await store.load('prometheusPods')).toMatchObject({ ok: false });
  });
});
