/**
 * The streaming list parser (src/sources/cluster/list-stream.ts): whatever the chunking, it yields
 * the items and top-level fields JSON.parse would, and a cut answer is an error, never a short list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ListPageParser } from '../src/sources/cluster/list-stream.js';
import { checkProperty } from './helpers/property.js';

function parseInChunks(text: string, cuts: number[]): ListPageParser<Record<string, unknown>> {
  const bytes = Buffer.from(text);
  const parser = new ListPageParser<Record<string, unknown>>((item) => item);
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    parser.write(bytes.subarray(at, cut));
    at = cut;
  }
  parser.write(bytes.subarray(at));
  return parser;
}

const list = (items: unknown[], extra: Record<string, unknown> = {}) => ({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7', continue: 'tok{en]"' }, ...extra, items });

describe('ListPageParser', () => {
  it('gives the items and the top-level fields, for any chunking (fast-check, fixed seed)', () => {
    const item = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
    checkProperty(
      'list pages parse the same for any chunking',
      fc.property(fc.array(item, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (items, cuts, itemsFirst) => {
        // items before or after the other fields (Kubernetes writes metadata first; others may not)
        const value = itemsFirst ? Object.assign({ items: [] as unknown[] }, list(items)) : list(items);
        const text = JSON.stringify(value, null, itemsFirst ? 1 : 0);
        const parser = parseInChunks(text, cuts);
        parser.end();
        expect(parser.items).toEqual(JSON.parse(JSON.stringify(items)));
        expect(parser.top.metadata).toEqual({ resourceVersion: '7', continue: 'tok{en]"' });
        expect(parser.top.kind).toBe('PodList');
      }),
      300,
    );
  });

  it('applies the transform to each item as it completes', () => {
    const parser = new ListPageParser<{ name: string; big?: string }>((item) => ({ name: item.name }));
    parser.write(Buffer.from(JSON.stringify(list([{ name: 'a', big: 'x'.repeat(1000) }, { name: 'b', big: 'y' }]))));
    parser.end();
    expect(parser.items).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('an answer cut anywhere is an error, not a shorter list', () => {
    const text = JSON.stringify(list([{ a: 1 }, { b: [1, 2, { c: '}' }] }]));
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new ListPageParser((item) => item);
      parser.write(Buffer.from(text.slice(0, cut)));
      expect(() => parser.end(), `cut at ${cut}`).toThrow(/ended before/);
    }
  });

  it('what is not a JSON object is an error', () => {
    expect(() => new ListPageParser((i) => i).write(Buffer.from('[1,2]'))).toThrow(/not a JSON object/);
  });
});
