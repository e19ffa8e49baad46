/**
 * The SARIF 2.1.0 JSON schema as published by the SARIF authors (OASIS 2.1.0 rtm.5, the version
 * GitHub code scanning accepts), shipped in the registry package @microsoft/jest-sarif; compiled
 * with ajv for draft-04, its dialect, with formats (uri, date-time) checked.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import formats from 'ajv-formats';

const require = createRequire(import.meta.url);
// CommonJS default exports, as TypeScript sees them from ESM under NodeNext
const Ajv = AjvDraft04 as unknown as typeof AjvDraft04.default;
const addFormats = formats as unknown as typeof formats.default;
export const SARIF_SCHEMA_PATH = join(dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib/schemas/sarif-2.1.0-rtm.5.json');

export function sarifValidator() {
  // the schema's language-tag pattern is not valid in unicode mode (a stray `]`), as written upstream
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA_PATH, 'utf8')) as object);
  return (log: unknown): string[] => (validate(log) ? [] : (validate.errors ?? []).map((e: { instancePath: string; message?: string; keyword: string }) => `${e.instancePath} ${e.message ?? e.keyword}`));
}
