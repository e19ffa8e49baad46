/** Reporters turn a RunSummary into the text on stdout; a name → function map (knip's reporters). */
import type { FailOn, RunSummary } from '../core/types.js';
import { renderHuman } from './human.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderSarif } from './sarif.js';

export interface ReporterOptions {
  color: boolean;
  verbose: boolean;
  /** --fail-on: the reports that mark failures (JUnit) mark what fails the run */
  failOn?: FailOn;
  /** the folder -f paths are made relative to (SARIF's %SRCROOT%); the working directory by default */
  cwd?: string;
}

export type Reporter = (summary: RunSummary, options: ReporterOptions) => string;

export type OutputFormat = 'human' | 'json' | 'junit' | 'sarif';
export const REPORTERS: Record<OutputFormat, Reporter> = { human: renderHuman, json: renderJson, junit: renderJunit, sarif: renderSarif };
export const OUTPUT_FORMATS = Object.keys(REPORTERS) as OutputFormat[];
