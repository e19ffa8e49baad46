/** Shared value types of a doctor run: severities, subjects, findings, check results. */

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export type Category = 'inputs' | 'prometheus' | 'monitors' | 'certs' | 'targets' | 'prometheus-api';

/** What a finding is about. `kind` always; the rest where it applies (CONTRACT.md, JSON output). */
export interface Subject {
  kind: string;
  namespace?: string;
  name?: string;
  /** a file inside a container or on disk */
  path?: string;
  /** host:port of a probed or scraped target */
  endpoint?: string;
  /** the manifest file and line an object came from (offline mode) */
  file?: string;
  line?: number;
}

export type Evidence = Record<string, unknown>;

export interface Finding {
  code: string;
  severity: Severity;
  check: string;
  subject: Subject;
  message: string;
  hint: string;
  docs: string;
  /** `docs` as an absolute URL, when a docs base is known (ASM_PROM_DOCS_URL, package.json homepage) */
  docsUrl?: string;
  evidence: Evidence;
  /** with --fix: the patch that fixes it, verified in the run, or why there is none (src/fix) */
  fix?: import('../fix/types.js').FindingFix;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'crash';

export interface CheckResult {
  id: string;
  title: string;
  category: Category;
  status: CheckStatus;
  durationMs: number;
  skipReason?: string;
  /** what the check learnt beside its findings (a healthy leaf's SPIFFE ID, expiry, …); JSON always, human with --verbose */
  facts?: Record<string, unknown>;
}

export type Mode = 'cluster' | 'offline';

export interface RunSummary {
  schemaVersion: 1;
  tool: { name: 'asm-prom'; version: string };
  mode: Mode;
  startedAt: string;
  durationMs: number;
  summary: {
    errors: number;
    warnings: number;
    infos: number;
    checks: Record<CheckStatus, number>;
  };
  checks: CheckResult[];
  findings: Finding[];
  exitCode: number;
}

export type FailOn = 'error' | 'warning' | 'never';
