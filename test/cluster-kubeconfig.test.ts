/** Finding the kubeconfig as kubectl does: --kubeconfig, $KUBECONFIG merged first-wins, ~/.kube/config, in-cluster. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors.js';
import { resolveKubeConfig, type Environment } from '../src/sources/cluster/kubeconfig.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('asm-prom-kubeconfig-');

function file(name: string, cluster: string, server: string, current?: string): string {
  const path = join(dir, name);
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', `- name: ${cluster}`, `  cluster: {server: "${server}"}`,
    'users:', `- name: ${cluster}-user`, '  user: {token: t}',
    'contexts:', `- name: ${cluster}`, `  context: {cluster: ${cluster}, user: ${cluster}-user}`,
    ...(current ? [`current-context: ${current}`] : []), '',
  ].join('\n'));
  return path;
}

const env = (overrides: Partial<Environment> = {}): Environment => ({ env: {}, home: join(dir, 'nohome'), fsRoot: join(dir, 'nofs'), ...overrides });

describe('resolveKubeConfig', () => {
  it('--kubeconfig wins over $KUBECONFIG', () => {
    const a = file('a', 'a', 'https://a.example:6443', 'a');
    const b = file('b', 'b', 'https://b.example:6443', 'b');
    expect(resolveKubeConfig(k8s, { kubeconfig: a }, env({ env: { KUBECONFIG: b } })).server).toBe('https://a.example:6443');
  });

  it('$KUBECONFIG: the files are merged, the first current-context wins, missing files are ignored', () => {
    const a = file('m1', 'one', 'https://one.example', undefined);
    const b = file('m2', 'two', 'https://two.example', 'two');
    const c = file('m3', 'one', 'https://shadowed.example', 'one');
    const resolved = resolveKubeConfig(k8s, {}, env({ env: { KUBECONFIG: [join(dir, 'missing'), a, b, c].join(delimiter) } }));
    expect(resolved.server).toBe('https://two.example');
    expect(resolveKubeConfig(k8s, { context: 'one' }, env({ env: { KUBECONFIG: [a, b, c].join(delimiter) } })).server).toBe('https://one.example');
  });

  it('~/.kube/config when $KUBECONFIG is unset', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), `apiVersion: v1\nclusters: [{name: h, cluster: {server: "https://home.example"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: h, context: {cluster: h, user: u}}]\ncurrent-context: h\n`);
    expect(resolveKubeConfig(k8s, {}, env({ home })).server).toBe('https://home.example');
  });

  it('the in-cluster service account when nothing else exists', () => {
    const fsRoot = join(dir, 'pod');
    mkdirSync(join(fsRoot, 'var/run/secrets/kubernetes.io/serviceaccount'), { recursive: true });
    writeFileSync(join(fsRoot, 'var/run/secrets/kubernetes.io/serviceaccount/token'), 'token');
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    Object.assign(process.env, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' });
    try {
      const resolved = resolveKubeConfig(k8s, {}, env({ env: process.env, fsRoot }));
      expect(resolved.server).toBe('https://10.0.0.1:443');
      expect(resolved.origin).toMatch(/in-cluster/);
    } finally {
      for (const [key, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('usage errors: one line each', () => {
    const noCurrent = file('nocurrent', 'x', 'https://x.example');
    const badServer = file('badserver', 'y', 'not a url', 'y');
    for (const attempt of [
      () => resolveKubeConfig(k8s, {}, env()),
      () => resolveKubeConfig(k8s, { kubeconfig: join(dir, 'absent') }, env()),
      () => resolveKubeConfig(k8s, { kubeconfig: noCurrent }, env()),
      () => resolveKubeConfig(k8s, { kubeconfig: badServer }, env()),
      () => resolveKubeConfig(k8s, {}, env({ env: { KUBECONFIG: join(dir, 'absent') } })),
    ]) {
      expect(attempt).toThrow(UsageError);
      try {
        attempt();
      } catch (error) {
        expect((error as Error).message).not.toContain('\n');
      }
    }
  });
});
