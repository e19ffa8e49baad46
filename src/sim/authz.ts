/**
 * Istio AuthorizationPolicy, as a sidecar enforces it on an HTTP request, reduced to what decides
 * whether Prometheus may scrape: DENY policies first, then ALLOW policies (if any applies to the
 * workload, a request must match one of their rules). Sources are matched by principal
 * (`cluster.local/ns/<ns>/sa/<sa>`, from the client certificate), namespaces and notPrincipals;
 * operations by ports, paths and methods. Unknown fields make a rule match nothing, as Istio's
 * conservative handling does for ALLOW.
 */
import type { KubeObject } from '../model/k8s.js';
import { matchesLabels } from '../model/selectors.js';

export interface AuthzRequest {
  /** `cluster.local/ns/x/sa/y`, or undefined for plain text */
  principal?: string;
  port: number;
  path: string;
  method: string;
}

interface Rule {
  from?: { source?: { principals?: string[]; notPrincipals?: string[]; namespaces?: string[] } }[];
  to?: { operation?: { ports?: string[]; paths?: string[]; methods?: string[] } }[];
}

interface AuthorizationPolicy extends KubeObject {
  spec?: { selector?: { matchLabels?: Record<string, string> }; action?: string; rules?: Rule[] };
}

/** Istio's string match: exact, `prefix*`, `*suffix`, or `*`. */
function matchesValue(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

const anyMatch = (patterns: string[] | undefined, value: string | undefined) => !patterns || patterns.some((p) => matchesValue(p, value));

function ruleMatches(rule: Rule, request: AuthzRequest): boolean {
  const namespace = /\/ns\/([^/]+)\//.exec(request.principal ?? '')?.[1];
  const fromOk = !rule.from || rule.from.some(({ source = {} }) =>
    anyMatch(source.principals, request.principal) && anyMatch(source.namespaces, namespace)
    && !(source.notPrincipals ?? []).some((p) => matchesValue(p, request.principal)));
  const toOk = !rule.to || rule.to.some(({ operation = {} }) =>
    anyMatch(operation.ports, String(request.port)) && anyMatch(operation.paths, request.path) && anyMatch(operation.methods, request.method));
  return fromOk && toOk;
}

/** Whether the request is denied (403 `RBAC: access denied`) by the policies applying to the pod. */
export function authorizationDenies(policies: readonly KubeObject[], rootNamespace: string, namespace: string, podLabels: Record<string, string>, request: AuthzRequest): boolean {
  const applying = (policies as AuthorizationPolicy[]).filter((p) => {
    const ns = p.metadata?.namespace;
    if (ns !== namespace && ns !== rootNamespace) return false;
    return !p.spec?.selector || matchesLabels(p.spec.selector, podLabels);
  });
  const action = (p: AuthorizationPolicy) => p.spec?.action ?? 'ALLOW';
  if (applying.some((p) => action(p) === 'DENY' && (p.spec?.rules ?? []).some((r) => ruleMatches(r, request)))) return true;
  const allows = applying.filter((p) => action(p) === 'ALLOW');
  return allows.length > 0 && !allows.some((p) => (p.spec?.rules ?? []).some((r) => ruleMatches(r, request)));
}
