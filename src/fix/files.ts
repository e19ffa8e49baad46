/**
 * Fixes of -f inputs as edits of the files: the object's document is changed in place (its other
 * lines, comments included, stay as written; so do the other documents of the file), and
 * `--fix-dir DIR` writes the patched copies there, never over the originals.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { LineCounter, isMap, isSeq, parseAllDocuments, stringify, type Document } from 'yaml';
import type { KubeObject } from '../model/k8s.js';
import type { FileEdit } from './types.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Makes the node at `path` hold `after`, touching only what differs from `before`. */
function applyDiff(doc: Document, path: (string | number)[], before: unknown, after: unknown): void {
  if (same(before, after)) return;
  const node = path.length ? doc.getIn(path, true) : doc.contents;
  if (isObj(before) && isObj(after) && isMap(node)) {
    for (const key of Object.keys(before)) if (!(key in after)) doc.deleteIn([...path, key]);
    for (const [key, value] of Object.entries(after)) {
      if (key in before) applyDiff(doc, [...path, key], before[key], value);
      else doc.setIn([...path, key], doc.createNode(value));
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && isSeq(node)) {
    after.forEach((value, i) => applyDiff(doc, [...path, i], before[i], value));
    return;
  }
  doc.setIn(path, doc.createNode(after));
}

interface Located {
  doc: Document.Parsed;
  /** the path of the object inside the document ([] or ['items', i]) */
  path: (string | number)[];
  start: number;
  end: number;
}

function parse(text: string): { docs: Document.Parsed[]; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  return { docs: Array.isArray(docs) ? docs : [], lineCounter };
}

/** The document (and path in it) of the object whose content starts at `line`. */
function locate(docs: readonly Document.Parsed[], lineCounter: LineCounter, line: number): Located | undefined {
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  for (const doc of docs) {
    const contents = doc.contents as { range?: [number, number, number] } | null;
    if (!contents?.range || doc.errors.length) continue;
    if (lineOf(contents.range[0]) === line) return { doc, path: [], start: contents.range[0], end: contents.range[2] };
    const items = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
    if (isSeq(items)) {
      const i = items.items.findIndex((n) => (n as { range?: number[] }).range && lineOf((n as { range: number[] }).range[0]!) === line);
      if (i >= 0) return { doc, path: ['items', i], start: contents.range[0], end: contents.range[2] };
    }
  }
  return undefined;
}

/** Whether the text indents a list under its key (`key:\n  - a`) or not (`key:\n- a`), as kubectl writes it. */
function indentsSequences(text: string): boolean {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const m = /^(\s*)- /.exec(lines[i]!);
    const key = /^(\s*)[^\s#-][^:]*:\s*$/.exec(lines[i - 1]!);
    if (m && key) return m[1]!.length > key[1]!.length;
  }
  return true;
}

/** The document's content rendered again (its leading comments and `---` stay in the text before it). */
function render(doc: Document.Parsed, file: string, original: string): string {
  doc.commentBefore = null;
  doc.comment = null;
  doc.directives.docStart = null;
  const contents = doc.contents as { commentBefore?: string | null; spaceBefore?: boolean } | null;
  if (contents) {
    contents.commentBefore = null;
    contents.spaceBefore = false;
    // a comment above the first key is text before the document's content: it stays where it is
    const firstKey = isMap(doc.contents) ? (doc.contents.items[0]?.key as { commentBefore?: string | null; spaceBefore?: boolean } | undefined) : undefined;
    if (firstKey && typeof firstKey === 'object') {
      firstKey.commentBefore = null;
      firstKey.spaceBefore = false;
    }
  }
  // a JSON file stays JSON (kubectl reads either; the reader of the file expects what it wrote)
  const body = /\.json$/i.test(file) ? `${JSON.stringify(doc.toJS(), null, 2)}\n` : doc.toString({ lineWidth: 0, indentSeq: indentsSequences(original) });
  return original.endsWith('\n') ? body : body.replace(/\n$/, '');
}

export interface ObjectEdit {
  /** the line the object starts at in the file as it is */
  line: number;
  before: KubeObject;
  after: KubeObject;
}

/**
 * The file's text with each object changed from `before` to `after`, and the edit of each
 * document touched. The file is parsed once; documents are replaced from the last one up, so that
 * every offset refers to the file as it is. Undefined where an object's document is not found.
 */
export function editFile(text: string, file: string, edits: readonly ObjectEdit[]): { text: string; edits: (FileEdit | undefined)[] } {
  const { docs, lineCounter } = parse(text);
  const touched = new Map<Document.Parsed, Located>();
  const located = edits.map((e) => {
    const at = locate(docs, lineCounter, e.line);
    if (at) {
      applyDiff(at.doc, at.path, e.before, e.after);
      touched.set(at.doc, at);
    }
    return at;
  });
  const rendered = new Map<Document.Parsed, FileEdit>();
  for (const at of touched.values()) {
    const body = render(at.doc, file, text.slice(at.start, at.end));
    rendered.set(at.doc, {
      file, startLine: lineCounter.linePos(at.start).line, endLine: lineCounter.linePos(Math.max(at.start, at.end - 1)).line,
      charOffset: at.start, charLength: at.end - at.start, text: body,
    });
  }
  let out = text;
  for (const edit of [...rendered.values()].sort((a, b) => b.charOffset - a.charOffset)) out = out.slice(0, edit.charOffset) + edit.text + out.slice(edit.charOffset + edit.charLength);
  return { text: out, edits: located.map((at) => (at ? rendered.get(at.doc) : undefined)) };
}

/** New objects, as documents to append to a file. */
export function appendObjects(text: string, objects: readonly KubeObject[]): string {
  const docs = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  return `${text}${text.endsWith('\n') || !text ? '' : '\n'}---\n${docs}`;
}

/** Where a -f file's patched copy goes under DIR: its path relative to the working folder (or its name). */
export function fixDirPath(dir: string, file: string, cwd = process.cwd()): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  return join(dir, rel.startsWith('..') || isAbsolute(rel) ? basename(file) : rel);
}

export function writeFixDir(dir: string, texts: ReadonlyMap<string, string>): string[] {
  const written: string[] = [];
  for (const [file, text] of texts) {
    const out = fixDirPath(dir, file);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    written.push(out);
  }
  return written;
}

export const readText = (file: string) => readFileSync(file, 'utf8');
