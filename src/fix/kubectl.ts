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
