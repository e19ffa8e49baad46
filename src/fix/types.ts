/** The `fix` of a finding (CONTRACT.md, JSON output, `findings[].fix`). */
import type { PatchType } from './patch.js';

export interface FixTarget {
  kind: string;
  namespace?: string;
  name: string;
  /** -f: the manifest file and line of the object patched */
  file?: string;
  line?: number;
}

/** -f: the object's document as it reads after the fix, replacing lines startLine..endLine of file. */
export interface FileEdit {
  file: string;
  startLine: number;
  endLine: number;
  /** the same span in characters (SARIF's charOffset/charLength) */
  charOffset: number;
  charLength: number;
  text: string;
}

export interface MechanicalFix {
  target: FixTarget;
  patchType: PatchType;
  /** merge and strategic: the patch object; json: the list of operations; a new object: the object itself */
  patch: unknown;
  /** a command that applies it (`kubectl patch …`, or `kubectl create …` for a new object) */
  kubectl: string;
  /** the finding is gone from the re-run checks and nothing new at error appeared */
  verified: boolean;
  /** codes still found after the fix (the finding's own, or new errors) */
  remaining: string[];
  /** live: what makes the running pods take the change (the injector reads annotations only at pod creation) */
  restart?: string;
  /** the target does not exist yet: the patch is the whole new object */
  create?: true;
  edit?: FileEdit;
}

export interface ManualFix {
  manual: true;
  /** why no patch is given (the finding's hint says what to do) */
  reason?: string;
}

export type FindingFix = MechanicalFix | ManualFix;

export const isManual = (fix: FindingFix): fix is ManualFix => 'manual' in fix;
