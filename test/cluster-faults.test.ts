/**
 * The cluster source when the API server misbehaves, against tiny local servers: a closed port, a
 * server that never answers, refused credentials, a malformed kubeconfig. The run always completes,
 * CLUSTER_UNREACHABLE comes within twice --timeout, and the exit code is never 3.
 */
import { execFileSync } from 'node:child_process';
import type http from 'node:http';
import https from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('asm-prom-cluster-');
// a throw-away self-signed serving certificate for the local API servers
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
  '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt')], { stdio: 'ignore' });
const tls = { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) };

const servers: https.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function kubeconfigFor(server: string, name = 'config'): string {
  const path = join(dir, name);
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: c', '  cluster:', `    server: ${server}`, '    insecure-skip-tls-verify: true',
    'contexts:', '- name: x', '  context: {cluster: c, user: u}',
    'current-context: x',
    'users:', '- name: u', '  user: {token: not-a-secret}', '',
  ].join('\n'));
  return path;
}

async function serve(handler: http.RequestListener): Promise<string> {
  const server = https.createServer(tls, handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<string> {
  const url = await serve(() => undefined);
  await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
  return url;
}

const codes = (summary: Awaited<ReturnType<typeof runDoctor>>) => summary.findings.map((f) => f.code);

describe('an unusable API server', () => {
  it('a closed port: CLUSTER_UNREACHABLE within twice --timeout, every cluster check skipped with the reason, exit 1', async () => {
    const kubeconfig = kubeconfigFor(await closedPort());
    // The deadline is the test's and generous: reaching it (a hang) would skip checks "within the --deadline".
    const summary = await runDoctor({ kubeconfig, timeoutMs: 1_000, deadlineMs: 60_000, probe: 'off' });
    expect(summary.checks.filter((c) => /deadline/.test(c.skipReason ?? ''))).toEqual([]);
    expect(codes(summary)).toEqual(['CLUSTER_UNREACHABLE']);
    expect(summary.findings[0]!.message).toMatch(/connection refused/);
    expect(summary.exitCode).toBe(1);
    const skipped = summary.checks.filter((c) => c.status === 'skip');
    expect(skipped.length).toBeGreaterThan(0);
    expect(summary.checks.filter((c) => c.status === 'crash')).toEqual([]);
  });

  it('a server that accepts and never answers: bounded by twice --timeout, never hung', async () => {
    const kubeconfig = kubeconfigFor(await serve(() => undefined /* never answers */));
    const summary = await runDoctor({ kubeconfig, timeoutMs: 400, deadlineMs: 60_000, probe: 'off' });
    expect(summary.checks.filter((c) => /deadline/.test(c.skipReason ?? ''))).toEqual([]);
    expect(codes(summary)).toContain('CLUSTER_UNREACHABLE');
    expect(summary.findings.find((f) => f.code === 'CLUSTER_UNREACHABLE')!.message).toMatch(/no answer within 400 ms/);
    expect(summary.exitCode).toBe(1);
  });

  it.each([
    ['a login page (HTML)', (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>'), /not JSON/],
    ['JSON that is no APIVersions', (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[null,5]}'), /no APIVersions/],
    ['a 500', (res: http.ServerResponse) => res.writeHead(500).end('oops'), /Kubernetes API/],
  ])('%s: CLUSTER_UNREACHABLE (not a Kubernetes API), never a silent pass', async (_what, answer, reason) => {
    const kubeconfig = kubeconfigFor(await serve((_req, res) => answer(res)));
    const summary = await runDoctor({ kubeconfig, timeoutMs: 2_000, probe: 'off' });
    expect(codes(summary)).toEqual(['CLUSTER_UNREACHABLE']);
    expect(summary.findings[0]!.message).toMatch(reason);
    expect(summary.exitCode).toBe(1);
  });

  it('an endless answer is cut off instead of exhausting memory', async () => {
    const kubeconfig = kubeconfigFor(await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 32);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    }));
    const summary = await runDoctor({ kubeconfig, timeoutMs: 20_000, probe: 'off' });
    expect(summary.findings.find((f) => f.code === 'CLUSTER_UNREACHABLE')?.message).toMatch(/larger than 256 MiB/);
    expect(summary.exitCode).toBe(1);
  }, 30_000);

  it('401: CLUSTER_UNREACHABLE, "refuses our credentials", not retried', async () => {
    let requests = 0;
    const kubeconfig = kubeconfigFor(await serve((_req, res) => {
      requests++;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"Unauthorized","code":401}');
    }));
    const summary = await runDoctor({ kubeconfig, timeoutMs: 1_000, probe: 'off' });
    expect(codes(summary)).toEqual(['CLUSTER_UNREACHABLE']);
    expect(summary.findings[0]!.message).toMatch(/refuses our credentials/);
    expect(requests).toBe(1);
  });
});

describe('kubeconfig resolution errors are usage errors: exit 2, one line, nothing on stdout', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['doctor', ...args], { env: { HOME: dir, KUBECONFIG: '', ...env } });

  it.each([
    ['not YAML', 'clusters: [unclosed\n  - : :'],
    ['not a mapping', '- just\n- a list\n'],
    ['a cluster without server', 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {}\ncontexts: []\n'],
  ])('%s', async (_name, text) => {
    const path = join(dir, `bad-${_name.replace(/\W/g, '')}`);
    writeFileSync(path, text);
    const result = await cli(['--kubeconfig', path, '-o', 'json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/kubeconfig/);
  });

  it('an unknown --context', async () => {
    const result = await cli(['--kubeconfig', kubeconfigFor('https://127.0.0.1:1'), '--context', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--context nope: no such context/);
  });

  it('no kubeconfig anywhere', async () => {
    const result = await cli([], { KUBERNETES_SERVICE_HOST: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no kubeconfig/);
  });
});
