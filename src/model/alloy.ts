/**
 * Enough of the Alloy configuration syntax (formerly River; grafana.com/docs/alloy/latest/get-started/syntax/)
 * to read the components that scrape: blocks `name.part "label" { … }`, attributes `key = expr`,
 * literals (strings with escapes, raw back-quoted strings, numbers, booleans, null, arrays,
 * objects), comments (`//`, `/* … *\/`), and any other expression (references, calls, operators)
 * kept as its text. A file that does not parse is reported with its line, as `alloy fmt` would
 * refuse it. Pure: no I/O.
 */

export type AlloyValue = string | number | boolean | null | AlloyValue[] | { [key: string]: AlloyValue } | AlloyExpr;

/** An expression that is not a literal (a reference such as `discovery.kubernetes.pods.targets`, a call, an operation). */
export interface AlloyExpr {
  expr: string;
}

export interface AlloyBlock {
  /** `prometheus.scrape`, `tls_config` */
  name: string;
  label?: string;
  /** 1-based line of the block's name */
  line: number;
  attributes: Record<string, AlloyValue>;
  attributeLines: Record<string, number>;
  blocks: AlloyBlock[];
}

export class AlloySyntaxError extends Error {
  override readonly name = 'AlloySyntaxError';
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

type TokenType = 'ident' | 'string' | 'number' | 'punct' | 'eof';
interface Token {
  type: TokenType;
  text: string;
  value?: string | number;
  line: number;
}

const PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '{', '}', '[', ']', '(', ')', '=', ',', '.', '+', '-', '*', '/', '%', '^', '<', '>', '!', ':'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new AlloySyntaxError(line, 'comment not terminated');
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 2;
      continue;
    }
    const start = line;
    if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        const d = text[i];
        if (d === undefined || d === '\n') throw new AlloySyntaxError(start, 'string literal not terminated');
        if (d === '"') break;
        if (d === '\\') {
          const e = text[i + 1];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v' };
          if (e !== undefined && simple[e] !== undefined) {
            value += simple[e];
            i += 2;
            continue;
          }
          const hex = /^(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/.exec(text.slice(i + 1));
          if (!hex) throw new AlloySyntaxError(line, `unknown escape sequence \\${e ?? ''}`);
          value += String.fromCodePoint(parseInt(hex[1] ?? hex[2] ?? hex[3]!, 16));
          i += 1 + hex[0].length;
          continue;
        }
        value += d;
        i++;
      }
      i++;
      tokens.push({ type: 'string', text: JSON.stringify(value), value, line: start });
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new AlloySyntaxError(start, 'raw string literal not terminated');
      const value = text.slice(i + 1, end);
      line += value.split('\n').length - 1;
      tokens.push({ type: 'string', text: JSON.stringify(value), value, line: start });
      i = end + 1;
      continue;
    }
    const number = /^(?:\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (number) {
      tokens.push({ type: 'number', text: number[0], value: Number(number[0]), line });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', text: ident[0], line });
      i += ident[0].length;
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (!punct) throw new AlloySyntaxError(line, `illegal character ${JSON.stringify(c)}`);
    tokens.push({ type: 'punct', text: punct, line });
    i += punct.length;
  }
  tokens.push({ type: 'eof', text: 'end of file', line });
  return tokens;
}

