/**
 * SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, …), valid against
 * the OASIS schema: a rule per finding code, a result per warning or error finding (info findings
 * are facts, not results, unless --fail-on reaches them). Manifest findings point at file and line,
 * relative to %SRCROOT% (the working directory) when the file lies below it, as code scanning
 * resolves them against the checkout; the others carry a logical location. A rule links its docs
 * (`helpUri`) only with an absolute URL (a docs base is known); its help text names
 * `asm-prom explain CODE`, which works offline.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Location, Log, ReportingDescriptor, Result } from 'sarif';
import { ALL_CODES, CODES, docsAnchor } from '../core/codes.js';
import { SEVERITY_RANK, type Finding, type RunSummary } from '../core/types.js';
import { docsBase, docsUrl } from '../docs.js';
import { subjectLabel } from './human.js';
import type { ReporterOptions } from './types.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
export const SRCROOT = '%SRCROOT%';

/** --fix with -f: the edit of the file as a SARIF fix (artifactChanges with a replacement of the object's document). */
function sarifFixes(f: Finding, cwd: string): Pick<Result, 'fixes'> {
  const fix = f.fix;
  if (!fix || 'manual' in fix || !fix.edit) return {};
  const { edit } = fix;
  return {
    fixes: [{
      description: { text: `${fix.kubectl}${fix.verified ? '' : ` (not verified: ${fix.remaining.join(', ')})`}` },
      artifactChanges: [{
        artifactLocation: artifactLocationOf(edit.file, cwd),
        replacements: [{
          deletedRegion: { startLine: edit.startLine, charOffset: edit.charOffset, charLength: edit.charLength },
          insertedContent: { text: edit.text },
        }],
      }],
    }],
  };
}

export function renderSarif(summary: RunSummary, options: Partial<ReporterOptions> = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const base = docsBase();
  const rules = ALL_CODES.map((code): ReportingDescriptor => {
    const helpUri = docsUrl(docsAnchor(code), base);
    return {
      id: code,
      name: code,
      shortDescription: { text: code.toLowerCase().replaceAll('_', ' ') },
      help: { text: `Run \`asm-prom explain ${code}\` for what it means, how to confirm it and how to fix it (${docsAnchor(code)} in the package).` },
      ...(helpUri ? { helpUri } : {}),
      defaultConfiguration: { level: LEVEL[CODES[code].severity] },
      properties: { category: CODES[code].category },
    };
  });
  const threshold = options.failOn === 'warning' ? SEVERITY_RANK.warning : options.failOn === 'error' || !options.failOn ? SEVERITY_RANK.error : Infinity;
  // a result per problem; an info finding only when --fail-on would fail the run on it
  const reported = summary.findings.filter((f) => f.severity !== 'info' || threshold <= SEVERITY_RANK.info);
  let underRoot = false;
  const results = reported.map((f): Result => {
    const location = locationOf(f, cwd);
    if (location.physicalLocation?.artifactLocation?.uriBaseId) underRoot = true;
    return {
      ruleId: f.code,
      ruleIndex: ALL_CODES.indexOf(f.code as never),
      level: LEVEL[f.severity],
      message: { text: `${f.message} Hint: ${f.hint}` },
      locations: [location],
      ...sarifFixes(f, cwd),
      properties: { check: f.check, subject: f.subject, evidence: f.evidence, ...(f.fix ? { fix: f.fix } : {}) },
    };
  });
  const homepage = base?.href;
  const sarif: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'asm-prom', version: summary.tool.version, ...(homepage ? { informationUri: homepage } : {}), rules } },
        invocations: [{ executionSuccessful: summary.exitCode !== 3, exitCode: summary.exitCode }],
        ...(underRoot ? { originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(cwd) } } } : {}),
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function locationOf(f: Finding, cwd: string): Location {
  const file = f.subject.file;
  if (!file || file === '-') return { logicalLocations: [{ name: subjectLabel(f.subject), kind: 'resource' }] };
  const region = f.subject.line ? { region: { startLine: f.subject.line } } : {};
  return { physicalLocation: { artifactLocation: artifactLocationOf(file, cwd), ...region } };
}

/** A -f file: relative to %SRCROOT% when it lies below the working directory, else an absolute file: URI. */
function artifactLocationOf(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const absolute = resolve(cwd, file);
  const rel = relative(cwd, absolute);
  return rel && !rel.startsWith('..') && !isAbsolute(rel)
    ? { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT }
    : { uri: pathToFileURL(absolute).href };
}

/** A folder as a file: URI ending in `/`, as SARIF requires of a base. */
function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}
