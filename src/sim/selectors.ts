/**
 * Label and field selectors as the API server parses them from query strings
 * (k8s.io/apimachinery/pkg/labels and fields). A label selector is parsed into a LabelSelector and
 * matched by the model's `matchesLabels`, the same code the checks use.
 */
import type { KubeObject, LabelSelector, LabelSelectorRequirement } from '../model/k8s.js';
import { matchesLabels } from '../model/selectors.js';

export class SelectorError extends Error {}

type Matcher = (labels: Record<string, string>) => boolean;

/** Splits on commas outside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** One term of the query syntax as the LabelSelector requirement it stands for (`a!=b` is `a notin (b)`). */
function parseRequirement(text: string): LabelSelectorRequirement {
  let m = /^!\s*([^\s=!()]+)$/.exec(text);
  if (m) return { key: m[1], operator: 'DoesNotExist' };
  m = /^([^\s=!()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (m) return { key: m[1], operator: m[2] === 'in' ? 'In' : 'NotIn', values: m[3].split(',').map((v) => v.trim()).filter(Boolean) };
  m = /^([^\s=!()]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(text);
  if (m) return { key: m[1], operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3]] };
  m = /^([^\s=!()]+)$/.exec(text);
  if (m) return { key: m[1], operator: 'Exists' };
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(text)}`);
}

/** `labelSelector=` of a list request, matched by the model's own selector logic. */
export function parseLabelSelector(text: string): Matcher {
  const selector: LabelSelector = { matchExpressions: splitTopLevel(text).map(parseRequirement) };
  return (labels) => matchesLabels(selector, labels);
}

/** Fields every kind supports, and the extra ones some kinds do (as kube-apiserver's field label conversions). */
const FIELDS: Record<string, (o: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata?.name,
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
};
const KIND_FIELDS: Record<string, Record<string, (o: KubeObject) => string | undefined>> = {
  Pod: {
    'status.phase': (o) => (o.status as { phase?: string } | undefined)?.phase ?? '',
    'spec.nodeName': (o) => (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '',
    'spec.serviceAccountName': (o) => (o.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? '',
    'status.podIP': (o) => (o.status as { podIP?: string } | undefined)?.podIP ?? '',
    'spec.restartPolicy': (o) => (o.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always',
  },
  Secret: { type: (o) => (o as { type?: string }).type ?? '' },
  Namespace: { 'status.phase': (o) => (o.status as { phase?: string } | undefined)?.phase ?? 'Active' },
};

/** `fieldSelector=` of a list request: `a=b,c!=d`; an unsupported field is a 400, as the real server says. */
export function parseFieldSelector(text: string, kind: string): (o: KubeObject) => boolean {
  const tests = splitTopLevel(text).map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = m[1].trim();
    const read = FIELDS[field] ?? KIND_FIELDS[kind]?.[field];
    if (!read) throw new SelectorError(`"${field}" is not a known field selector: only "${[...Object.keys(FIELDS), ...Object.keys(KIND_FIELDS[kind] ?? {})].join('", "')}"`);
    const value = m[3].trim();
    return m[2] === '!=' ? (o: KubeObject) => read(o) !== value : (o: KubeObject) => read(o) === value;
  });
  return (o) => tests.every((t) => t(o));
}
