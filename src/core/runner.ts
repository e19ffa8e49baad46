/**
 * Runs the checks: independent ones concurrently, those with `after` once the categories they
 * follow are done; each under a deadline; a throw becomes CHECK_CRASHED (exit code 3).
 */
import type { Check, CheckContext, PriorCheck, RunOptions } from './check.js';
import { CODES, docsAnchor, renderMessage, type Code, type CodeArgs } from './codes.js';
import { oneLine } from './errors.js';
import { matchesAny } from './glob.js';
import { redactDeep } from './redact.js';
import { Unavailable, type ResourceStore } from './resources.js';
import type { Category, CheckResult, Finding } from './types.js';

export interface RunnerOptions extends RunOptions {
  only: readonly string[];
  skip: readonly string[];
  /** wall-clock budget for the whole run (--deadline) */
  deadlineMs: number;
  onCheckStart?: (check: Check) => void;
  onCheckEnd?: (result: CheckResult) => void;
  /** called for every resource a check reads (the meta-tests compare it with the check's needs) */
  onResourceRead?: (checkId: string, key: string) => void;
}

export interface RunnerResult {
  checks: CheckResult[];
  findings: Finding[];
}

/** A check is selected when --only (if any) matches its id or one of its codes, and --skip does not. */
export function isSelected(check: Check, only: readonly string[], skip: readonly string[]): boolean {
  const names = [check.id, ...check.codes];
  const hit = (globs: readonly string[]) => names.some((n) => matchesAny(n, globs));
  if (skip.length && hit(skip)) return false;
  // The inputs checks say why the rest could not look; --only never hides them.
  if (check.category === 'inputs') return true;
  return only.length === 0 || hit(only);
}

/** The globs that match no check's id nor any of its codes: a typo that would silently select nothing. */
export function globsMatchingNothing(checks: readonly Check[], globs: readonly string[]): string[] {
  return globs.filter((glob) => !checks.some((c) => [c.id, ...c.codes].some((n) => matchesAny(n, [glob]))));
}

/** Groups checks into waves: a check runs after every selected check of the categories it follows. */
export function planWaves(checks: readonly Check[]): Check[][] {
  const waveOf = new Map<Check, number>();
  const visiting = new Set<Check>();
  const wave = (check: Check): number => {
    const known = waveOf.get(check);
    if (known !== undefined) return known;
    if (visiting.has(check)) throw new Error(`checks depend on each other in a cycle through ${check.id}`);
    visiting.add(check);
    let w = 0;
    for (const category of check.after ?? []) {
      for (const other of checks) if (other !== check && other.category === category) w = Math.max(w, wave(other) + 1);
    }
    visiting.delete(check);
    waveOf.set(check, w);
    return w;
  };
  const waves: Check[][] = [];
  for (const check of checks) (waves[wave(check)] ??= []).push(check);
  return waves.filter(Boolean);
}

export async function runChecks(all: readonly Check[], store: ResourceStore, options: RunnerOptions): Promise<RunnerResult> {
  const selected = all.filter((c) => isSelected(c, options.only, options.skip));
  const findings: Finding[] = [];
  const results = new Map<Check, CheckResult>();
  const runDeadline = Date.now() + options.deadlineMs;
  const prior = (): PriorCheck[] => [...results].map(([check, result]) => ({ id: check.id, status: result.status, codes: check.codes }));

  for (const wave of planWaves(selected)) {
    await Promise.all(wave.map(async (check) => {
      options.onCheckStart?.(check);
      const result = await runOne(check, store, options, findings, runDeadline, prior);
      results.set(check, result);
      options.onCheckEnd?.(result);
    }));
  }
  return { checks: selected.map((c) => results.get(c)!), findings };
}