const BINARY = new Set(['==', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '%', '^', '<', '>']);

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.pos++;
    return t;
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || t.type === 'string') throw new AlloySyntaxError(t.line, `expected ${text}, got ${t.text}`);
    return t;
  }

  /** Statements until `}` (inside a block) or the end of the file. */
  body(inBlock: boolean): Pick<AlloyBlock, 'attributes' | 'attributeLines' | 'blocks'> {
    const out: Pick<AlloyBlock, 'attributes' | 'attributeLines' | 'blocks'> = { attributes: {}, attributeLines: {}, blocks: [] };
    for (;;) {
      const t = this.peek();
      if (t.type === 'eof') {
        if (inBlock) throw new AlloySyntaxError(t.line, 'expected }, got end of file');
        return out;
      }
      if (inBlock && t.text === '}' && t.type === 'punct') return out;
      if (t.type !== 'ident') throw new AlloySyntaxError(t.line, `expected an attribute or a block name, got ${t.text}`);
      const parts = [this.next().text];
      while (this.peek().text === '.' && this.peek().type === 'punct') {
        this.next();
        const part = this.next();
        if (part.type !== 'ident') throw new AlloySyntaxError(part.line, `expected an identifier after ".", got ${part.text}`);
        parts.push(part.text);
      }
      const after = this.peek();
      if (after.text === '=' && after.type === 'punct') {
        if (parts.length > 1) throw new AlloySyntaxError(t.line, `attribute name ${parts.join('.')} must be a single identifier`);
        this.next();
        if (Object.hasOwn(out.attributes, parts[0]!)) throw new AlloySyntaxError(t.line, `attribute ${parts[0]} already set`);
        out.attributes[parts[0]!] = this.expression();
        out.attributeLines[parts[0]!] = t.line;
        continue;
      }
      let label: string | undefined;
      if (after.type === 'string') label = String(this.next().value);
      this.expect('{');
      const inner = this.body(true);
      this.expect('}');
      out.blocks.push({ name: parts.join('.'), ...(label !== undefined ? { label } : {}), line: t.line, ...inner });
    }
  }

  private expression(): AlloyValue {
    const start = this.pos;
    let value = this.unary();
    let compound = false;
    while (this.peek().type === 'punct' && BINARY.has(this.peek().text)) {
      this.next();
      this.unary();
      compound = true;
    }
    if (compound) value = { expr: this.textFrom(start) };
    return value;
  }

  private textFrom(start: number): string {
    return this.tokens.slice(start, this.pos).map((t) => t.text).join(' ');
  }

  private unary(): AlloyValue {
    const t = this.peek();
    if (t.type === 'punct' && (t.text === '-' || t.text === '!')) {
      const start = this.pos;
      this.next();
      const operand = this.unary();
      if (t.text === '-' && typeof operand === 'number') return -operand;
      if (t.text === '!' && typeof operand === 'boolean') return !operand;
      return { expr: this.textFrom(start) };
    }
    return this.postfix();
  }

  private postfix(): AlloyValue {
    const start = this.pos;
    let value = this.primary();
    for (;;) {
      const t = this.peek();
      if (t.type !== 'punct') break;
      if (t.text === '.') {
        this.next();
        const field = this.next();
        if (field.type !== 'ident') throw new AlloySyntaxError(field.line, `expected a field name after ".", got ${field.text}`);
      } else if (t.text === '[') {
        this.next();
        this.expression();
        this.expect(']');
      } else if (t.text === '(') {
        this.next();
        this.list(')');
      } else break;
      value = { expr: this.textFrom(start) };
    }
    return value;
  }

  private list(close: string): AlloyValue[] {
    const items: AlloyValue[] = [];
    while (!(this.peek().type === 'punct' && this.peek().text === close)) {
      items.push(this.expression());
      if (this.peek().type === 'punct' && this.peek().text === ',') this.next();
      else break;
    }
    this.expect(close);
    return items;
  }

  private primary(): AlloyValue {
    const t = this.next();
    switch (t.type) {
      case 'string':
        return t.value as string;
      case 'number':
        return t.value as number;
      case 'ident':
        if (t.text === 'true') return true;
        if (t.text === 'false') return false;
        if (t.text === 'null') return null;
        return { expr: t.text };
      case 'punct':
        if (t.text === '[') return this.list(']');
        if (t.text === '(') {
          const inner = this.expression();
          this.expect(')');
          return inner;
        }
        if (t.text === '{') {
          const object: Record<string, AlloyValue> = {};
          while (!(this.peek().type === 'punct' && this.peek().text === '}')) {
            const key = this.next();
            if (key.type !== 'ident' && key.type !== 'string') throw new AlloySyntaxError(key.line, `expected an object key, got ${key.text}`);
            this.expect('=');
            object[key.type === 'string' ? String(key.value) : key.text] = this.expression();
            if (this.peek().type === 'punct' && this.peek().text === ',') this.next();
            else break;
          }
          this.expect('}');
          return object;
        }
        throw new AlloySyntaxError(t.line, `expected an expression, got ${t.text}`);
      default:
        throw new AlloySyntaxError(t.line, 'expected an expression, got end of file');
    }
  }
}

/** The top-level blocks of an Alloy configuration; throws AlloySyntaxError with the line. */
export function parseAlloy(text: string): AlloyBlock[] {
  const parser = new Parser(tokenize(text));
  return parser.body(false).blocks;
}

/** Every block (at any depth) with this name. */
export function blocksNamed(blocks: readonly AlloyBlock[], name: string): AlloyBlock[] {
  return blocks.flatMap((b) => [...(b.name === name ? [b] : []), ...blocksNamed(b.blocks, name)]);
}

export const isExpr = (v: AlloyValue | undefined): v is AlloyExpr => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as AlloyExpr).expr === 'string' && Object.keys(v).length === 1;

export const stringOf = (v: AlloyValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
