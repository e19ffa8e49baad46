/**
 * `asm-prom demo [scenario]`: starts the simulated mesh on loopback, runs the doctor against its
 * kubeconfig exactly as against a real cluster (every doctor output flag works), stops the mesh and
 * exits with the doctor's exit code. `--list` names the scenarios; `--keep` leaves the mesh running
 * for kubectl until Ctrl-C. The simulator is imported lazily: `--help` stays fast.
 */
import { UsageError } from '../../core/errors.js';
import { prometheusCertsMount } from '../../model/istio.js';
import { namespaceOf, type KubeObject } from '../../model/k8s.js';
import { isPrometheusResource, podFromPrometheusResource } from '../../model/prometheus.js';
import type { OutputFormat } from '../../reporters/index.js';
import { toDoctorOptions, type DoctorFlags } from '../doctor-options.js';
import { writeOut } from '../output.js';
import { startProgress } from '../progress.js';
import { runAndReport } from './doctor.js';

/**
 * The scenario of a bare `asm-prom demo` (the README's first command): a realistic failure being
 * diagnosed is more instructive than a clean bill of health. Istio's annotations on the Prometheus
 * resource instead of its podMetadata is the recipe's classic slip, and one mistake cascades into
 * several findings, traced back to the layer where it was made.
 */
export const DEFAULT_SCENARIO = 'annotations-on-cr';

export interface DemoFlags extends DoctorFlags {
  scenario?: string;
  list?: boolean;
  keep?: boolean;
  output: OutputFormat;
}

/** Flags that would point the doctor away from the simulated cluster. */
const FOREIGN_FLAGS: [keyof DemoFlags, string][] = [
  ['filename', '-f'],
  ['offline', '--offline'],
  ['kubeconfig', '--kubeconfig'],
  ['context', '--context'],
];

/** The exit code after Ctrl-C (128 + SIGINT), as a shell reports a process the signal ended. */
const INTERRUPTED_EXIT = 130;
const INTERRUPTED = Symbol('interrupted');

/**
 * Ctrl-C and SIGTERM while the demo runs: resolves `signalled` instead of letting Node die on the
 * spot, so that the simulated mesh is stopped and its temporary folder (with its kubeconfig) removed.
 */
function onInterrupt(): { signalled: Promise<typeof INTERRUPTED>; dispose(): void } {
  let listener: () => void = () => {};
  const signalled = new Promise<typeof INTERRUPTED>((resolve) => {
    listener = () => resolve(INTERRUPTED);
  });
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return {
    signalled,
    dispose: () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    },
  };
}

export async function demoCommand(argv: DemoFlags): Promise<number> {
  if (argv.list) return listScenarios((await import('../../sim/index.js')).listScenarios(), argv.output);
  const given = (value: unknown) => value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0);
  for (const [key, flag] of FOREIGN_FLAGS) {
    if (given(argv[key]))
      throw new UsageError(`demo runs the doctor against its own simulated cluster: ${flag} does not apply`);
  }
  const code = await runDemo(argv);
  // The doctor may still be at work (its sockets to the stopped mesh failing one by one, its
  // --deadline timer): after Ctrl-C, once the mesh is gone, nothing more is worth waiting for.
  if (code === INTERRUPTED) process.exit(INTERRUPTED_EXIT);
  return code;
}

async function runDemo(argv: DemoFlags): Promise<number | typeof INTERRUPTED> {
  const name = argv.scenario ?? DEFAULT_SCENARIO;
  // The spinner turns from the first moment: the mesh's keys and servers take a moment to start.
  const progress = startProgress(process.stderr, `starting the simulated mesh "${name}"`);
  const interrupt = onInterrupt();
  try {
    const sim = await import('../../sim/index.js');
    let scenario;
    try {
      scenario = await sim.loadScenario(name);
    } catch (error) {
      throw new UsageError(`demo ${name}: ${(error as Error).message.split('\n')[0]} (see asm-prom demo --list)`);
    }
    const starting = sim.startSimulatedMesh(scenario);
    const mesh = await Promise.race([starting, interrupt.signalled]);
    if (mesh === INTERRUPTED) {
      progress.stop();
      await (await starting.catch(() => undefined))?.stop();
      return INTERRUPTED;
    }
    try {
      progress.phase('diagnosing');
      const exitCode = await Promise.race([runAndReport({ ...toDoctorOptions(argv), kubeconfig: mesh.kubeconfigPath }, argv.output, progress), interrupt.signalled]);
      if (exitCode === INTERRUPTED) return INTERRUPTED;
      if (argv.keep) await keepRunning(mesh.kubeconfigPath, scenario, interrupt.signalled);
      return exitCode;
    } finally {
      progress.stop();
      await mesh.stop();
    }
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}

interface ScenarioSummary {
  name: string;
  description: string;
  expectedCodes: string[];
}

async function listScenarios(scenarios: ScenarioSummary[], output: OutputFormat): Promise<number> {
  const rows = scenarios.map((s) => ({ ...s, default: s.name === DEFAULT_SCENARIO }));
  if (output === 'json') {
    await writeOut(`${JSON.stringify({ scenarios: rows }, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...rows.map((r) => r.name.length + (r.default ? ' (default)'.length : 0)));
  const lines = rows.map((r) => {
    const name = `${r.name}${r.default ? ' (default)' : ''}`.padEnd(width);
    const codes = r.expectedCodes.length ? `\n${' '.repeat(width + 2)}expect: ${r.expectedCodes.join(', ')}` : '';
    return `${name}  ${r.description}${codes}`;
  });
  await writeOut(`${lines.join('\n')}\n\nRun one with: asm-prom demo <scenario> [-o json] [--keep]\n`);
  return 0;
}

/** Prints how to explore the running mesh (on stderr: stdout holds the report) and waits for Ctrl-C. */
async function keepRunning(kubeconfigPath: string, scenario: { name: string; objects: KubeObject[] }, interrupted: Promise<unknown>): Promise<void> {
  const prometheus = scenario.objects.find(isPrometheusResource);
  const ns = prometheus ? namespaceOf(prometheus) : 'monitoring';
  const pod = prometheus ? podFromPrometheusResource(prometheus) : undefined;
  const certsDir = (pod && prometheusCertsMount(pod)?.mountPath) ?? '/etc/prom-certs';
  process.stderr.write([
    '',
    `The simulated mesh "${scenario.name}" keeps running; press Ctrl-C to stop it.`,
    '',
    `  export KUBECONFIG=${kubeconfigPath}`,
    '  kubectl get prometheus,servicemonitors,podmonitors,peerauthentications -A',
    `  kubectl -n ${ns} get pods -o wide`,
    `  kubectl -n ${ns} exec ${pod?.metadata?.name ?? 'prometheus-k8s-0'} -c prometheus -- ls -l ${certsDir}`,
    `  asm-prom doctor --kubeconfig ${kubeconfigPath}`,
    '',
  ].join('\n'));
  await interrupted;
}
