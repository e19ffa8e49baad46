import type { RunSummary } from '../core/types.js';

/** Exactly the CONTRACT shape, one document. */
export function renderJson(summary: RunSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}
