/**
 * The check interface: metadata beside behaviour, as ESLint rules and istio analyzers have it.
 * A check declares the resources it needs (the runner skips it when one is unavailable) and the
 * codes it may report; it reports findings by code, never with its own prose.
 */
import type { ResourceKey, ResourceMap } from '../model/inventory.js';
import type { KubeObject } from '../model/k8s.js';
import type { Code, CodeArgs } from './codes.js';
import type { Category, CheckResult, Evidence, Finding, Subject } from './types.js';
import type { SourceDiagnostic } from './resources.js';

export interface RunOptions {
  /** the instant certificate validity is judged at (--now) */
  now: Date;
  /** each network step (--timeout) */
  timeoutMs: number;
  /** handshakes and API calls in flight (--concurrency) */
  concurrency: number;
  /** show info evidence in human output */
  verbose: boolean;
}

export interface ReportTarget {
  subject: Subject;
  /** facts beside the code's arguments (which are evidence too) */
  evidence?: Evidence;
}

export interface CheckContext {
  readonly options: RunOptions;
  /** aborted when the check's deadline passes */
  readonly signal: AbortSignal;
  /** a resource the check declared in `needs` (always available when run) or `uses` (may be undefined) */
  get<K extends ResourceKey>(key: K): Promise<ResourceMap[K]>;
  tryGet<K extends ResourceKey>(key: K): Promise<ResourceMap[K] | undefined>;
  report<C extends Code>(code: C, args: CodeArgs<C>, target: ReportTarget): void;
  /** records a fact for the check's result (not a finding: it changes no status or exit code) */
  fact(key: string, value: unknown): void;
  subjectOf(obj: KubeObject, extra?: Partial<Subject>): Subject;
  /** the object as the user wrote it (manifests are type-sanitised before checks read them) */
  asWritten(obj: KubeObject): KubeObject;
  /** findings of the checks that ran before this one (see `after`) */
  priorFindings(): readonly Finding[];
  /** the results of the checks that ran before this one, with the codes each may report (see `after`) */
  priorChecks(): readonly PriorCheck[];
  /** what the sources noticed (parse errors, forbidden reads, …); complete only for `after` every category */
  diagnostics(): readonly SourceDiagnostic[];
}

/** A finished check as later checks see it: a `pass` means none of its codes was found. */
export interface PriorCheck {
  id: string;
  status: CheckResult['status'];
  codes: readonly Code[];
}

export interface CheckDefinition {
  /** `<category>.<name>`, stable, kebab-case */
  id: string;
  title: string;
  category: Category;
  /** every code the check may report */
  codes: readonly Code[];
  /** resources without which the check cannot run */
  needs: readonly ResourceKey[];
  /** resources it reads when available */
  uses?: readonly ResourceKey[];
  /** categories whose checks must finish first (for checks that link to their findings) */
  after?: readonly Category[];
  run(ctx: CheckContext): void | Promise<void>;
}

export type Check = Readonly<CheckDefinition>;

export function defineCheck(definition: CheckDefinition): Check {
  return Object.freeze({ ...definition });
}
