/**
 * `asm-prom serve`: the doctor as an exporter (CONTRACT.md, "asm-prom serve flags"). Runs the
 * doctor against the cluster every --interval and serves its findings as metrics on --listen;
 * SIGTERM (or Ctrl-C) ends it within 2 s, even with a run in flight.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/options.js';
import { DEFAULT_MAX_TARGET_SERIES } from '../../reporters/prometheus.js';
import { toDoctorOptions, type DoctorFlags } from '../doctor-options.js';
import { lastWins } from '../flag-kinds.js';

export interface ServeFlags extends DoctorFlags {
  listen: string;
  interval: string;
  maxTargetSeries: number;
  output?: string;
}

/** Doctor flags that make no sense for a process that diagnoses its own cluster on a loop. */
const FOREIGN_FLAGS: [keyof ServeFlags, string][] = [
  ['filename', '-f'],
  ['offline', '--offline'],
  ['certsDir', '--certs-dir'],
  ['target', '--target'],
  ['now', '--now'],
];

/** SIGTERM to exit: Kubernetes waits terminationGracePeriodSeconds; CONTRACT.md promises 2 s. */
const SHUTDOWN_MS = 1_500;

export function serveFlags<T>(y: Argv<T>) {
  return y
    .option('listen', { ...lastWins, type: 'string', default: ':9479', describe: 'where /metrics, /healthz, /readyz and /report are served' })
    .option('interval', { ...lastWins, type: 'string', default: '5m', describe: 'time between the starts of two runs' })
    .option('max-target-series', { ...lastWins, type: 'number', default: DEFAULT_MAX_TARGET_SERIES, describe: 'at most this many per-target series' });
}

export async function serveCommand(argv: ServeFlags): Promise<number> {
  const given = (value: unknown) => value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0);
  for (const [key, flag] of FOREIGN_FLAGS) {
    if (given(argv[key])) throw new UsageError(`serve diagnoses the cluster it runs against on a loop: ${flag} does not apply`);
  }
  if (argv.output !== undefined && argv.output !== 'human') throw new UsageError('serve: -o does not apply (the metrics are on /metrics, the report on /report)');
  const intervalMs = parseDuration(argv.interval);
  if (intervalMs === undefined || intervalMs <= 0) throw new UsageError(`--interval ${argv.interval}: expected a duration such as 30s or 5m`);
  if (!Number.isInteger(argv.maxTargetSeries) || argv.maxTargetSeries < 0) throw new UsageError(`--max-target-series ${argv.maxTargetSeries}: expected a whole number ≥ 0`);
  const doctor = toDoctorOptions(argv);

  const { Exporter } = await import('../../serve/exporter.js');
  const { parseListenAddress, startHttp } = await import('../../serve/http.js');
  const address = parseListenAddress(argv.listen);
  const log = (line: string) => process.stderr.write(`asm-prom serve: ${line}\n`);
  const exporter = new Exporter({ doctor, intervalMs, maxTargetSeries: argv.maxTargetSeries, log });
  const { server, url } = await startHttp(exporter, address);
  log(`listening on ${url} (/metrics, /healthz, /readyz, /report); a run every ${argv.interval}`);
  exporter.start();

  await new Promise<void>((resolve) => {
    const stop = () => {
      log('stopping');
      exporter.stop();
      server.close(() => resolve());
      server.closeAllConnections();
      // A run in flight holds sockets to the API server: do not wait for it.
      setTimeout(resolve, SHUTDOWN_MS).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Whatever a run still holds open (API calls, probes) must not keep the process alive.
  process.exit(0);
}
