/**
 * The three patch types `kubectl patch --type` takes, with the API server's semantics, so that the
 * doctor can apply to its copy of the inventory exactly what the printed command would apply:
 *
 * - `merge`: RFC 7386 JSON merge patch (what custom resources accept): maps merge, `null` deletes,
 *   every other value, lists included, replaces.
 * - `strategic`: Kubernetes' strategic merge patch for built-in kinds: as `merge`, except that the
 *   lists Kubernetes declares with a patch merge key are merged element by element on that key
 *   (containers, volumes and env by `name`, volumeMounts by `mountPath`, container ports by
 *   `containerPort`, Service ports by `port`); an element `{"$patch": "delete", key: …}` removes one.
 * - `json`: RFC 6902 JSON patch (add, remove, replace, test, copy, move) for list elements by index.
 */

export type PatchType = 'merge' | 'strategic' | 'json';

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test' | 'copy' | 'move';
  path: string;
  value?: unknown;
  from?: string;
}

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (structuredClone(v as object) as T));

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return clone(patch);
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * The patch merge keys of the built-in types the fixes touch (k8s.io/api `patchMergeKey` tags), by
 * field name; a list field not named here is replaced whole, as Kubernetes does.
 */
const MERGE_KEYS: Record<string, (path: readonly string[]) => string | undefined> = {
  containers: () => 'name',
  initContainers: () => 'name',
  ephemeralContainers: () => 'name',
  volumes: () => 'name',
  env: () => 'name',
  imagePullSecrets: () => 'name',
  volumeMounts: () => 'mountPath',
  volumeDevices: () => 'devicePath',
  // a container's ports merge on containerPort, a Service's on port
  ports: (path) => (path.includes('containers') || path.includes('initContainers') ? 'containerPort' : 'port'),
  ownerReferences: () => 'uid',
  conditions: () => 'type',
};

/** Kubernetes' strategic merge patch, for the fields of built-in kinds that the fixes touch. */
export function strategicMergePatch(target: unknown, patch: unknown, path: readonly string[] = []): unknown {
  if (!isMap(patch)) return clone(patch);
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue; // directives ($setElementOrder, $retainKeys) only order or prune
    if (value === null) {
      delete out[key];
      continue;
    }
    const mergeKey = MERGE_KEYS[key]?.([...path, key]);
    if (Array.isArray(value) && mergeKey) out[key] = mergeList(Array.isArray(out[key]) ? (out[key] as unknown[]) : [], value, mergeKey, [...path, key]);
    else out[key] = strategicMergePatch(out[key], value, [...path, key]);
  }
  return out;
}

function mergeList(base: readonly unknown[], patch: readonly unknown[], mergeKey: string, path: readonly string[]): unknown[] {
  const keyOf = (e: unknown) => (isMap(e) ? e[mergeKey] : undefined);
  const serverIndex = (e: unknown) => (keyOf(e) === undefined ? -1 : base.findIndex((b) => keyOf(b) === keyOf(e)));
  // the patch's elements, merged with the server's of the same key, in patch order
  const fromPatch: { value: unknown; index: number }[] = [];
  const deleted = new Set<unknown>();
  for (const element of patch) {
    const index = serverIndex(element);
    if (isMap(element) && element.$patch === 'delete') {
      deleted.add(keyOf(element));
      continue;
    }
    fromPatch.push({ value: index >= 0 ? strategicMergePatch(base[index], element, path) : strategicMergePatch({}, element, path), index });
  }
  const touched = new Set<unknown>(patch.map(keyOf).filter((k) => k !== undefined));
  const serverOnly = base.map((value, index) => ({ value: clone(value as object), index })).filter((e) => !touched.has(keyOf(e.value as unknown)) && !deleted.has(keyOf(e.value)));
  // Kubernetes' normalizeElementOrder: a merge of the two lists by server position, new elements first.
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < fromPatch.length && j < serverOnly.length) out.push(fromPatch[i]!.index < serverOnly[j]!.index ? fromPatch[i++]!.value : serverOnly[j++]!.value);
  while (i < fromPatch.length) out.push(fromPatch[i++]!.value);
  while (j < serverOnly.length) out.push(serverOnly[j++]!.value);
  return out;
}

/** RFC 6901 pointer → tokens. */
function tokensOf(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`"${pointer}" is not a JSON pointer`);
  return pointer.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(doc: unknown, tokens: string[], pointer: string): { parent: Record<string, unknown> | unknown[]; last: string } {
  let node: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isMap(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw new PatchError(`path ${pointer}: "${token}" does not exist`);
  }
  if (!Array.isArray(node) && !isMap(node)) throw new PatchError(`path ${pointer}: the parent is not an object or list`);
  return { parent: node, last: tokens.at(-1)! };
}

function getAt(doc: unknown, pointer: string): unknown {
  let node: unknown = doc;
  for (const token of tokensOf(pointer)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isMap(node)) node = node[token];
    else return undefined;
  }
  return node;
}

const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isMap(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

function indexIn(list: unknown[], token: string, pointer: string, adding: boolean): number {
  if (adding && token === '-') return list.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`path ${pointer}: "${token}" is not a list index`);
  const i = Number(token);
  if (i > list.length || (!adding && i === list.length)) throw new PatchError(`path ${pointer}: index ${i} is out of range`);
  return i;
}

/** RFC 6902, all or nothing: a failed `test` or a missing path leaves the document unchanged (throws). */
export function jsonPatch(target: unknown, ops: readonly JsonPatchOp[]): unknown {
  const root = { doc: clone(target) as unknown };
  for (const op of ops) {
    const pointer = op.path;
    const tokens = ['doc', ...tokensOf(pointer)];
    const { parent, last } = parentOf(root, tokens, pointer);
    const add = (value: unknown) => {
      if (Array.isArray(parent)) parent.splice(indexIn(parent, last, pointer, true), 0, clone(value));
      else parent[last] = clone(value);
    };
    const remove = () => {
      if (Array.isArray(parent)) parent.splice(indexIn(parent, last, pointer, false), 1);
      else if (last in parent) delete parent[last];
      else throw new PatchError(`path ${pointer} does not exist`);
    };
    switch (op.op) {
      case 'add':
        add(op.value);
        break;
      case 'remove':
        remove();
        break;
      case 'replace':
        remove();
        add(op.value);
        break;
      case 'test':
        if (!deepEqual(getAt(root.doc, pointer), op.value)) throw new PatchError(`test failed at ${pointer}`);
        break;
      case 'copy':
      case 'move': {
        const value = getAt(root.doc, op.from ?? '');
        if (value === undefined) throw new PatchError(`path ${op.from} does not exist`);
        if (op.op === 'move') {
          const from = ['doc', ...tokensOf(op.from ?? '')];
          const p = parentOf(root, from, op.from ?? '');
          if (Array.isArray(p.parent)) p.parent.splice(Number(p.last), 1);
          else delete p.parent[p.last];
        }
        add(value);
        break;
      }
      default:
        throw new PatchError(`unknown operation ${(op as { op: string }).op}`);
    }
  }
  return root.doc;
}

/** Applies a patch of the given type, as `kubectl patch --type TYPE` would. */
export function applyPatch<T>(target: T, type: PatchType, patch: unknown): T {
  if (type === 'json') {
    if (!Array.isArray(patch)) throw new PatchError('a JSON patch is a list of operations');
    return jsonPatch(target, patch as JsonPatchOp[]) as T;
  }
  return (type === 'merge' ? mergePatch(target, patch) : strategicMergePatch(target, patch)) as T;
}

export type { Json };
