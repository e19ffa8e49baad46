/**
 * Access decisions: the doctor's own user is allowed everything except what the scenario forbids;
 * other users (SubjectAccessReview, e.g. Prometheus's service account) are judged by the
 * scenario's Roles, ClusterRoles and their bindings, as the RBAC authorizer does.
 */
import type { PolicyRule, Role, RoleBinding } from '../model/k8s.js';
import type { ClusterState } from './cluster.js';
import type { ForbidRule } from './scenario.js';

export interface ResourceAttributes {
  verb: string;
  group: string;
  /** with the subresource: `pods/exec` */
  resource: string;
  /** '' at cluster scope */
  namespace: string;
  name?: string;
}

/**
 * A forbid rule naming a namespace also denies the cluster scope: a user who may not list pods in
 * one namespace may not list them in all of them.
 */
export function isForbidden(rules: readonly ForbidRule[] | undefined, a: ResourceAttributes): boolean {
  return (rules ?? []).some((r) =>
    (r.verb === '*' || r.verb === a.verb)
    && (r.group === undefined || r.group === a.group)
    && (r.resource === '*' || r.resource === a.resource)
    && (r.namespace === undefined || r.namespace === '*' || a.namespace === '' || r.namespace === a.namespace));
}

/** The kube-apiserver wording of a denial. */
export function forbiddenMessage(user: string, a: ResourceAttributes): string {
  const [resource, subresource] = a.resource.split('/');
  const what = `${resource}${a.group ? `.${a.group}` : ''}${a.name ? ` "${a.name}"` : ''}`;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${what} is forbidden: User "${user}" cannot ${a.verb} resource "${resource}"${subresource ? `/${subresource}` : ''} in API group "${a.group}" ${scope}`;
}

const covers = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === '*' || v === value);

function ruleAllows(rule: PolicyRule, a: ResourceAttributes): boolean {
  return covers(rule.apiGroups, a.group) && covers(rule.resources, a.resource) && covers(rule.verbs, a.verb)
    && (!rule.resourceNames?.length || (a.name !== undefined && rule.resourceNames.includes(a.name)));
}

function bindsUser(binding: RoleBinding, user: string, groups: readonly string[]): boolean {
  return (binding.subjects ?? []).some((s) => {
    if (s.kind === 'ServiceAccount') return user === `system:serviceaccount:${s.namespace ?? binding.metadata?.namespace}:${s.name}`;
    if (s.kind === 'Group') return s.name !== undefined && groups.includes(s.name);
    return s.name === user;
  });
}

/** RBAC: a ClusterRoleBinding anywhere, or a RoleBinding in the request's namespace, grants it. */
export function rbacAllows(state: ClusterState, user: string, groups: readonly string[], a: ResourceAttributes): boolean {
  const rulesOf = (ref: RoleBinding['roleRef'], namespace: string | undefined): PolicyRule[] => {
    const role = ref?.kind === 'ClusterRole'
      ? (state.ofKind('ClusterRole') as Role[]).find((r) => r.metadata?.name === ref.name)
      : (state.ofKind('Role', namespace) as Role[]).find((r) => r.metadata?.name === ref?.name);
    return role?.rules ?? [];
  };
  const bindings: { binding: RoleBinding; namespace?: string }[] = [
    ...(state.ofKind('ClusterRoleBinding') as RoleBinding[]).map((binding) => ({ binding })),
    ...(a.namespace ? (state.ofKind('RoleBinding', a.namespace) as RoleBinding[]).map((binding) => ({ binding, namespace: a.namespace })) : []),
  ];
  return bindings.some(({ binding, namespace }) => bindsUser(binding, user, groups) && rulesOf(binding.roleRef, namespace).some((rule) => ruleAllows(rule, a)));
}
