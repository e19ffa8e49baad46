/**
 * parseWithArrays (src/core/json-arrays.ts), which reads Prometheus's targets answer item by item:
 * it finds what JSON.parse finds, the arrays at the given places handed over item by item and left
 * empty, and it rejects what JSON.parse rejects. Fixed seed (test/helpers/property.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty } from './helpers/property.js';
import { parseWithArrays } from '../src/core/json-arrays.js';

const RUNS = 400;
const PATHS = [['data', 'activeTargets'], ['data', 'droppedTargets']];

/** The answer read as text and as UTF-8 bytes: both must find the same. */
function read(text: string): { value: unknown; items: unknown[][] } {
  const readAs = (input: string | Uint8Array) => {
    const items: unknown[][] = [[], []];
    const value = parseWithArrays(input, PATHS, (path, item) => items[path]!.push(item));
    return { value, items };
  };
  const fromText = readAs(text);
  expect(readAs(new TextEncoder().encode(text))).toEqual(fromText);
  return fromText;
}

const answer = fc.record({
  status: fc.constantFrom('success', 'error'),
  data: fc.record({ activeTargets: fc.array(fc.jsonValue(), { maxLength: 6 }), droppedTargets: fc.array(fc.jsonValue(), { maxLength: 4 }), other: fc.jsonValue() }),
  extra: fc.jsonValue(),
});

describe('parseWithArrays', () => {
  it('hands over the items of the arrays at the given places and parses the rest as JSON.parse does', () => {
    checkProperty('parseWithArrays: hands over the items of the arrays at the given places and parses the rest as JSON.parse does', fc.property(answer, fc.constantFrom(0, 2), (doc, indent) => {
      const { value, items } = read(JSON.stringify(doc, null, indent));
      expect(items).toEqual(JSON.parse(JSON.stringify([doc.data.activeTargets, doc.data.droppedTargets])));
      expect(value).toEqual(JSON.parse(JSON.stringify({ ...doc, data: { ...doc.data, activeTargets: [], droppedTargets: [] } })));
    }), RUNS);
  });

  it('is JSON.parse for a document without those arrays', () => {
    checkProperty('parseWithArrays: is JSON.parse for a document without those arrays', fc.property(fc.jsonValue(), (doc) => {
      const text = JSON.stringify(doc);
      expect(read(text)).toEqual({ value: JSON.parse(text), items: [[], []] });
    }), RUNS);
  });

  it('rejects what JSON.parse rejects: the answer cut short or with a character taken out', () => {
    checkProperty('parseWithArrays: rejects what JSON.parse rejects: the answer cut short or with a character taken out', fc.property(answer, fc.nat(), fc.boolean(), (doc, at, cut) => {
      const whole = JSON.stringify(doc);
      const i = at % whole.length;
      const text = cut ? whole.slice(0, i) : whole.slice(0, i) + whole.slice(i + 1);
      let parsed = true;
      try {
        JSON.parse(text);
      } catch {
        parsed = false;
      }
      if (parsed) expect(() => read(text)).not.toThrow();
      else {
        expect(() => parseWithArrays(text, PATHS, () => undefined)).toThrow(SyntaxError);
        expect(() => parseWithArrays(new TextEncoder().encode(text), PATHS, () => undefined)).toThrow(SyntaxError);
      }
    }), RUNS);
  });

  it('reads UTF-8 bytes of any script, and escapes, as the text', () => {
    const doc = { status: 'success', data: { activeTargets: [{ labels: { pod: 'pöd-日本-🚀', q: 'a\\"b\\\\', u: '\u2028' } }, { '"[k]"': ',]' }], droppedTargets: [] } };
    const { value, items } = read(JSON.stringify(doc));
    expect(items[0]).toEqual(doc.data.activeTargets);
    expect(value).toEqual({ ...doc, data: { activeTargets: [], droppedTargets: [] } });
  });

  it('rejects the holes and trailing commas JSON does not allow in the arrays it reads item by item', () => {
    for (const items of ['[,1]', '[1,,2]', '[1,]', '[1 2]']) expect(() => read(`{"data":{"activeTargets":${items}}}`)).toThrow(SyntaxError);
    expect(read('{"data":{"activeTargets":[ ]}}').items).toEqual([[], []]);
  });
});
