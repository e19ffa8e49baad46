/** What every reporter takes: the options beside the RunSummary (its own module, so reporters and the registry do not import each other). */
import type { FailOn, RunSummary } from '../core/types.js';

export interface ReporterOptions {
  color: boolean;
  verbose: boolean;
  /** --fail-on: the reports that mark failures (JUnit) mark what fails the run */
  failOn?: FailOn;
  /** the folder -f paths are made relative to (SARIF's %SRCROOT%); the working directory by default */
  cwd?: string;
  /** -o prometheus: at most this many per-target series (the rest are counted as dropped) */
  maxTargetSeries?: number;
}

export type Reporter = (summary: RunSummary, options: ReporterOptions) => string;
