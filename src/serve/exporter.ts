/**
 * The watchman's loop: runDoctor() every --interval (never two runs at once; a little jitter so that
 * many clusters' exporters do not hit their API servers in step), keeping only the last run and the
 * counters the exposition needs. Memory stays flat: nothing of a run outlives the next one.
 */
import { runDoctor, type DoctorOptions, type RunSummary } from '../index.js';
import { oneLine } from '../core/errors.js';
import { collectMetrics, droppedTargets, formatExposition, runErrorReasons, zeroRunErrors, type ExporterCounters, type ExpositionFormat } from '../reporters/prometheus.js';

export interface ExporterOptions {
  doctor: DoctorOptions;
  intervalMs: number;
  maxTargetSeries: number;
  /** where one line per run goes (stderr in the CLI) */
  log?: (line: string) => void;
  /** 0 ≤ random() < 1 for the jitter; tests pass a fixed one */
  random?: () => number;
  /** the doctor itself; tests may wrap it */
  run?: (options: DoctorOptions) => Promise<RunSummary>;
}

/** Jitter: up to a tenth of the interval, never more than 30 s. */
const MAX_JITTER_MS = 30_000;

/**
 * What the process holds after a run, for the log. Under `node --expose-gc` (the benchmark) it is
 * measured after a full collection, so that growth across runs shows as growth, not as garbage.
 */
function memory(): string {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return `rss ${mib(rss)} MiB, heap ${mib(heapUsed)} MiB (${mib(heapTotal)} MiB committed), external ${mib(external)} MiB`;
}

export class Exporter {
  private summary: RunSummary | undefined;
  private readonly counters: ExporterCounters = { runErrors: zeroRunErrors(), droppedTargetSeries: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private runs = 0;
  /** true once a run has ended (complete or not): from then on /metrics says what the doctor found */
  ready = false;

  constructor(private readonly options: ExporterOptions) {}

  /** Starts the first run now and schedules the next ones. */
  start(): void {
    this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The last run as `-o json` prints it (undefined before the first). */
  get lastSummary(): RunSummary | undefined {
    return this.summary;
  }

  metrics(format: ExpositionFormat): string {
    return formatExposition(collectMetrics(this.summary, this.counters, this.options.maxTargetSeries), format);
  }

  /** One run, now (unless one is in flight: then that one). */
  runOnce(): Promise<void> {
    return (this.running ??= this.doRun().finally(() => (this.running = undefined)));
  }

  private loop(): void {
    if (this.stopped) return;
    const started = Date.now();
    void this.runOnce().then(() => {
      if (this.stopped) return;
      const jitter = Math.min(this.options.intervalMs / 10, MAX_JITTER_MS) * (this.options.random ?? Math.random)();
      const wait = Math.max(0, started + this.options.intervalMs + jitter - Date.now());
      this.timer = setTimeout(() => this.loop(), wait);
    });
  }

  private async doRun(): Promise<void> {
    const n = ++this.runs;
    const log = this.options.log ?? (() => {});
    let reasons: string[];
    try {
      const summary = await (this.options.run ?? runDoctor)(this.options.doctor);
      this.summary = summary;
      this.counters.droppedTargetSeries += droppedTargets(summary, this.options.maxTargetSeries);
      reasons = runErrorReasons(summary);
      if (!reasons.length) this.counters.lastCompleteRunSeconds = Date.now() / 1000;
      const { errors, warnings } = summary.summary;
      log(`run ${n}: ${errors} error(s), ${warnings} warning(s) in ${summary.durationMs} ms${reasons.length ? ` (incomplete: ${reasons.join(', ')})` : ''}; ${memory()}`);
    } catch (error) {
      // A run that threw (a bad kubeconfig, a bug) keeps the previous findings and is counted.
      reasons = ['crash'];
      log(`run ${n} failed: ${oneLine(error)}`);
    }
    for (const reason of reasons) this.counters.runErrors[reason] = (this.counters.runErrors[reason] ?? 0) + 1;
    this.ready = true;
  }
}
