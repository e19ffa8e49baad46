/**
 * Hash-consing for what a run keeps of large API answers: tens of thousands of pods or Prometheus
 * targets repeat the same strings and structures (a workload's containers, a job's name), and
 * JSON.parse makes a fresh copy of each for every item. One Interner per answer (or per run) keeps
 * one copy; its tables go with it, the sharing stays. Shared values are read, never changed.
 */

/**
 * One copy of each equal JSON value (hash-consing): equal strings, arrays and objects given to
 * `share` come back as one and the same value. A structure is known by the identities of its parts,
 * so finding it costs its size, not its depth times its size.
 */
export class Interner {
  /** each string's number; its one copy is at that place of `copies` */
  private readonly strings = new Map<string, number>();
  private readonly copies: string[] = [];
  private readonly structures = new Map<string, object>();
  /** a number per shared structure, for the keys of the structures that hold it */
  private readonly ids = new WeakMap<object, number>();

  string(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return this.copies[known]!;
    this.strings.set(value, this.copies.length);
    this.copies.push(value);
    return value;
  }

  share<T>(value: T): T {
    if (typeof value === 'string') return this.string(value) as T;
    if (value === null || typeof value !== 'object') return value;
    let copy: object;
    let key: string;
    if (Array.isArray(value)) {
      const items = value.map((v: unknown) => this.share(v));
      copy = items;
      key = `[${items.map((v) => this.token(v)).join(',')}`;
    } else {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [this.string(k), this.share(v)] as const);
      copy = Object.fromEntries(entries);
      key = `{${entries.map(([k, v]) => `${this.token(k)}:${this.token(v)}`).join(',')}`;
    }
    const known = this.structures.get(key);
    if (known) return known as T;
    this.structures.set(key, copy);
    this.ids.set(copy, this.structures.size);
    return copy as T;
  }

  /** A shared value in a structure's key: strings and structures by number (short keys), other values as JSON says them. */
  private token(value: unknown): string {
    if (typeof value === 'string') return `$${this.strings.get(value)}`;
    if (value !== null && typeof value === 'object') return `#${this.ids.get(value)}`;
    return String(value);
  }
}

