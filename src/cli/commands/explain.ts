import { UsageError } from '../../core/errors.js';

// Placeholder until the lastError classifier lands (issue 6).
export async function explainCommand(_argv: { text: string; output: string }): Promise<number> {
  throw new UsageError('explain is not available yet');
}
