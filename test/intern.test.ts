/**
 * The Interner (src/core/intern.ts) behind the slimming of live pods and the parse of Prometheus's
 * targets: what it gives back equals what it was given, and equal values come back as one value.
 * Fixed seed (test/helpers/property.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty } from './helpers/property.js';
import { Interner } from '../src/core/intern.js';

const RUNS = 300;

describe('Interner', () => {
  it('gives back a value equal to the one given, and leaves that one as it was', () => {
    checkProperty('Interner: gives back a value equal to the one given, and leaves that one as it was', fc.property(fc.jsonValue(), (value) => {
      const copy = structuredClone(value);
      const interner = new Interner();
      expect(interner.share(value)).toEqual(copy);
      expect(value).toEqual(copy);
    }), RUNS);
  });

  it('gives equal values, met apart, as one and the same value', () => {
    checkProperty('Interner: gives equal values, met apart, as one and the same value', fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }), (values) => {
      const interner = new Interner();
      const first = values.map((v) => interner.share(v));
      const again = structuredClone(values).map((v) => interner.share(v));
      for (let i = 0; i < values.length; i++) expect(again[i]).toBe(first[i]);
    }), RUNS);
  });

  it('tells apart values that differ only in type or order', () => {
    const interner = new Interner();
    const shared = [['1'], [1], [true], ['true'], [null], ['null'], { a: 1, b: 2 }, { b: 2, a: 1 }, [[]], [{}], ['$0'], ['#1']].map((v) => interner.share(v));
    expect(new Set(shared).size).toBe(shared.length);
    expect(shared[6]).toEqual({ a: 1, b: 2 });
    expect(Object.keys(shared[7]!)).toEqual(['b', 'a']);
  });

  it('keeps a "__proto__" key as data, not as a prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": "b"}') as object;
    const shared = new Interner().share(value);
    expect(Object.getPrototypeOf(shared)).toBe(Object.prototype);
    expect(Object.keys(shared)).toEqual(['__proto__', 'a']);
    expect(({} as { polluted?: string }).polluted).toBeUndefined();
  });
});
