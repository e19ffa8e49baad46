/** Reporters turn a RunSummary into the text on stdout; a name → function map (knip's reporters). */
import { renderHuman } from './human.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderPrometheus } from './prometheus.js';
import { renderSarif } from './sarif.js';
import type { Reporter } from './types.js';

export type { Reporter, ReporterOptions } from './types.js';

export type OutputFormat = 'human' | 'json' | 'junit' | 'sarif' | 'prometheus';
export const REPORTERS: Record<OutputFormat, Reporter> = {
  human: renderHuman, json: renderJson, junit: renderJunit, sarif: renderSarif, prometheus: renderPrometheus,
};
export const OUTPUT_FORMATS = Object.keys(REPORTERS) as OutputFormat[];