async function runOne(check: Check, store: ResourceStore, options: RunnerOptions, findings: Finding[], runDeadline: number, priorChecks: () => PriorCheck[] = () => []): Promise<CheckResult> {
  const started = performance.now();
  const own: Finding[] = [];
  const facts: Record<string, unknown> = {};
  const done = (status: CheckResult['status'], skipReason?: string): CheckResult => {
    findings.push(...own);
    const result: CheckResult = { id: check.id, title: check.title, category: check.category, status, durationMs: Math.round(performance.now() - started) };
    if (skipReason) result.skipReason = skipReason;
    // Facts of a check that did not finish are as partial as its findings: dropped with them.
    if (status !== 'skip' && status !== 'crash' && Object.keys(facts).length) result.facts = redactDeep(facts);
    return result;
  };

  const remaining = runDeadline - Date.now();
  if (remaining <= 0) return done('skip', 'the run reached its --deadline before this check started');
  const controller = new AbortController();
  const context = makeContext(check, store, options, own, facts, findings, controller.signal, priorChecks);

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), remaining);
  });
  // Loading the needs counts against the deadline too: a source that hangs must not hold the run.
  const work = async (): Promise<{ unavailable: string } | 'ran'> => {
    for (const need of check.needs) {
      const loaded = await store.load(need);
      if (!loaded.ok) return { unavailable: loaded.reason };
    }
    await check.run(context);
    return 'ran';
  };
  try {
    const outcome = await Promise.race([work(), timedOut]);
    if (typeof outcome === 'object') return done('skip', outcome.unavailable);
    if (outcome === 'timeout') {
      controller.abort();
      own.length = 0;
      return done('skip', `did not finish within the --deadline (${options.deadlineMs} ms)`);
    }
  } catch (error) {
    if (error instanceof Unavailable) return done('skip', error.message);
    own.length = 0;
    own.push(makeFinding(check.id, 'CHECK_CRASHED', { checkId: check.id, error: oneLine(error) }, { kind: 'Check', name: check.id }));
    return done('crash');
  } finally {
    clearTimeout(timer);
  }
  const worst = own.some((f) => f.severity === 'error') ? 'fail' : own.some((f) => f.severity === 'warning') ? 'warn' : 'pass';
  return done(worst);
}

function makeContext(check: Check, store: ResourceStore, options: RunnerOptions, own: Finding[], facts: Record<string, unknown>, prior: readonly Finding[], signal: AbortSignal, priorChecks: () => PriorCheck[]): CheckContext {
  const declared = new Set([...check.needs, ...(check.uses ?? [])]);
  const assertDeclared = (key: string) => {
    if (!declared.has(key as never)) throw new Error(`check ${check.id} reads "${key}" without declaring it in needs or uses`);
    options.onResourceRead?.(check.id, key);
  };
  return {
    options,
    signal,
    async get(key) {
      assertDeclared(key);
      return store.require(key);
    },
    async tryGet(key) {
      assertDeclared(key);
      return store.optional(key);
    },
    report(code, args, target) {
      if (!check.codes.includes(code)) throw new Error(`check ${check.id} reports ${code} without declaring it in codes`);
      own.push(makeFinding(check.id, code, args, target.subject, target.evidence));
    },
    fact(key, value) {
      facts[key] = value;
    },
    subjectOf: (obj, extra) => store.subjectOf(obj, extra),
    asWritten: (obj) => store.asWritten.get(obj) ?? obj,
    priorFindings: () => prior,
    priorChecks,
    diagnostics: () => store.diagnostics(),
  };
}

export function makeFinding<C extends Code>(checkId: string, code: C, args: CodeArgs<C>, subject: Finding['subject'], evidence?: Finding['evidence']): Finding {
  const { message, hint } = renderMessage(code, args);
  return redactDeep({
    code,
    severity: CODES[code].severity,
    check: checkId,
    subject,
    message,
    hint,
    docs: docsAnchor(code),
    evidence: { ...(args as object), ...evidence },
  });
}

export function categoryOfCheckId(id: string): Category | undefined {
  const prefix = id.split('.')[0];
  return (['inputs', 'prometheus', 'monitors', 'certs', 'targets', 'prometheus-api'] as const).find((c) => c === prefix);
}
