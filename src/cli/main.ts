/**
 * The CLI: thin, over runDoctor(). Exit codes as CONTRACT.md says: 2 for usage errors (one line on
 * stderr, nothing on stdout), 3 for internal errors (asks for a report), else the command's code.
 * Also answers as the kubectl plugin `kubectl asm-prom` when run as kubectl-asm_prom.
 */
import { basename } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError, oneLine } from '../core/errors.js';
import { VERSION } from '../version.js';
import { checksCommand } from './commands/checks.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand, doctorFlags } from './commands/doctor.js';
import { explainCommand } from './commands/explain.js';
import { serveCommand, serveFlags } from './commands/serve.js';
import { lastWins, splitShortValues } from './flag-kinds.js';

// The CLI owns its process: V8 grows the heap for memory rather than for speed. A cluster run reads
// tens of megabytes of answers that it drops at once (list pages, Prometheus's targets); by default V8
// lets dropped answers pile up to several times what is kept (50,000 pods: 400 MiB for some 110 MiB
// kept; with this, 240 MiB in the same time; docs/performance.md). A heuristic V8 reads as it runs,
// so setting it here takes effect; the library (runDoctor) leaves its host's flags alone.
setFlagsFromString('--optimize-for-size');

const asPlugin = basename(process.argv[1] ?? '').startsWith('kubectl-asm_prom');
const scriptName = asPlugin ? 'kubectl asm-prom' : 'asm-prom';

/** Doctor flags that demo refuses (they would point it away from its simulated cluster): left out of its --help. */
const NOT_FOR_DEMO = ['filename', 'offline', 'kubeconfig', 'context'];
/** Doctor flags that serve refuses (it diagnoses the cluster it runs against, on a loop; see commands/serve.ts). */
const NOT_FOR_SERVE = ['filename', 'offline', 'certs-dir', 'target', 'target-identity', 'now', 'output', 'fail-on'];

type Handler = (argv: never) => Promise<number>;
let pending: Promise<number> | undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs hands each command its own argv type
const run = (handler: Handler) => (argv: any): void => {
  pending = handler(argv as never);
};

async function main(): Promise<number> {
  await yargs(splitShortValues(hideBin(process.argv)))
    .scriptName(scriptName)
    .usage(`$0 <command> [flags]\n\nDiagnose Prometheus scraping in an Istio / ASM mesh with strict mTLS.`)
    .command('doctor', 'diagnose Prometheus-over-mTLS scraping (the main job)', (y) => doctorFlags(y), run(doctorCommand as Handler))
    .command('checks', 'list every check and finding code, with its docs anchor', (y) =>
      y.option('output', { ...lastWins, alias: 'o', choices: ['human', 'json'] as const, default: 'human' as const }), run(checksCommand as Handler))
    .command('explain <text>', "print a finding code's documentation (explain CODE), or name the likely causes of a Prometheus target error text", (y) =>
      y.positional('text', { type: 'string', demandOption: true, describe: "a finding code (KEY_MISMATCH), or a target's lastError" })
        .option('output', { ...lastWins, alias: 'o', choices: ['human', 'json'] as const, default: 'human' as const }), run(explainCommand as Handler))
    .command('demo [scenario]', 'start a simulated mesh on loopback and run doctor against it', (y) =>
      NOT_FOR_DEMO.reduce((d, flag) => d.hide(flag), doctorFlags(y.positional('scenario', { type: 'string', describe: 'scenario name (see --list)' }))
        .option('list', { type: 'boolean', describe: 'name the scenarios' })
        .option('keep', { type: 'boolean', describe: 'leave the simulated mesh running and print its kubeconfig' })), run(demoCommand as Handler))
    .command('serve', 'run the doctor on an interval and serve its findings as Prometheus metrics', (y) => NOT_FOR_SERVE.reduce((d, flag) => d.hide(flag), serveFlags(doctorFlags(y))), run(serveCommand as Handler))
    .demandCommand(1, 'name a command: doctor, checks, explain, demo or serve')
    .strict()
    .version(VERSION)
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 80))
    .fail((message, error) => {
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: …"): keep them whole on one.
      throw error && !(error instanceof UsageError) ? error : new UsageError(message ? message.replace(/\s*\n\s*/g, ' ') : oneLine(error));
    })
    .parseAsync();
  return pending ? await pending : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${scriptName}: ${oneLine(error)}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${scriptName}: internal error: ${oneLine(error)}\nThis is a bug; please report it with the command line you ran.\n`);
      if (process.env.ASM_PROM_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
      process.exitCode = 3;
    }
  },
);
