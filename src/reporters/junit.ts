/**
 * JUnit XML for CI dashboards: a test suite per category, a test case per check. Errors are
 * failures (and warnings too under --fail-on warning, so that a dashboard shows what failed the
 * run), the other findings go to system-out, skipped checks are skipped, crashes are errors.
 */
import { SEVERITY_RANK, type CheckResult, type Finding, type RunSummary } from '../core/types.js';
import { subjectLabel } from './human.js';
import type { ReporterOptions } from './types.js';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch]!)
    // XML 1.0 forbids most control characters, even escaped
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

const line = (f: Finding) => `${f.code} ${subjectLabel(f.subject)}: ${f.message} (hint: ${f.hint}; ${f.docs})`;

/** What a dashboard shows in its list of failures: the first finding's code and message, and how many more the body holds. */
function failureMessage(findings: readonly Finding[]): string {
  const [first] = findings;
  const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : '';
  return `${first!.code}: ${first!.message}${more}`;
}

export function renderJunit(summary: RunSummary, options: Partial<ReporterOptions> = {}): string {
  const threshold = SEVERITY_RANK[options.failOn === 'warning' ? 'warning' : 'error'];
  const failing = (check: CheckResult) => summary.findings.filter((x) => x.check === check.id && SEVERITY_RANK[x.severity] >= threshold);
  const failed = (check: CheckResult) => check.status !== 'crash' && check.status !== 'skip' && failing(check).length > 0;
  const byCategory = new Map<string, RunSummary['checks']>();
  for (const check of summary.checks) (byCategory.get(check.category) ?? byCategory.set(check.category, []).get(check.category)!).push(check);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = summary.checks.filter(failed).length;
  const errors = summary.checks.filter((c) => c.status === 'crash').length;
  const skipped = summary.checks.filter((c) => c.status === 'skip').length;
  out.push(`<testsuites name="asm-prom doctor" tests="${summary.checks.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${summary.durationMs / 1000}">`);
  for (const [category, checks] of byCategory) {
    const f = checks.filter(failed).length;
    const e = checks.filter((c) => c.status === 'crash').length;
    const s = checks.filter((c) => c.status === 'skip').length;
    out.push(`  <testsuite name="${esc(category)}" tests="${checks.length}" failures="${f}" errors="${e}" skipped="${s}">`);
    for (const check of checks) {
      const findings = summary.findings.filter((x) => x.check === check.id);
      out.push(`    <testcase classname="asm-prom.${esc(category)}" name="${esc(`${check.id}: ${check.title}`)}" time="${check.durationMs / 1000}">`);
      const failFindings = failing(check);
      if (check.status === 'crash') out.push(`      <error message="${esc(findings.find((x) => x.severity === 'error')?.message ?? 'crashed')}" type="CHECK_CRASHED"/>`);
      else if (check.status === 'skip') out.push(`      <skipped message="${esc(check.skipReason ?? '')}"/>`);
      else if (failFindings.length)
        out.push(`      <failure message="${esc(failureMessage(failFindings))}" type="${esc(failFindings[0]!.code)}">${esc(failFindings.map(line).join('\n'))}</failure>`);
      const rest = findings.filter((x) => !failFindings.includes(x));
      if (rest.length) out.push(`      <system-out>${esc(rest.map(line).join('\n'))}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
