/**
 * For people: findings grouped by category and subject, as `linkerd check` prints them, with the
 * mark (✓ ‼ ×), the code, the hint and how to read more (`asm-prom explain CODE`); skipped checks with their reasons; a summary.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Category, Finding, RunSummary, Subject } from '../core/types.js';
import type { FindingFix } from '../fix/types.js';
import type { ReporterOptions } from './types.js';

const CATEGORY_TITLES: Record<Category, string> = {
  prometheus: 'Prometheus pod',
  monitors: 'ServiceMonitors and PodMonitors',
  certs: 'certificate files',
  targets: 'live targets',
  'prometheus-api': "Prometheus's own view",
  inputs: 'inputs',
};
const CATEGORY_ORDER = Object.keys(CATEGORY_TITLES) as Category[];

export function subjectLabel(s: Subject): string {
  const name = [s.namespace, s.name].filter(Boolean).join('/');
  const head = [s.kind, name].filter(Boolean).join(' ');
  const extras = [s.endpoint, s.path].filter(Boolean).join(' ');
  const where = s.file ? ` (${s.file}${s.line ? `:${s.line}` : ''})` : '';
  return `${head}${extras ? ` ${extras}` : ''}${where}`;
}

export function renderHuman(summary: RunSummary, options: ReporterOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const lines: string[] = [];
  const categoryOf = new Map(summary.checks.map((ch) => [ch.id, ch.category]));
  lines.push(c.bold(`asm-prom doctor ${summary.tool.version} · ${summary.mode} · ${summary.checks.length} checks`));

  for (const category of CATEGORY_ORDER) {
    const checks = summary.checks.filter((ch) => ch.category === category);
    if (!checks.length) continue;
    const findings = summary.findings.filter((f) => (categoryOf.get(f.check) ?? 'inputs') === category && (options.verbose || f.severity !== 'info' || category === 'targets'));
    const skipped = checks.filter((ch) => ch.status === 'skip');
    if (!findings.length && checks.every((ch) => ch.status === 'skip') && !options.verbose) {
      lines.push('', c.bold(CATEGORY_TITLES[category]), c.dim(`  – skipped: ${uniq(skipped.map((s) => s.skipReason ?? '')).join('; ')}`));
      continue;
    }
    lines.push('', c.bold(CATEGORY_TITLES[category]), c.dim('-'.repeat(CATEGORY_TITLES[category].length)));
    const bySubject = groupBy(findings, (f) => subjectLabel(f.subject));
    for (const [label, group] of bySubject) {
      lines.push(`  ${c.cyan(label)}`);
      for (const f of group) lines.push(...renderFinding(f, c, options.verbose));
    }
    const passed = checks.filter((ch) => ch.status === 'pass');
    for (const p of passed) lines.push(`  ${c.green('✓')} ${p.title}`);
    if (options.verbose) for (const ch of checks) if (ch.facts) lines.push(...renderFacts(ch.title, ch.facts, c));
    for (const s of skipped) lines.push(c.dim(`  – ${s.title}: skipped, ${s.skipReason}`));
  }

  const { errors, warnings, infos, checks } = summary.summary;
  lines.push('');
  // A run in which no check judged anything (all skipped: a deadline, no access) is no all-clear.
  const nothingJudged = checks.pass + checks.warn + checks.fail + checks.crash === 0;
  const status = summary.exitCode === 3
    ? c.red('asm-prom crashed: see CHECK_CRASHED')
    : summary.exitCode !== 0
      ? c.red('Status check results are ×')
      : nothingJudged ? c.yellow('Nothing was judged: every check was skipped (see why above)') : c.green('Status check results are ✓');
  lines.push(`${status}  ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${infos} info · checks: ${checks.pass} passed, ${checks.warn} warned, ${checks.fail} failed, ${checks.skip} skipped${checks.crash ? `, ${checks.crash} crashed` : ''} · ${summary.durationMs} ms`);
  return `${lines.join('\n')}\n`;
}

function renderFinding(f: Finding, c: ChalkInstance, verbose: boolean): string[] {
  const mark = f.severity === 'error' ? c.red('×') : f.severity === 'warning' ? c.yellow('‼') : c.green('✓');
  const out = [`    ${mark} ${c.bold(f.code)} ${f.message}`];
  if (f.severity !== 'info') {
    // A live failure whose cause a configuration check already found says so (probe, TARGET_DOWN).
    const explainedBy = Array.isArray(f.evidence.explainedBy) ? f.evidence.explainedBy : [];
    if (explainedBy.length) out.push(`        ${c.dim('explained by:')} ${explainedBy.join(', ')}`);
    const possible = Array.isArray(f.evidence.possibleCauses) ? f.evidence.possibleCauses : [];
    if (possible.length) out.push(`        ${c.dim('possible causes:')} ${possible.join(', ')}`);
    // The way to read more that works wherever the user stands (the installed docs), and the URL when one is known.
    out.push(`        ${c.dim('hint:')} ${f.hint}`, `        ${c.dim('more:')} asm-prom explain ${f.code}${f.docsUrl ? ` ${c.dim('·')} ${f.docsUrl}` : ''}`);
  }
  if (f.fix && (f.severity !== 'info' || verbose)) out.push(...renderFix(f.fix, c));
  if (verbose) {
    for (const [k, v] of Object.entries(f.evidence)) out.push(c.dim(`        ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`));
  }
  return out;
}

/** --fix: the command, whether the re-run proved it, and what a live pod needs to take it. */
function renderFix(fix: FindingFix, c: ChalkInstance): string[] {
  if ('manual' in fix) return [`        ${c.dim('fix:')} none automatic${fix.reason ? ` (${fix.reason})` : ''}`];
  const proof = fix.verified ? c.green('✓ verified') : c.red(`✗ not verified${fix.remaining.length ? `: still ${fix.remaining.join(', ')}` : ''}`);
  const out = [`        ${c.dim('fix:')} ${proof}`, `          ${fix.kubectl}`];
  if (fix.edit) out.push(`          ${c.dim(`or edit ${fix.edit.file}:${fix.edit.startLine}-${fix.edit.endLine}`)}`);
  if (fix.restart) out.push(`          ${c.dim('then:')} ${fix.restart}`);
  return out;
}

/** A check's facts, one per line; an object value (the facts about one subject) one level deeper. */
function renderFacts(title: string, facts: Record<string, unknown>, c: ChalkInstance): string[] {
  const out = [c.dim(`  · ${title}:`)];
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  for (const [key, value] of Object.entries(facts)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      out.push(c.dim(`      ${key}`));
      for (const [k, v] of Object.entries(value)) out.push(c.dim(`        ${k}: ${show(v)}`));
    } else {
      out.push(c.dim(`      ${key}: ${show(value)}`));
    }
  }
  return out;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    (map.get(k) ?? map.set(k, []).get(k)!).push(item);
  }
  return map;
}

function uniq(items: string[]): string[] {
  return [...new Set(items)];
}
