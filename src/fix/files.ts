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

function locate(text: string, line: number): { located?: Located; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  if (!Array.isArray(docs)) return { lineCounter };
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  for (const doc of docs) {
    const contents = doc.contents as { range?: [number, number, number] } | null;
    if (!contents?.range) continue;
    if (lineOf(contents.range[0]) === line) return { located: { doc, path: [], start: contents.range[0], end: contents.range[2] }, lineCounter };
    const items = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
    if (isSeq(items)) {
      const i = items.items.findIndex((n) => (n as { range?: number[] }).range && lineOf((n as { range: number[] }).range[0]!) === line);
      if (i >= 0) return { located: { doc, path: ['items', i], start: contents.range[0], end: contents.range[2] }, lineCounter };
    }
  }
  return { lineCounter };
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

/** The file's text with the object at `line` changed from `before` to `after`, and the edit of its document. */
export function editFile(text: string, file: string, line: number, before: KubeObject, after: KubeObject): { text: string; edit: FileEdit } | undefined {
  const { located, lineCounter } = locate(text, line);
  if (!located || located.doc.errors.length) return undefined;
  const { doc, path, start, end } = located;
  applyDiff(doc, path, before, after);
  // Only the document's content is rendered again: its leading comments and `---` stay as they are.
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
  const original = text.slice(start, end);
  let body = doc.toString({ lineWidth: 0, indentSeq: indentsSequences(original) });
  if (!original.endsWith('\n')) body = body.replace(/\n$/, '');
  const startLine = lineCounter.linePos(start).line;
  const endLine = lineCounter.linePos(Math.max(start, end - 1)).line;
  return { text: text.slice(0, start) + body + text.slice(end), edit: { file, startLine, endLine, charOffset: start, charLength: end - start, text: body } };
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
