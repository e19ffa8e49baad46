/**
 * JSON.parse of a large answer whose bulk is arrays at known places (Prometheus's
 * `data.activeTargets` and `data.droppedTargets`: tens of megabytes at tens of thousands of
 * targets): each item of those arrays is parsed alone and handed to `each` at once, so the whole
 * document never exists as objects, only the text and what `each` keeps of every item. The rest
 * of the document is parsed as usual, with those arrays empty. Invalid JSON throws a SyntaxError,
 * as JSON.parse does (items already handed over are then to be dropped by the caller).
 *
 * The text may be given as UTF-8 bytes: then it is never one string at all (tens of megabytes
 * outside the JS heap rather than in it). The scan looks only at ASCII bytes (quotes, brackets,
 * commas), which never occur inside a multi-byte UTF-8 sequence, so bytes and text scan alike.
 */

/** The characters (and UTF-8 bytes) that give a JSON text its structure; also read by the list page parser. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

interface Frame {
  array: boolean;
  /** keys from the root; `[]` for an array's items */
  path: readonly string[];
  /** an object's current key */
  key?: string;
  expectKey: boolean;
}

/** A text as its code units (string) or bytes (UTF-8), and its parts as strings. */
class Source {
  readonly length: number;
  readonly at: (i: number) => number;
  readonly slice: (from: number, to?: number) => string;
  constructor(text: string | Uint8Array) {
    this.length = text.length;
    if (typeof text === 'string') {
      this.at = (i) => text.charCodeAt(i);
      this.slice = (from, to) => text.slice(from, to);
    } else {
      const bytes = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
      this.at = (i) => bytes[i]!;
      this.slice = (from, to) => bytes.toString('utf8', from, to);
    }
  }
}

/** The index of the quote that ends the string opened at `at`; -1 when it never ends. */
function endOfString(text: Source, at: number): number {
  for (let j = at + 1; j < text.length; j++) {
    const c = text.at(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j;
  }
  return -1;
}

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

export function parseWithArrays(input: string | Uint8Array, paths: readonly (readonly string[])[], each: (path: number, item: unknown) => void): unknown {
  const text = new Source(input);
  const stack: Frame[] = [];
  const kept: string[] = [];
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.at(i);
    if (c === QUOTE) {
      const end = endOfString(text, i);
      if (end < 0) break; // unterminated: JSON.parse below says so
      const top = stack[stack.length - 1];
      if (top && !top.array && top.expectKey) {
        top.key = JSON.parse(text.slice(i, end + 1)) as string;
        top.expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const top = stack[stack.length - 1];
      const path = top ? [...top.path, top.array ? '[]' : (top.key ?? '')] : [];
      const target = c === OPEN_ARRAY ? paths.findIndex((p) => samePath(p, path)) : -1;
      if (target < 0) {
        stack.push({ array: c === OPEN_ARRAY, path, expectKey: c === OPEN_OBJECT });
        continue;
      }
      kept.push(text.slice(copiedTo, i + 1));
      i = eachItem(text, i + 1, (item) => each(target, item));
      copiedTo = i; // the closing bracket is kept
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top && !top.array) top.expectKey = true;
    }
  }
  kept.push(text.slice(copiedTo));
  return JSON.parse(kept.join(''));
}

/** Hands over each item of the array whose items start at `from`; returns the index of its closing bracket. */
function eachItem(text: Source, from: number, each: (item: unknown) => void): number {
  let depth = 0;
  let start = -1;
  let items = 0;
  for (let k = from; k < text.length; k++) {
    const c = text.at(k);
    if (c === QUOTE) {
      if (start < 0) start = k;
      k = endOfString(text, k);
      if (k < 0) break;
      continue;
    }
    if (depth === 0 && (c === COMMA || c === CLOSE_ARRAY)) {
      if (start < 0) {
        // `[,` `,,` `,]`: not JSON; `[]` is
        if (c === COMMA || items > 0) throw new SyntaxError(`Unexpected token '${String.fromCharCode(c)}' in JSON at position ${k}`);
        return k;
      }
      each(JSON.parse(text.slice(start, k)));
      items++;
      start = -1;
      if (c === CLOSE_ARRAY) return k;
      continue;
    }
    if (start < 0 && c > 0x20) start = k;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  throw new SyntaxError('Unexpected end of JSON input');
}
