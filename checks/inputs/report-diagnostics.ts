import type { CheckContext } from '../../src/core/check.js';
import type { Code } from '../../src/core/codes.js';

/** Re-emits, through the catalogue, what the sources noticed while reading (parse errors, 403s, …). */
export function reportDiagnostics(ctx: CheckContext, codes: readonly Code[]): void {
  for (const d of ctx.diagnostics()) {
    if (codes.includes(d.code)) ctx.report(d.code, d.args as never, { subject: d.subject, evidence: d.evidence });
  }
}

/** Inputs checks run last, so that every source has finished reading. */
export const AFTER_EVERYTHING = ['prometheus', 'monitors', 'certs', 'targets', 'prometheus-api'] as const;
