/** The `kubectl patch` command of a fix, ready to paste into a POSIX shell. */
import type { PatchType } from './patch.js';

/** A single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function kubectlPatch(target: { kind: string; name: string; namespace?: string }, patchType: PatchType, patch: unknown): string {
  const ns = target.namespace ? ` -n ${target.namespace}` : '';
  return `kubectl patch ${target.kind.toLowerCase()} ${target.name}${ns} --type ${patchType} -p ${shellQuote(JSON.stringify(patch))}`;
}

/** New objects: one line that hands kubectl a List of them (`kubectl create role` would need the cluster to check resource names). */
export function kubectlApply(objects: readonly unknown[]): string {
  return `echo ${shellQuote(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }))} | kubectl apply -f -`;
}
