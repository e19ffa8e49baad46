import { SEVERITY_RANK, type CheckResult, type FailOn, type Finding } from './types.js';

/**
 * The process's exit code, as CONTRACT.md promises: 3 when a check crashed, 1 when a finding is at or
 * above `failOn`, else 0. Skipped checks never count; the output format never matters.
 */
export function exitCodeFor(checks: readonly CheckResult[], findings: readonly Finding[], failOn: FailOn): number {
  if (checks.some((c) => c.status === 'crash')) return 3;
  if (failOn === 'never') return 0;
  const threshold = SEVERITY_RANK[failOn];
  return findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
}
