/**
 * Finds the kubeconfig as kubectl does: --kubeconfig, else every file of $KUBECONFIG merged (the
 * first file to define a name or the current context wins; missing files are ignored), else
 * ~/.kube/config, else the in-cluster service account. A file that is not a kubeconfig, or a
 * --context it does not have, is a usage error (exit 2, one line).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { UsageError, oneLine } from '../../core/errors.js';

type ClientNode = typeof import('@kubernetes/client-node');

export interface KubeConfigInputs {
  kubeconfig?: string;
  context?: string;
}

export interface Environment {
  env: NodeJS.ProcessEnv;
  home: string;
  /** prefix of the pod's service account folder (client-node's loadFromCluster pathPrefix; for tests) */
  fsRoot: string;
}

const DEFAULT_ENVIRONMENT: Environment = {
  env: process.env,
  home: homedir(),
  fsRoot: '',
};

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface ResolvedKubeConfig {
  kubeConfig: KubeConfig;
  /** the API server URL of the chosen context */
  server: string;
  /** where the configuration came from, for messages */
  origin: string;
}

export function resolveKubeConfig(k8s: ClientNode, inputs: KubeConfigInputs, environment: Environment = DEFAULT_ENVIRONMENT): ResolvedKubeConfig {
  const { kubeConfig, origin } = loadConfig(k8s, inputs, environment);
  if (inputs.context !== undefined) {
    if (!kubeConfig.contexts.some((c) => c.name === inputs.context))
      throw new UsageError(`--context ${inputs.context}: no such context in ${origin}`);
    kubeConfig.setCurrentContext(inputs.context);
  }
  const contextName = kubeConfig.getCurrentContext();
  if (!contextName) throw new UsageError(`${origin}: no current-context is set; name one with --context`);
  const context = kubeConfig.contexts.find((c) => c.name === contextName);
  if (!context) throw new UsageError(`${origin}: the current context "${contextName}" is not defined`);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new UsageError(`${origin}: context "${contextName}" names cluster "${context.cluster}", which is not defined`);
  if (!URL.canParse(cluster.server) || !/^https?:$/.test(new URL(cluster.server).protocol))
    throw new UsageError(`${origin}: cluster "${cluster.name}" has server "${cluster.server}", which is not an http(s) URL`);
  return { kubeConfig, server: cluster.server, origin };
}

function loadConfig(k8s: ClientNode, inputs: KubeConfigInputs, environment: Environment): { kubeConfig: KubeConfig; origin: string } {
  if (inputs.kubeconfig !== undefined) {
    if (!existsSync(inputs.kubeconfig)) throw new UsageError(`--kubeconfig ${inputs.kubeconfig}: no such file or directory`);
    return { kubeConfig: loadFile(k8s, inputs.kubeconfig), origin: `kubeconfig ${inputs.kubeconfig}` };
  }
  const listed = (environment.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (listed.length) {
    const files = listed.filter((f) => existsSync(f));
    if (!files.length) throw new UsageError(`$KUBECONFIG names no existing file (${listed.join(delimiter)})`);
    return { kubeConfig: mergeFirstWins(k8s, files.map((f) => loadFile(k8s, f))), origin: `kubeconfig ${files.join(delimiter)}` };
  }
  const home = join(environment.home, '.kube', 'config');
  if (existsSync(home)) return { kubeConfig: loadFile(k8s, home), origin: `kubeconfig ${home}` };

  if (environment.env.KUBERNETES_SERVICE_HOST && existsSync(`${environment.fsRoot}${SERVICE_ACCOUNT_TOKEN}`)) {
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromCluster(environment.fsRoot);
    return { kubeConfig, origin: 'the in-cluster service account' };
  }
  throw new UsageError('no kubeconfig: $KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod; give --kubeconfig, or -f for manifests');
}

function loadFile(k8s: ClientNode, file: string): KubeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`kubeconfig ${file}: ${oneLine(error)}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text, { logLevel: 'error' });
  } catch (error) {
    throw new UsageError(`kubeconfig ${file} is not valid YAML: ${oneLine(error)}`);
  }
  if (!document || typeof document !== 'object' || Array.isArray(document))
    throw new UsageError(`kubeconfig ${file} is not a kubeconfig (expected a mapping with clusters, users and contexts)`);
  const kubeConfig = new k8s.KubeConfig();
  try {
    kubeConfig.loadFromFile(file);
  } catch (error) {
    throw new UsageError(`kubeconfig ${file} is not valid: ${oneLine(error)}`);
  }
  return kubeConfig;
}

/** kubectl's merge of $KUBECONFIG: the first file to define a name (or current-context) wins. */
function mergeFirstWins(k8s: ClientNode, configs: KubeConfig[]): KubeConfig {
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Map<string, T>();
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  const merged = new k8s.KubeConfig();
  merged.loadFromOptions({
    clusters: firstByName(configs.map((c) => c.clusters)),
    users: firstByName(configs.map((c) => c.users)),
    contexts: firstByName(configs.map((c) => c.contexts)),
    currentContext: configs.map((c) => c.getCurrentContext()).find(Boolean),
  });
  return merged;
}
