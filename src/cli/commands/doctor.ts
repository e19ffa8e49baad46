import type { Argv } from 'yargs';
import { runDoctor, type DoctorOptions } from '../../index.js';
import { REPORTERS, OUTPUT_FORMATS, type OutputFormat } from '../../reporters/index.js';
import { toDoctorOptions, type DoctorFlags } from '../doctor-options.js';
import { useColor, writeOut } from '../output.js';
import { startProgress } from '../progress.js';

/**
 * Repeatable string flags. Not `array: true`: yargs' array options refuse `-` as a value, and
 * `-f -` (stdin) must work; repeated flags still collect into a list.
 */
const repeatable = { type: 'string', coerce: (v: string | string[]) => (Array.isArray(v) ? v : [v]) } as const;

export function doctorFlags<T>(y: Argv<T>) {
  return y
    .option('filename', { alias: 'f', ...repeatable, describe: 'manifests: a file, a folder or - for stdin (repeatable); contacts no cluster' })
    .option('offline', { type: 'boolean', describe: 'contact no Kubernetes API' })
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file, as kubectl' })
    .option('context', { type: 'string', describe: 'kubeconfig context' })
    .option('namespace', { alias: 'n', type: 'string', describe: 'look for Prometheus only in this namespace' })
    .option('prometheus', { type: 'string', describe: 'a Prometheus resource (or pod) name' })
    .option('certs-dir', { type: 'string', describe: 'read root-cert.pem, cert-chain.pem, key.pem from this directory' })
    .option('mesh-root', { type: 'string', describe: "the mesh's trusted root bundle (PEM)" })
    .option('target', { ...repeatable, describe: 'also probe HOST:PORT[/PATH] as Prometheus would (repeatable)' })
    .option('target-identity', { type: 'string', describe: 'the SPIFFE ID every --target must present' })
    .option('probe', { choices: ['auto', 'local', 'pod', 'off'] as const, default: 'auto' as const, describe: 'where handshakes are made from' })
    .option('prometheus-url', { type: 'string', describe: "Prometheus's HTTP API, to read its own view of the targets" })
    .option('only', { ...repeatable, describe: 'run only checks whose id or codes match (glob, repeatable)' })
    .option('skip', { ...repeatable, describe: 'skip checks whose id or codes match (glob, repeatable)' })
    .option('suppress', { alias: 'S', ...repeatable, describe: 'drop findings: CODE[=KIND/NS/NAME] (globs, repeatable)' })
    .option('output', { alias: 'o', choices: OUTPUT_FORMATS, default: 'human' as OutputFormat, describe: 'report format on stdout' })
    .option('fail-on', { choices: ['error', 'warning', 'never'] as const, default: 'error' as const, describe: 'lowest severity that makes the exit code 1' })
    .option('timeout', { type: 'string', default: '5s', describe: 'limit for each network step' })
    .option('deadline', { type: 'string', default: '120s', describe: 'limit for the whole run' })
    .option('concurrency', { type: 'number', default: 32, describe: 'handshakes and API calls in flight' })
    .option('now', { type: 'string', describe: 'judge certificate validity at this RFC 3339 time' })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'show the evidence of every finding' })
    .option('plugin', { ...repeatable, describe: 'load extra checks from a module (file or package; repeatable)' });
}

export async function doctorCommand(argv: DoctorFlags & { output: OutputFormat }): Promise<number> {
  return runAndReport(toDoctorOptions(argv), argv.output);
}

/** Runs the doctor with a progress spinner and writes the report: the doctor and demo commands share it. */
export async function runAndReport(options: DoctorOptions, output: OutputFormat): Promise<number> {
  const progress = startProgress();
  let summary;
  try {
    summary = await runDoctor(options, { onCheckStart: (c) => progress.update(c.title), onCheckEnd: () => progress.tick() });
  } finally {
    progress.stop();
  }
  await writeOut(REPORTERS[output](summary, { color: useColor(process.stdout), verbose: options.verbose }));
  return summary.exitCode;
}
