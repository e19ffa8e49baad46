/** The options of a doctor run: what the CLI parses, and what library users pass to runDoctor(). */
import type { FailOn } from './types.js';

export type ProbeMode = 'auto' | 'local' | 'pod' | 'off';

export interface DoctorOptions {
  /** -f: files, folders or '-' (stdin) */
  filenames: string[];
  /** text of stdin when a filename is '-' (the CLI reads it; the library does not touch process.stdin) */
  stdin?: string;
  offline: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  /** --prometheus NAME, or the NAME of --scraper KIND/NAME */
  prometheus?: string;
  /** the KIND of --scraper KIND/NAME (Prometheus for --prometheus) */
  scraperKind?: string;
  certsDir?: string;
  meshRoot?: string;
  targets: string[];
  targetIdentity?: string;
  probe: ProbeMode;
  prometheusUrl?: string;
  only: string[];
  skip: string[];
  suppress: string[];
  failOn: FailOn;
  timeoutMs: number;
  deadlineMs: number;
  concurrency: number;
  now?: Date;
  verbose: boolean;
  /** --plugin: modules of extra checks */
  plugins: string[];
  /** --fix: give each fixable finding its patch, verified in the run */
  fix?: boolean;
  /** --fix-dir: write the -f files, patched, under this folder */
  fixDir?: string;
}

export const DEFAULT_OPTIONS: DoctorOptions = {
  filenames: [],
  offline: false,
  targets: [],
  probe: 'auto',
  only: [],
  skip: [],
  suppress: [],
  failOn: 'error',
  timeoutMs: 5_000,
  deadlineMs: 120_000,
  concurrency: 32,
  verbose: false,
  plugins: [],
};

/** Cluster mode unless told otherwise: -f and --offline both mean "contact no API server". */
export function isOffline(options: Pick<DoctorOptions, 'offline' | 'filenames'>): boolean {
  return options.offline || options.filenames.length > 0;
}

/** '5s', '1500ms', '2m', '1h', or a bare number of seconds → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit]!);
}
