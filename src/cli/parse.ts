/** Parses a doctor command line into DoctorOptions with the CLI's own flag definitions (tests use it too). */
import yargs from 'yargs';
import type { DoctorOptions } from '../core/options.js';
import { UsageError } from '../core/errors.js';
import { doctorFlags } from './commands/doctor.js';
import { toDoctorOptions, type DoctorFlags } from './doctor-options.js';

export function parseDoctorArgs(args: readonly string[]): DoctorOptions {
  const argv = doctorFlags(yargs([...args]))
    .strict()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parseSync();
  return toDoctorOptions(argv as DoctorFlags);
}
