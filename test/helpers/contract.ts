/** The finding codes and severities as CONTRACT.md states them, read from the contract itself. */
import { readFileSync } from 'node:fs';

const contract = readFileSync(new URL('../../../shared/design/CONTRACT.md', import.meta.url), 'utf8');

export const CONTRACT_CODES: Record<string, string> = Object.fromEntries(
  [...contract.matchAll(/^\| `([A-Z_]+)` \| (error|warning|info) \|/gm)].map((m) => [m[1], m[2]]),
);
