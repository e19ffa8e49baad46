/**
 * The manifest source (-f): files, folders (recursively *.yaml, *.yml, *.json) and stdin; multi-document
 * YAML and JSON, `kind: List`. Every object keeps its file and line; a document that does not parse
 * becomes MANIFEST_PARSE_ERROR and the others are still diagnosed. What the manifests do not state is
 * unknown, not assumed: a resource with no object is unavailable, with the reason.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Composer, LineCounter, Parser, isMap, isSeq, visit, type CST, type Document } from 'yaml';
import { UsageError, oneLine } from '../core/errors.js';
import { Unavailable, type Providers, type ResourceStore } from '../core/resources.js';
import type { KubeObject, Monitor, PeerAuthentication, Role, RoleBinding, Service } from '../model/k8s.js';
import type { TargetWorkload } from '../model/inventory.js';
import { nameOf, namespaceOf } from '../model/k8s.js';
import { sanitizeObject } from '../model/sanitize.js';
import { templateAsInjected } from '../model/injected.js';
import { podTemplateOf, prometheusPodsFromManifests, isPrometheusResource } from '../model/prometheus.js';
import { matchesScraper, scraperPodsFromManifests } from '../model/scraper.js';
import { isOtherProductsMonitor } from '../model/selectors.js';
import { withAlloySelection } from './scraper-configs.js';
import { isScrapeConfigObject } from '../model/scrape-config-crd.js';

export interface ManifestFile {
  /** the name findings carry: as given on the command line, `-` for stdin */
  name: string;
  text: string;
  /** why the bytes are no text at all (then `text` is empty): a parse error, as kubectl reports it */
  undecodable?: { line: number; reason: string };
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/** Resolves -f arguments to files; a path that does not exist is a usage error (exit 2). */
export function readManifestFiles(paths: readonly string[], stdin?: string): ManifestFile[] {
  const files: ManifestFile[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push({ name: '-', text: stdin ?? '' });
      continue;
    }
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new UsageError(`-f ${path}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const found = walk(path);
      // as kubectl apply: a folder without manifests is a mistake in the command, not a clean bill
      if (!found.length) throw new UsageError(`-f ${path}: no *.yaml, *.yml or *.json files in this folder`);
      for (const file of found) files.push({ name: file, ...readText(file) });
    } else {
      files.push({ name: path, ...readText(path) });
    }
  }
  return files;
}

function readText(path: string): Omit<ManifestFile, 'name'> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`-f ${path}: ${oneLine(error)}`);
  }
  return decodeManifest(bytes);
}

/**
 * The text of a manifest as kubectl's YAML reader takes it: UTF-8 (a BOM dropped), or UTF-16 with
 * a BOM (what Windows PowerShell's `>` writes). Other bytes are refused there ("invalid leading
 * UTF-8 octet"), so here too: a parse error at the first bad byte's line, never replacement characters.
 */
export function decodeManifest(bytes: Buffer): Omit<ManifestFile, 'name'> {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes) };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes) };
  const text = new TextDecoder('utf-8').decode(bytes); // drops a UTF-8 BOM
  if (isUtf8(bytes)) return { text };
  const line = text.slice(0, Math.max(0, text.indexOf('\uFFFD'))).split('\n').length;
  return { text: '', undecodable: { line, reason: 'the file is not UTF-8 text (a binary file, or another encoding)' } };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (MANIFEST_EXTENSIONS.test(entry.name)) out.push(full);
  }
  return out;
}

export interface ParsedObject {
  object: KubeObject;
  file: string;
  line: number;
  /** the document's own text from its first content line (kept for ConfigMaps, Secrets and Prometheus configuration) */
  text?: string;
}

/** Document texts of manifest objects that may hold Prometheus configuration, with the line they start at. */
export const documentTexts = new WeakMap<object, { text: string; line: number }>();
const KEEPS_TEXT = (value: Record<string, unknown>) =>
  value.kind === undefined || value.kind === 'ConfigMap' || value.kind === 'Secret' || value.kind === 'OpenTelemetryCollector' || value.kind === 'VMAgent';

export interface ParseResult {
  objects: ParsedObject[];
  errors: ParseError[];
}

/** Parses every document of every file; bad documents are reported, never thrown. */
export function parseManifestInputs(files: readonly ManifestFile[]): ParseResult {
  const parsed = parseManifests(files);
  if (!parsed.objects.length && !parsed.errors.length)
    throw new UsageError(`-f ${files.map((f) => f.name).join(', ')}: no Kubernetes objects to diagnose`);
  return parsed;
}


/**
 * How deep a document may nest (mappings and lists inside each other). Kubernetes objects nest a few
 * dozen levels at most; the YAML reader recurses once per level, so a deeper document (valid YAML,
 * but thousands of levels deep) is refused with its file and line instead of exhausting the stack.
 */
export const MAX_MANIFEST_DEPTH = 256;

export interface ParseError {
  file: string;
  line?: number;
  reason: string;
  /** the document is valid YAML/JSON but nests deeper than MAX_MANIFEST_DEPTH */
  tooDeep?: boolean;
}

export function parseManifests(files: readonly ManifestFile[]): ParseResult {
  const result: ParseResult = { objects: [], errors: [] };
  for (const file of files) {
    if (file.undecodable) {
      result.errors.push({ file: file.name, ...file.undecodable });
      continue;
    }
    const lineCounter = new LineCounter();
    const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
    let docs: Document.Parsed[];
    try {
      const tokens = withinDepth(new Parser(lineCounter.addNewLine).parse(file.text), (offset, depthAt) =>
        result.errors.push({
          file: file.name,
          line: lineAt(offset),
          tooDeep: true,
          reason: `the document nests more than ${MAX_MANIFEST_DEPTH} levels deep (line ${lineAt(depthAt)}); asm-prom reads documents up to ${MAX_MANIFEST_DEPTH} levels deep and skipped this one`,
        }),
      );
      docs = [...new Composer({ uniqueKeys: false, logLevel: 'error' }).compose(tokens)] as Document.Parsed[];
    } catch (error) {
      result.errors.push({ file: file.name, reason: oneLine(error) });
      continue;
    }
    for (const doc of docs) {
      if (doc.errors.length) {
        const first = doc.errors[0]!;
        result.errors.push({ file: file.name, line: lineAt(first.pos?.[0]), reason: first.message.split('\n')[0]! });
        continue;
      }
      const cycle = selfReference(doc);
      if (cycle) {
        // go-yaml refuses it too ("anchor 'm' value contains itself"); the object would be infinite
        result.errors.push({ file: file.name, line: lineAt(cycle.offset), reason: `the alias *${cycle.name} is inside the anchor &${cycle.name} it refers to (the object would contain itself)` });
        continue;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (error) {
        // aliases that expand beyond reason (a "billion laughs" document), refused as go-yaml does
        result.errors.push({ file: file.name, line: lineAt(firstContentOffset(doc)), reason: oneLine(error) });
        continue;
      }
      if (value === null || value === undefined) continue; // empty document
      const docLine = lineAt(firstContentOffset(doc));
      if (!isObject(value)) {
        result.errors.push({ file: file.name, line: docLine, reason: 'the document is not a Kubernetes object (a mapping)' });
        continue;
      }
      if (value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))) {
        const itemsNode = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
        if (value.items === undefined || value.items === null) continue; // an empty list
        if (!Array.isArray(value.items)) {
          const line = lineAt((itemsNode as { range?: [number] } | undefined)?.range?.[0] ?? firstContentOffset(doc));
          result.errors.push({ file: file.name, line, reason: `items of a kind: ${value.kind} must be a list, not ${describeType(value.items)}` });
          continue;
        }
        value.items.forEach((item, i) => {
          const node = isSeq(itemsNode) ? itemsNode.items[i] : undefined;
          const line = lineAt((node as { range?: [number] } | undefined)?.range?.[0]) ?? docLine;
          if (isObject(item)) result.objects.push({ object: item as KubeObject, file: file.name, line });
          else result.errors.push({ file: file.name, line, reason: `items[${i}] is not a Kubernetes object` });
        });
        continue;
      }
      const start = firstContentOffset(doc);
      const text = KEEPS_TEXT(value) && start !== undefined ? file.text.slice(start, doc.range[2]) : undefined;
      result.objects.push({ object: value as KubeObject, file: file.name, line: docLine, ...(text !== undefined ? { text } : {}) });
    }
  }
  return result;
}

function describeType(v: unknown): string {
  if (isObject(v)) return 'a mapping';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * The parser's tokens without the documents that nest deeper than MAX_MANIFEST_DEPTH (each reported
 * with the offset of the document and of the first level too deep). The parser itself keeps an
 * explicit stack; only composing recurses, so the depth is measured here, iteratively.
 */
function* withinDepth(tokens: Iterable<CST.Token>, tooDeep: (docOffset: number, at: number) => void): Generator<CST.Token> {
  let skippedDoc = false;
  for (const token of tokens) {
    if (token.type === 'document') {
      const at = deeperThanLimit(token);
      skippedDoc = at !== undefined;
      if (at !== undefined) {
        tooDeep(token.value?.offset ?? token.offset, at);
        continue;
      }
    } else if (token.type === 'doc-end' && skippedDoc) {
      skippedDoc = false;
      continue;
    }
    yield token;
  }
}

/** The offset of the first collection nested deeper than MAX_MANIFEST_DEPTH, if any. */
function deeperThanLimit(doc: CST.Document): number | undefined {
  const stack: [CST.Token, number][] = doc.value ? [[doc.value, 0]] : [];
  while (stack.length) {
    const [token, outer] = stack.pop()!;
    if (!COLLECTIONS.has(token.type)) continue;
    const depth = outer + 1;
    if (depth > MAX_MANIFEST_DEPTH) return token.offset;
    for (const item of (token as CST.BlockMap | CST.BlockSequence | CST.FlowCollection).items) {
      if (item.key) stack.push([item.key, depth]);
      if (item.value) stack.push([item.value, depth]);
    }
  }
  return undefined;
}

/** An alias inside the very node its anchor names (`metadata: &m {loop: *m}`), which has no finite value. */
function selfReference(doc: Document.Parsed): { name: string; offset: number | undefined } | undefined {
  let found: { name: string; offset: number | undefined } | undefined;
  visit(doc, {
    Alias(_, node, path) {
      const target = node.resolve(doc);
      if (target && path.includes(target)) {
        found = { name: node.source, offset: node.range?.[0] };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function firstContentOffset(doc: Document.Parsed): number | undefined {
  return (doc.contents as { range?: [number] } | null)?.range?.[0];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** -n and --prometheus: which Prometheus to diagnose, as against a cluster. */
export interface PrometheusScope {
  namespace?: string;
  name?: string;
  /** --scraper KIND/NAME: the scraper's kind (--prometheus NAME: Prometheus) */
  kind?: string;
}

/** Providers for every Kubernetes resource the manifests can give. */
export function manifestProviders(store: ResourceStore, parsed: ParseResult, scope: PrometheusScope = {}, cwd = process.cwd()): Providers {
  const objects: KubeObject[] = [];
  for (const p of parsed.objects) {
    const object = sanitizeObject(p.object);
    store.locations.set(object, { file: displayPath(p.file, cwd), line: p.line });
    store.asWritten.set(object, p.object);
    if (p.text !== undefined) documentTexts.set(object, { text: p.text, line: p.line });
    objects.push(object);
  }
  for (const e of parsed.errors) {
    const file = displayPath(e.file, cwd);
    store.diagnose('MANIFEST_PARSE_ERROR', { file, line: e.line, reason: e.reason, ...(e.tooDeep ? { tooDeep: true } : {}) }, { kind: 'File', file, ...(e.line ? { line: e.line } : {}) });
  }
  const ofKind = <T extends KubeObject>(...kinds: string[]) => objects.filter((o) => kinds.includes(o.kind ?? '')) as T[];
  const known = <T>(items: T[], reason: string): T[] => {
    if (!items.length) throw new Unavailable(reason);
    return items;
  };

  // -n and --prometheus narrow the Prometheus judged (a resource or workload by its name, or its pod's).
  // Naming one the manifests do not hold is PROMETHEUS_NOT_FOUND, as against a cluster; without
  // --prometheus, manifests that hold no Prometheus at all just leave it unknown.
  const inScope = (namespace: string, names: string[]) => (!scope.namespace || namespace === scope.namespace) && (!scope.name || names.includes(scope.name));
  const allPods = [...prometheusPodsFromManifests(objects), ...scraperPodsFromManifests(objects).map((p) => withAlloySelection(p, objects))];
  const pods = allPods.filter((pp) => inScope(pp.namespace, [nameOf(pp.subject), nameOf(pp.pod)]) && matchesScraper(pp, scope.kind, undefined));
  const resources = objects.filter(isPrometheusResource).filter((r) => inScope(namespaceOf(r), [nameOf(r)]) && (!scope.kind || scope.kind === 'Prometheus'));
  const where = `${scope.kind ? `of kind ${scope.kind} ` : ''}${scope.name ? `named ${scope.name} ` : ''}${scope.namespace ? `in namespace ${scope.namespace}` : 'in any namespace'}`;
  if ((scope.namespace || scope.name || scope.kind) && !pods.length && (allPods.length || scope.name))
    store.diagnose('PROMETHEUS_NOT_FOUND', { scope: `${where} of the manifests` }, { kind: scope.kind ?? 'Prometheus', ...(scope.namespace ? { namespace: scope.namespace } : {}) });
  const scoped = scope.namespace || scope.name || scope.kind ? ` ${where}` : '';

  return {
    manifestFiles: () => [...new Set([...parsed.objects, ...parsed.errors].map((o) => displayPath(o.file, cwd)))],
    objects: () => objects,
    prometheusResources: () => known(resources, `no Prometheus resource${scoped} in the manifests`),
    prometheusPods: () => known(pods, `no Prometheus resource or workload${scoped} in the manifests`),
    // VictoriaMetrics' VMServiceScrape/VMPodScrape have the ServiceMonitor/PodMonitor shape (endpoints, tlsConfig)
    serviceMonitors: () => ofKind<Monitor>('ServiceMonitor', 'VMServiceScrape').filter((m) => !isOtherProductsMonitor(m)),
    podMonitors: () => ofKind<Monitor>('PodMonitor', 'VMPodScrape').filter((m) => !isOtherProductsMonitor(m)),
    scrapeConfigObjects: () => objects.filter(isScrapeConfigObject),
    services: () => known(ofKind<Service>('Service'), 'no Service in the manifests'),
    endpointSlices: () => {
      throw new Unavailable('endpoints are known only in a live cluster');
    },
    workloads: () =>
      known(
        objects.filter((o) => WORKLOAD_KINDS.has(o.kind ?? '')).flatMap((o): TargetWorkload[] => {
          const template = podTemplateOf(o);
          // Judged as the pods the injector makes: with the labels and annotations it adds to every injected pod.
          const namespaceObject = ofKind('Namespace').find((n) => nameOf(n) === namespaceOf(o));
          return template ? [{ object: o, namespace: namespaceOf(o), template: templateAsInjected(o, template, namespaceObject) }] : [];
        }),
        'no workload (Deployment, StatefulSet, Pod, …) in the manifests',
      ),
    namespaces: () => ofKind('Namespace'),
    peerAuthentications: () =>
      known(ofKind<PeerAuthentication>('PeerAuthentication'), 'no PeerAuthentication in the manifests: the mTLS mode of the targets is unknown'),
    meshRootNamespace: () => 'istio-system',
    rbac: () => {
      const rbac = {
        serviceAccounts: ofKind('ServiceAccount'),
        roles: ofKind<Role>('Role'),
        clusterRoles: ofKind<Role>('ClusterRole'),
        roleBindings: ofKind<RoleBinding>('RoleBinding'),
        clusterRoleBindings: ofKind<RoleBinding>('ClusterRoleBinding'),
      };
      if (!rbac.roles.length && !rbac.clusterRoles.length && !rbac.roleBindings.length && !rbac.clusterRoleBindings.length)
        throw new Unavailable('no Role, ClusterRole or binding in the manifests');
      return rbac;
    },
  };
}

function displayPath(file: string, cwd: string): string {
  if (file === '-') return '-';
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}
