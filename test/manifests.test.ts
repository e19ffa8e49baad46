import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors.js';
import { ResourceStore } from '../src/core/resources.js';
import { manifestProviders, parseManifests, readManifestFiles } from '../src/sources/manifests.js';

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

describe('readManifestFiles', () => {
  it('walks folders recursively for yaml, yml and json only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asm-prom-'));
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
