/**
 * asm-prom as a library: `runDoctor(options)` diagnoses Prometheus-over-mTLS scraping and returns the
 * RunSummary that the reporters render. The CLI is its first user.
 */
import { ALL_CHECKS } from '../checks/index.js';
import type { Check } from './core/check.js';
import { exitCodeFor } from './core/exit-code.js';
import { DEFAULT_OPTIONS, isOffline, type DoctorOptions } from './core/options.js';
import { loadPlugins } from './core/plugins.js';
import { ResourceStore } from './core/resources.js';
import { globsMatchingNothing, runChecks } from './core/runner.js';
import { UsageError } from './core/errors.js';
import { applySuppressions, parseSuppressions } from './core/suppress.js';
import type { CheckResult, CheckStatus, Finding, RunSummary } from './core/types.js';
import { docsBase, docsUrl } from './docs.js';
import { chosenVerifier } from './pki/index.js';
import { SOURCES } from './sources/index.js';
import { VERSION } from './version.js';

export type { DoctorOptions } from './core/options.js';
export type { Finding, RunSummary, Subject, Severity, CheckResult } from './core/types.js';
export type { FindingFix, MechanicalFix, ManualFix } from './fix/types.js';
export { CODES, ALL_CODES, docsAnchor, type Code } from './core/codes.js';
export { defineCheck, type Check, type CheckContext } from './core/check.js';
export { UsageError } from './core/errors.js';
export { ALL_CHECKS } from '../checks/index.js';

export interface DoctorHooks {
  onCheckStart?: (check: Check) => void;
  onCheckEnd?: (result: CheckResult) => void;
  /** extra checks (plug-ins) run beside the built-in ones */
  checks?: readonly Check[];
  onResourceRead?: (checkId: string, key: string) => void;
  /** each target probed: how many of how many */
  onTargetProbed?: (done: number, total: number) => void;
}

export async function runDoctor(input: Partial<DoctorOptions> = {}, hooks: DoctorHooks = {}): Promise<RunSummary> {
  const options: DoctorOptions = { ...DEFAULT_OPTIONS, ...input };
  const startedAt = new Date();
  const started = performance.now();
  const suppressions = parseSuppressions(options.suppress);
  const docs = docsBase();
  chosenVerifier(); // a malformed ASM_PROM_CHAIN_VERIFIER stops the run here, as a usage error

  const store = new ResourceStore();
  store.onTargetProbed = hooks.onTargetProbed;
  for (const source of SOURCES) {
    if (source.applies(options)) store.provide(await source.providers(options, store));
  }

  const plugins = await loadPlugins(options.plugins, ALL_CHECKS);
  const all = [...ALL_CHECKS, ...plugins, ...(hooks.checks ?? [])];
  // --only that selects nothing would pass every CI run unseen: a usage error, as a typo is.
  const unmatched = globsMatchingNothing(all, options.only);
  if (unmatched.length) throw new UsageError(`--only ${unmatched.join(', ')}: matches no check id or finding code (asm-prom checks lists them)`);
  const { checks, findings } = await runChecks(all, store, {
    now: options.now ?? startedAt,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
    verbose: options.verbose,
    only: options.only,
    skip: options.skip,
    deadlineMs: options.deadlineMs,
    onCheckStart: hooks.onCheckStart,
    onCheckEnd: hooks.onCheckEnd,
    onResourceRead: hooks.onResourceRead,
  });

  const kept = applySuppressions(findings, suppressions);
  if (options.fix) {
    const { attachFixes } = await import('./fix/index.js');
    await attachFixes({ findings: kept, checks, store, allChecks: all, options, mode: isOffline(options) ? 'offline' : 'cluster' });
  }
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  return {
    schemaVersion: 1,
    tool: { name: 'asm-prom', version: VERSION },
    mode: isOffline(options) ? 'offline' : 'cluster',
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    summary: {
      errors: kept.filter((f) => f.severity === 'error').length,
      warnings: kept.filter((f) => f.severity === 'warning').length,
      infos: kept.filter((f) => f.severity === 'info').length,
      checks: { pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip'), crash: count('crash') },
    },
    checks,
    findings: docs ? kept.map((f) => withDocsUrl(f, docs)) : kept,
    exitCode: exitCodeFor(checks, kept, options.failOn),
  };
}
/** The finding with its absolute `docsUrl` right after `docs`, the order the JSON shows. */
function withDocsUrl(finding: Finding, base: URL): Finding {
  const { evidence, ...head } = finding;
  return { ...head, docsUrl: docsUrl(finding.docs, base), evidence };
}

export { verifyChain, spiffeIdOf, parseCertificates, parsePrivateKey, type ChainInput, type ChainVerdict, type ChainError } from './pki/index.js';
