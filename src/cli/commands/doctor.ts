import type { Argv } from 'yargs';
import { runDoctor, type DoctorOptions } from '../../index.js';
import { REPORTERS, OUTPUT_FORMATS, type OutputFormat } from '../../reporters/index.js';
import { toDoctorOptions, type DoctorFlags } from '../doctor-options.js';
import { lastWins, repeatable } from '../flag-kinds.js';
import { useColor, writeOut } from '../output.js';
import { startProgress, type Progress } from '../progress.js';


export function doctorFlags<T>(y: Argv<T>) {
  return y
    .option('filename', { alias: 'f', type: 'string', ...repeatable, describe: 'manifests: a file, a folder or - for stdin (repeatable); contacts no cluster' })
    .option('offline', { ...lastWins, type: 'boolean', describe: 'contact no Kubernetes API' })
    .option('kubeconfig', { ...lastWins, type: 'string', describe: 'kubeconfig file, as kubectl' })
    .option('context', { ...lastWins, type: 'string', describe: 'kubeconfig context' })
    .option('namespace', { ...lastWins, alias: 'n', type: 'string', describe: 'look for Prometheus only in this namespace' })
    .option('all-namespaces', { ...lastWins, alias: 'A', type: 'boolean', describe: 'look for Prometheus in every namespace (the default; as kubectl, -n is then ignored)' })
    .option('prometheus', { ...lastWins, type: 'string', describe: 'a Prometheus resource (or pod) name: the same as --scraper Prometheus/NAME' })
    .option('scraper', { ...lastWins, type: 'string', describe: 'the scraper to diagnose: Prometheus/NAME, PrometheusAgent/NAME, VMAgent/NAME, Alloy/NAME, OpenTelemetryCollector/NAME' })
    .option('certs-dir', { ...lastWins, type: 'string', describe: 'read root-cert.pem, cert-chain.pem, key.pem from this directory' })
    .option('mesh-root', { ...lastWins, type: 'string', describe: "the mesh's trusted root bundle (PEM)" })
    .option('target', { type: 'string', ...repeatable, describe: 'also probe HOST:PORT[/PATH] as Prometheus would (repeatable)' })
    .option('target-identity', { ...lastWins, type: 'string', describe: 'the SPIFFE ID every --target must present' })
    .option('probe', { ...lastWins, choices: ['auto', 'local', 'pod', 'off'] as const, default: 'auto' as const, describe: 'where handshakes are made from' })
    .option('prometheus-url', { ...lastWins, type: 'string', describe: "Prometheus's HTTP API, to read its own view of the targets" })
    .option('only', { type: 'string', ...repeatable, describe: 'run only checks whose id or codes match (glob, repeatable)' })
    .option('skip', { type: 'string', ...repeatable, describe: 'skip checks whose id or codes match (glob, repeatable)' })
    .option('suppress', { alias: 'S', type: 'string', ...repeatable, describe: 'drop findings: CODE[=KIND/NS/NAME] (globs, repeatable)' })
    .option('output', { ...lastWins, alias: 'o', choices: OUTPUT_FORMATS, default: 'human' as OutputFormat, describe: 'report format on stdout' })
    .option('fail-on', { ...lastWins, choices: ['error', 'warning', 'never'] as const, default: 'error' as const, describe: 'lowest severity that makes the exit code 1' })
    .option('timeout', { ...lastWins, type: 'string', default: '5s', describe: 'limit for each network step' })
    .option('deadline', { ...lastWins, type: 'string', default: '120s', describe: 'limit for the whole run' })
    .option('concurrency', { ...lastWins, type: 'string', default: '32', describe: 'handshakes and API calls in flight (a whole number)' })
    .option('now', { ...lastWins, type: 'string', describe: 'judge certificate validity at this RFC 3339 time' })
    .option('verbose', { ...lastWins, alias: 'v', type: 'boolean', describe: 'show the evidence of every finding' })
    .option('plugin', { type: 'string', ...repeatable, describe: 'load extra checks from a module (file or package; repeatable)' })
    .option('fix', { ...lastWins, type: 'boolean', describe: 'give each fixable finding its patch, verified in the run (nothing is changed)' })
    .option('fix-dir', { ...lastWins, type: 'string', describe: 'with -f: write the patched copies of the input files under DIR' });
}

export async function doctorCommand(argv: DoctorFlags & { output: OutputFormat }): Promise<number> {
  return runAndReport(toDoctorOptions(argv), argv.output);
}

/**
 * Runs the doctor with a progress spinner and writes the report: the doctor and demo commands share
 * it (demo hands over the spinner it started before its simulated mesh).
 */
export async function runAndReport(options: DoctorOptions, output: OutputFormat, progress: Progress = startProgress()): Promise<number> {
  let summary;
  try {
    summary = await runDoctor(options, {
      onCheckStart: (c) => progress.checkStarted(c),
      onCheckEnd: () => progress.checkFinished(),
      onTargetProbed: (done, total) => progress.targetProbed(done, total),
    });
  } finally {
    progress.stop();
  }
  await writeOut(REPORTERS[output](summary, { color: useColor(process.stdout), verbose: options.verbose, failOn: options.failOn }));
  return summary.exitCode;
}
