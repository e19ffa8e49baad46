/** Reporters turn a RunSummary into the text on stdout; a name → function map (knip's reporters). */
import type { RunSummary } from '../core/types.js';
import { renderHuman } from './human.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderSarif } from './sarif.js';

export interface ReporterOptions {
  color: boolean;
  verbose: boolean;
}

export type Reporter = (summary: RunSummary, options: ReporterOptions) => string;

export const REPORTERS = { human: renderHuman, json: renderJson, junit: renderJunit, sarif: renderSarif } satisfies Record<string, Reporter>;
export type OutputFormat = keyof typeof REPORTERS;
export const OUTPUT_FORMATS = Object.keys(REPORTERS) as OutputFormat[];
