/**
 * Where a user reads about a finding: docs/checks.md of the installed package (package.json's
 * `files` ships docs/), and an absolute URL only when a docs base is known: `ASM_PROM_DOCS_URL`
 * (a company mirror) or package.json's `homepage` (none while the project has no public home; never
 * invented). A code's section is found by its anchor, the kebab-case code.
 *
 * This module sits one folder below the package root, as the bundles in dist/ do, so that
 * `../docs` and `../package.json` resolve the same from source and from an installed package.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from './core/errors.js';

export const DOCS_URL_ENV = 'ASM_PROM_DOCS_URL';

/** The installed docs/checks.md, wherever the command is run from. */
export const CHECKS_DOC_PATH = fileURLToPath(new URL('../docs/checks.md', import.meta.url));

function homepage(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { homepage?: unknown };
    return typeof pkg.homepage === 'string' && pkg.homepage ? pkg.homepage : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The URL the package's folder is published under (docs/checks.md is read below it), or undefined.
 * A malformed ASM_PROM_DOCS_URL is a usage error, not a silently missing link.
 */
export function docsBase(env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const given = env[DOCS_URL_ENV];
  const raw = given || homepage();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`${given ? DOCS_URL_ENV : 'package.json homepage'} must be an absolute http(s) URL (got ${JSON.stringify(raw)})`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** `docs/checks.md#key-mismatch` → an absolute URL under the docs base, or undefined without one. */
export function docsUrl(anchorPath: string, base: URL | undefined = docsBase()): string | undefined {
  return base ? new URL(anchorPath, base).href : undefined;
}

/** The markdown section of docs/checks.md whose heading's anchor is `anchor`, up to the next heading of its level or above. */
export function docsSection(markdown: string, anchor: string): string | undefined {
  const lines = markdown.split('\n');
  let fenced = false;
  let start = -1;
  let level = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (!heading) continue;
    if (start >= 0 && heading[1]!.length <= level) return lines.slice(start, i).join('\n').trimEnd();
    if (start < 0 && slug(heading[2]!) === anchor) {
      start = i;
      level = heading[1]!.length;
    }
  }
  return start >= 0 ? lines.slice(start).join('\n').trimEnd() : undefined;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(text: string): string {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}
