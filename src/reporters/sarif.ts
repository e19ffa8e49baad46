/**
 * SARIF 2.1.0 for code-scanning dashboards: a rule per finding code (with its docs anchor), a result
 * per finding; manifest findings point at file and line, the others carry a logical location.
 */
import { ALL_CODES, CODES, docsAnchor } from '../core/codes.js';
import type { Finding, RunSummary } from '../core/types.js';
import { subjectLabel } from './human.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

/** --fix with -f: the edit of the file as a SARIF fix (artifactChanges with a replacement of the object's document). */
function sarifFixes(f: Finding): { fixes?: object[] } {
  const fix = f.fix;
  if (!fix || 'manual' in fix || !fix.edit) return {};
  const { edit } = fix;
  return {
    fixes: [{
      description: { text: `${fix.kubectl}${fix.verified ? '' : ` (not verified: ${fix.remaining.join(', ')})`}` },
      artifactChanges: [{
        artifactLocation: { uri: edit.file },
        replacements: [{
          deletedRegion: { startLine: edit.startLine, charOffset: edit.charOffset, charLength: edit.charLength },
          insertedContent: { text: edit.text },
        }],
      }],
    }],
  };
}

export function renderSarif(summary: RunSummary): string {
  const rules = ALL_CODES.map((code) => ({
    id: code,
    name: code,
    shortDescription: { text: code.toLowerCase().replaceAll('_', ' ') },
    helpUri: docsAnchor(code),
    defaultConfiguration: { level: LEVEL[CODES[code].severity] },
    properties: { category: CODES[code].category },
  }));
  const results = summary.findings.map((f) => ({
    ruleId: f.code,
    ruleIndex: ALL_CODES.indexOf(f.code as never),
    level: LEVEL[f.severity],
    message: { text: `${f.message} Hint: ${f.hint}` },
    locations: [
      f.subject.file && f.subject.file !== '-'
        ? { physicalLocation: { artifactLocation: { uri: f.subject.file }, ...(f.subject.line ? { region: { startLine: f.subject.line } } : {}) } }
        : { logicalLocations: [{ name: subjectLabel(f.subject), kind: 'resource' }] },
    ],
    ...sarifFixes(f),
    properties: { check: f.check, subject: f.subject, evidence: f.evidence, ...(f.fix ? { fix: f.fix } : {}) },
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'asm-prom', version: summary.tool.version, informationUri: 'docs/checks.md', rules } },
        invocations: [{ executionSuccessful: summary.exitCode !== 3, exitCode: summary.exitCode }],
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
