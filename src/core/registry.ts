import type { Check } from './check.js';
import { CODES } from './codes.js';
import { categoryOfCheckId } from './runner.js';

const ID = /^[a-z]+(-[a-z]+)*\.[a-z0-9]+(-[a-z0-9]+)*$/;

/** Fails loudly at load on what would make a check misbehave later: bad or duplicate ids, unknown codes. */
export function validateRegistry(checks: readonly Check[]): readonly Check[] {
  const seen = new Set<string>();
  for (const check of checks) {
    if (!ID.test(check.id)) throw new Error(`check id "${check.id}" is not <category>.<kebab-name>`);
    if (categoryOfCheckId(check.id) !== check.category) throw new Error(`check ${check.id} is not in category ${check.category}`);
    if (seen.has(check.id)) throw new Error(`two checks share the id ${check.id}`);
    seen.add(check.id);
    for (const code of check.codes) if (!Object.hasOwn(CODES, code)) throw new Error(`check ${check.id} declares unknown code ${code}`);
  }
  return checks;
}
