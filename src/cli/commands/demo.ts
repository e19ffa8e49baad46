import { UsageError } from '../../core/errors.js';

// Placeholder until the simulated mesh lands (issue 4).
export async function demoCommand(_argv: Record<string, unknown>): Promise<number> {
  throw new UsageError('demo is not available yet');
}
