/**
 * Errors that end a run with a known exit code. A UsageError is the user's to fix (exit 2, one line);
 * anything else that escapes is a bug (exit 3).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One line, never a stack: for messages built from arbitrary thrown values. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
