/**
 * Offline is offline (CONTRACT.md, "What the doctor reads"): with -f or --offline and no --target or
 * --prometheus-url, a run opens no socket and makes no DNS query, whatever addresses the manifests
 * hold and whatever --probe says. A connect spy on every path out of the process (net.Socket, which
 * tls, http and https all connect through; dns; dgram) records each attempt and refuses it.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { runDoctor } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { loadFixtureCases } from './helpers/fixtures.js';
import { tempDir } from './helpers/tmp.js';

const attempts: string[] = [];
const restore: (() => void)[] = [];

function spy<T extends object>(owner: T, name: keyof T & string, label: string): void {
  const original = owner[name] as (...args: unknown[]) => unknown;
  (owner as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    attempts.push(`${label} ${JSON.stringify(args[0]) ?? ''}`);
    throw new Error(`offline test: ${label} refused`);
  };
  restore.push(() => ((owner as Record<string, unknown>)[name] = original));
}

beforeAll(() => {
  spy(net.Socket.prototype, 'connect', 'net.Socket.connect');
  spy(dns, 'lookup', 'dns.lookup');
  spy(dns, 'resolve', 'dns.resolve');
  spy(dns.promises, 'lookup', 'dns.promises.lookup');
  spy(dgram.Socket.prototype, 'send', 'dgram.send');
});
afterAll(() => restore.forEach((r) => r()));

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;
const examples = readdirSync(EXAMPLES).flatMap((d) => (statSync(join(EXAMPLES, d)).isDirectory() ? [join(EXAMPLES, d), ...readdirSync(join(EXAMPLES, d)).map((f) => join(EXAMPLES, d, f))] : []));
const fixtures = loadFixtureCases().filter((c) => !c.args.some((a) => a === '--target' || a === '--prometheus-url'));

/** A mesh whose manifests hold addresses to dial: EndpointSlices, pod IPs and a monitor selecting them. */
const ADDRESSES = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {ports: [{name: http-metrics, port: 80, targetPort: 9090}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: app, labels: {kubernetes.io/service-name: web}}
ports: [{name: http-metrics, port: 9090}]
endpoints: [{addresses: [192.0.2.7], targetRef: {kind: Pod, name: web-0, namespace: app}}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: app, labels: {app: web}}
spec: {containers: [{name: web, ports: [{name: http-metrics, containerPort: 9090}]}]}
status: {podIP: 192.0.2.7}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: app}
spec: {selector: {matchLabels: {app: web}}, endpoints: [{port: http-metrics, scheme: https}]}
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: web-pods, namespace: app}
spec: {selector: {matchLabels: {app: web}}, podMetricsEndpoints: [{port: http-metrics}]}
`;

const ADDRESSES_FILE = join(tempDir('asm-prom-offline-'), 'addresses.yaml');
writeFileSync(ADDRESSES_FILE, ADDRESSES);

async function run(args: string[]) {
  attempts.length = 0;
  const summary = await runDoctor(parseDoctorArgs(args));
  return { summary, attempts: [...attempts] };
}

describe('offline opens no socket', () => {
  it('the spy sees a connection attempt (it cannot pass by missing one)', () => {
    attempts.length = 0;
    expect(() => net.connect(9, '192.0.2.1')).toThrow(/refused/);
    expect(() => dns.lookup('example.com', () => undefined)).toThrow(/refused/);
    expect(attempts).toHaveLength(2);
  });

  it.each(['auto', 'local', 'pod'])('manifests with pod IPs and EndpointSlices, --probe %s: no address is dialled', async (probe) => {
    const { summary, attempts } = await run(['-f', ADDRESSES_FILE, '--probe', probe]);
    expect(attempts).toEqual([]);
    const probeCheck = summary.checks.find((c) => c.id === 'targets.probe');
    expect(probeCheck?.status).toBe('skip');
    expect(probeCheck?.skipReason).toMatch(/never addresses found in manifests|--probe pod needs a cluster/);
    expect([0, 1]).toContain(summary.exitCode);
  });

  it.each(examples.map((e) => [e.slice(EXAMPLES.length)]))('example %s', async (example) => {
    const { summary, attempts } = await run(['-f', join(EXAMPLES, example)]);
    expect(attempts).toEqual([]);
    expect(summary.mode).toBe('offline');
  });

  it.each(fixtures.map((c) => [`${c.checkId}/${c.name}`, c.args] as const))('fixture %s', async (_, args) => {
    const { summary, attempts } = await run([...args]);
    expect(attempts).toEqual([]);
    expect(summary.mode).toBe('offline');
  });
});

describe('the CLI offline opens no socket (a preload module refuses and records every attempt)', () => {
  const env = { NODE_OPTIONS: `--import ${new URL('./helpers/no-socket-preload.mjs', import.meta.url).pathname}` };

  it('records an attempt when there is one (--target is dialled, as the user asked)', async () => {
    const { stderr } = await runCli(['doctor', '--offline', '--target', '192.0.2.1:9', '-o', 'json'], { env });
    expect(stderr).toMatch(/asm-prom-test: net\.Socket\.connect/);
  });

  it.each([
    [['-f', ADDRESSES_FILE, '--probe', 'local']],
    [['-f', ADDRESSES_FILE, '--probe', 'auto']],
    [['-f', EXAMPLES]],
  ])('doctor %j', async (args) => {
    const { code, stderr, stdout } = await runCli(['doctor', ...args, '-o', 'json'], { env });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout).mode).toBe('offline');
    expect([0, 1]).toContain(code);
  });
});
