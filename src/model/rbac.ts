/**
 * Kubernetes RBAC, evaluated over the objects the inputs hold: which rules a ServiceAccount gets
 * cluster-wide (ClusterRoleBindings) and in a namespace (RoleBindings), and whether they allow a verb
 * on a resource. A binding to a role the inputs do not define, or to an aggregated ClusterRole whose
 * rules a controller fills in, makes the answer unknown rather than "denied".
 */
import type { RbacObjects } from './inventory.js';
import type { PolicyRule, Role, RoleBinding } from './k8s.js';
import { nameOf, namespaceOf } from './k8s.js';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** The rules bound to a ServiceAccount; `unknownRoles` names the roles whose rules cannot be known. */
export interface GrantedRules {
  clusterWide: PolicyRule[];
  byNamespace: Map<string, PolicyRule[]>;
  unknownRoles: string[];
}

/** Built-in ClusterRoles whose rules are fixed and not among manifests. */
const BUILT_IN_CLUSTER_ROLES: Record<string, PolicyRule[]> = {
  'cluster-admin': [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
};

/** Whether a binding subject names the ServiceAccount: directly, as its user name, or through its groups. */
function subjectMatches(subject: NonNullable<RoleBinding['subjects']>[number], sa: ServiceAccountRef, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'ServiceAccount':
      return subject.name === sa.name && (subject.namespace ?? bindingNamespace) === sa.namespace;
    case 'User':
      return subject.name === `system:serviceaccount:${sa.namespace}:${sa.name}`;
    case 'Group':
      return ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'].includes(subject.name ?? '');
    default:
      return false;
  }
}

export function grantedRules(rbac: RbacObjects, sa: ServiceAccountRef): GrantedRules {
  const granted: GrantedRules = { clusterWide: [], byNamespace: new Map(), unknownRoles: [] };
  const rulesOf = (roleRef: RoleBinding['roleRef'], bindingNamespace: string): PolicyRule[] | undefined => {
    const name = roleRef?.name ?? '';
    const role: Role | undefined = roleRef?.kind === 'Role'
      ? rbac.roles.find((r) => nameOf(r) === name && namespaceOf(r) === bindingNamespace)
      : rbac.clusterRoles.find((r) => nameOf(r) === name);
    if (role && role.aggregationRule === undefined) return role.rules ?? [];
    if (!role && roleRef?.kind !== 'Role' && BUILT_IN_CLUSTER_ROLES[name]) return BUILT_IN_CLUSTER_ROLES[name];
    granted.unknownRoles.push(`${roleRef?.kind ?? 'Role'} ${name}`);
    return undefined;
  };
  for (const binding of rbac.clusterRoleBindings) {
    if (!binding.subjects?.some((s) => subjectMatches(s, sa, ''))) continue;
    granted.clusterWide.push(...(rulesOf(binding.roleRef, '') ?? []));
  }
  for (const binding of rbac.roleBindings) {
    const namespace = namespaceOf(binding);
    if (!binding.subjects?.some((s) => subjectMatches(s, sa, namespace))) continue;
    const rules = rulesOf(binding.roleRef, namespace) ?? [];
    granted.byNamespace.set(namespace, [...(granted.byNamespace.get(namespace) ?? []), ...rules]);
  }
  return granted;
}

const includesOrStar = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === '*' || v === value);

/** A rule allows a verb on every object of a resource (a rule limited by resourceNames does not). */
export function ruleAllows(rule: PolicyRule, verb: string, apiGroup: string, resource: string): boolean {
  return !rule.resourceNames?.length && includesOrStar(rule.verbs, verb) && includesOrStar(rule.apiGroups, apiGroup) && includesOrStar(rule.resources, resource);
}

/** Whether the granted rules allow the verb on the resource in `namespace` (`*`: in every namespace, so cluster-wide only). */
export function allows(granted: GrantedRules, verb: string, apiGroup: string, resource: string, namespace: string): boolean {
  const rules = namespace === '*' ? granted.clusterWide : [...granted.clusterWide, ...(granted.byNamespace.get(namespace) ?? [])];
  return rules.some((r) => ruleAllows(r, verb, apiGroup, resource));
}
