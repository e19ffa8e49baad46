/**
 * The YAML fix snippets of docs/checks.md and how each declares what it fixes. The declaration is
 * an HTML comment (invisible on GitHub) on the line right above the ```yaml fence:
 *
 *   <!-- fixes: CODE; fixture: examples/broken/x.yaml; into: KIND/NS/NAME[@path.in.object], … -->
 *   <!-- fixes: CODE; unchecked: why no -f run can show it (a cluster-only finding, …) -->
 *
 * `into` names, for each YAML document of the snippet in order, the fixture object it is merged
 * into (at the dotted path, default the object itself; a number is a list position), `=` before it
 * to replace the keys the snippet gives instead of merging into them (a snippet that drops a field),
 * or `-` for a complete object that replaces the fixture's object of the same kind, namespace and
 * name, or is added. Merging: mappings key by
 * key; lists of mappings element by element, by `name` when both sides have one, else by position.
 */
import { parseAllDocuments } from 'yaml';

export interface FixSnippet {
  /** the code's section (its anchor) */
  section: string;
  /** 1-based line of the ```yaml fence */
  line: number;
  yaml: string;
  directive?: { code: string; fixture?: string; into?: string[]; unchecked?: string };
}

export function fixSnippets(markdown: string): FixSnippet[] {
  const lines = markdown.split('\n');
  const snippets: FixSnippet[] = [];
  let section = '';
  let inFix = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^(#{2,3}) (.*)$/.exec(line);
    if (heading) {
      section = heading[2]!.trim();
      inFix = false;
      continue;
    }
    if (line.startsWith('**Fix.**')) inFix = true;
    if (line.startsWith('```')) {
      const lang = line.slice(3).trim();
      const end = lines.indexOf('```', i + 1);
      if (inFix && lang === 'yaml') snippets.push({ section, line: i + 1, yaml: lines.slice(i + 1, end).join('\n'), directive: parseDirective(lines[i - 1] ?? '') });
      i = end;
    }
  }
  return snippets;
}

function parseDirective(line: string): FixSnippet['directive'] {
  const m = /^<!--\s*(.*?)\s*-->$/.exec(line.trim());
  if (!m) return undefined;
  const fields = Object.fromEntries(m[1]!.split(';').map((part) => {
    const at = part.indexOf(':');
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  }));
  if (!fields.fixes) return undefined;
  return {
    code: fields.fixes,
    fixture: fields.fixture,
    into: fields.into?.split(',').map((s: string) => s.trim()),
    unchecked: fields.unchecked,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function merge(base: unknown, patch: unknown): unknown {
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch)) {
    const out = [...base];
    patch.forEach((item, i) => {
      const named = isObj(item) && typeof item.name === 'string' ? out.findIndex((b) => isObj(b) && b.name === item.name) : -1;
      if (named >= 0) out[named] = merge(out[named], item);
      else if (isObj(item) && typeof item.name === 'string') out.push(item);
      else if (i < out.length) out[i] = merge(out[i], item);
      else out.push(item);
    });
    return out;
  }
  return patch;
}

const identity = (o: Obj) => {
  const meta = (o.metadata ?? {}) as Obj;
  return objectId(o.kind, meta.namespace, meta.name);
};

export interface Applied {
  objects: Obj[];
  /** `KIND/NS/NAME` of every object the snippet changed or added */
  touched: Set<string>;
}

export const objectId = (kind: unknown, namespace: unknown, name: unknown) => `${String(kind)}/${String(namespace ?? '')}/${String(name)}`;

/** The fixture's documents with the snippet applied as its directive says; throws on a directive that does not fit. */
export function applySnippet(fixtureText: string, snippet: FixSnippet): Applied {
  const touched = new Set<string>();
  const objects = parseAllDocuments(fixtureText).map((d) => d.toJS() as Obj).filter(isObj);
  const docs = parseAllDocuments(snippet.yaml, { uniqueKeys: true });
  const into = snippet.directive?.into ?? [];
  docs.forEach((doc, n) => {
    if (doc.errors.length) throw new Error(`document ${n + 1} is not valid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    const target = into[n];
    if (target === undefined) throw new Error(`document ${n + 1} has no place in "into"`);
    if (target === '-') {
      if (!isObj(value) || !value.kind || !(value.metadata as Obj | undefined)?.name) throw new Error(`document ${n + 1} is not a complete object`);
      const at = objects.findIndex((o) => identity(o) === identity(value));
      touched.add(identity(value));
      if (at >= 0) objects[at] = value;
      else objects.push(value);
      return;
    }
    const replace = target.startsWith('=');
    const [id, path] = target.replace(/^=/, '').split('@') as [string, string | undefined];
    const at = objects.findIndex((o) => identity(o) === id);
    if (at < 0) throw new Error(`the fixture has no ${id}`);
    touched.add(id);
    if (replace) {
      // `=KIND/NS/NAME@path`: the snippet's keys replace those at path whole (what the snippet leaves out is gone)
      if (!isObj(value)) throw new Error(`document ${n + 1} must be a mapping to replace keys`);
      const holder = (path ? path.split('.') : []).reduce<Obj>((o, key) => o[key] as Obj, objects[at]!);
      Object.assign(holder, value);
      return;
    }
    // a numeric segment is a list position (`spec.endpoints.0`)
    const wrapped = (path ? path.split('.').reverse() : []).reduce<unknown>((inner, key) => (/^\d+$/.test(key) ? [...Array<unknown>(Number(key)).fill({}), inner] : { [key]: inner }), value);
    objects[at] = merge(objects[at], wrapped) as Obj;
  });
  return { objects, touched };
}
