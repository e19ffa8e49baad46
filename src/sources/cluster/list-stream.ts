/**
 * A Kubernetes list answer (`{"kind":…,"metadata":{…},"items":[{…},{…}]}`) parsed as it arrives:
 * each item is parsed alone, handed to a transform (slimming) and kept, so a page of thousands of
 * pods never exists whole in memory, neither as text nor as objects. Top-level fields other than
 * `items` (kind, apiVersion, metadata with the continue token) are parsed as values.
 */

import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from '../../core/json-arrays.js';

/** The largest single value held (one item, one top-level field). */
const MAX_VALUE_BYTES = 64 << 20;

export class ListStreamError extends Error {
  override readonly name = 'ListStreamError';
}

export class ListPageParser<T> {
  readonly items: T[] = [];
  readonly top: Record<string, unknown> = {};
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** at depth 1: reading a key, or the value of `key` */
  private key: string | undefined;
  private keyParts: Buffer[] | undefined;
  private valueParts: Buffer[] | undefined;
  private valueBytes = 0;
  private inItems = false;
  private started = false;
  private ended = false;

  constructor(private readonly transform: (item: T) => T) {}

  write(chunk: Buffer): void {
    let mark = 0; // where the value being captured starts in this chunk
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 1 && this.keyParts) {
            this.keyParts.push(chunk.subarray(mark, i));
            this.key = Buffer.concat(this.keyParts).toString('utf8');
            this.keyParts = undefined;
          }
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.key === undefined && !this.valueParts) {
          this.keyParts = [];
          mark = i + 1;
        } else if (this.depth === 1 && this.key !== undefined && !this.valueParts) this.startValue(chunk, i, (m) => (mark = m));
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.depth === 0) {
          if (this.started || c !== OPEN_OBJECT) throw new ListStreamError('the answer is not a JSON object');
          this.started = true;
        } else if (this.depth === 1 && this.key === 'items' && c === OPEN_ARRAY && !this.valueParts) {
          this.inItems = true;
        } else if (this.depth === 1 && this.key !== undefined && !this.valueParts) {
          this.startValue(chunk, i, (m) => (mark = m));
        } else if (this.depth === 2 && this.inItems && c === OPEN_OBJECT) {
          this.valueParts = [];
          this.valueBytes = 0;
          mark = i;
        }
        this.depth++;
        continue;
      }
      if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth < 0) throw new ListStreamError('unbalanced JSON');
        if (this.depth === 2 && this.inItems && this.valueParts) {
          this.valueParts.push(chunk.subarray(mark, i + 1));
          this.items.push(this.transform(JSON.parse(Buffer.concat(this.valueParts).toString('utf8')) as T));
          this.valueParts = undefined;
        } else if (this.depth === 1 && this.inItems) {
          this.inItems = false;
          this.key = undefined;
        } else if (this.depth === 1 && this.valueParts) {
          // the end of an object or array value of a top-level field
          this.valueParts.push(chunk.subarray(mark, i + 1));
          this.endValue();
        } else if (this.depth === 0) {
          if (this.valueParts) {
            this.valueParts.push(chunk.subarray(mark, i));
            this.endValue();
          }
          this.ended = true;
        }
        continue;
      }
      if (this.depth === 1 && c === COMMA) {
        if (this.valueParts) {
          this.valueParts.push(chunk.subarray(mark, i));
          this.endValue();
        }
        this.key = undefined;
        continue;
      }
      if (this.depth === 1 && c === COLON) continue;
      // a scalar value of a top-level field (number, true, false, null) starts
      if (this.depth === 1 && this.key !== undefined && !this.valueParts && c > 0x20) this.startValue(chunk, i, (m) => (mark = m));
    }
    if (this.valueParts || this.keyParts) {
      const rest = chunk.subarray(mark);
      (this.valueParts ?? this.keyParts)!.push(rest);
      this.valueBytes += rest.length;
      if (this.valueBytes > MAX_VALUE_BYTES) throw new ListStreamError(`one value of the list is larger than ${MAX_VALUE_BYTES >> 20} MiB`);
    }
  }

  /** The answer is complete: throws when it was cut short. */
  end(): void {
    if (!this.ended) throw new ListStreamError('the answer ended before its JSON did (cut short?)');
  }

  private startValue(_chunk: Buffer, at: number, setMark: (m: number) => void): void {
    this.valueParts = [];
    this.valueBytes = 0;
    setMark(at);
  }

  private endValue(): void {
    const text = Buffer.concat(this.valueParts!).toString('utf8').trim();
    this.valueParts = undefined;
    if (this.key !== undefined && text) this.top[this.key] = JSON.parse(text);
    this.key = undefined;
  }
}
