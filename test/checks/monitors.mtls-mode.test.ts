/** monitors.mtls-mode beyond the fixture grid: the reason each finding gives, the workloads it names, and the skip when PeerAuthentications are unknown. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';
import mtlsMode from '../../checks/monitors/mtls-mode.js';
import { ResourceStore, type Providers } from '../../src/core/resources.js';
import { runChecks } from '../../src/core/runner.js';
import type { Monitor, PeerAuthentication, Pod, Service } from '../../src/model/k8s.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => new URL(`./monitors.mtls-mode/${name}`, import.meta.url).pathname;
const run = (file: string) => runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.mtls-mode']));
const mine = (summary: Awaited<ReturnType<typeof run>>) => summary.findings.filter((f) => f.check === 'monitors.mtls-mode');
const tmp = tempDir('asm-prom-mtls-mode-');

describe('monitors.mtls-mode findings', () => {
  it('https on PERMISSIVE says the mode, its source and why TLS lands in plain text', async () => {
    const [finding, ...rest] = mine(await run(fixture('fail-https-on-permissive.yaml')));
    expect(rest).toEqual([]);
    expect(finding!.code).toBe('MONITOR_TLS_ON_PLAINTEXT');
    expect(finding!.message).toMatch(/over https, but its mTLS mode is PERMISSIVE \(.+\): Istio terminates TLS there only for its own ALPN/);
  });

  it('http on STRICT names the mode STRICT and the policy that sets it', async () => {
    const [finding] = mine(await run(fixture('fail-http-on-strict.yaml')));
    expect(finding!.code).toBe('MONITOR_SCHEME_HTTP_ON_STRICT');
    expect(finding!.message).toMatch(/over plain http, but its mTLS mode is STRICT \(.*PeerAuthentication.*\)/);
  });

  it('https toward pods without a sidecar says so', async () => {
    const messages = mine(await run(fixture('fail-https-without-sidecar.yaml'))).map((f) => f.message);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/scrapes Deployment bookinfo\/ratings over https, but it has no sidecar: its pods say sidecar\.istio\.io\/inject: "false"/),
      expect.stringMatching(/scrapes Deployment shop\/details over https, but it has no sidecar: namespace shop does not enable injection/),
      expect.stringMatching(/scrapes Deployment bookinfo\/reviews over https, but its mTLS mode is DISABLE \(PeerAuthentication bookinfo\/reviews-plain \(workload\)\): its sidecar passes plain text/),
    ]));
    expect(messages).toHaveLength(3);
  });

  it('names three workloads and counts the others', async () => {
    const base = readFileSync(fixture('fail-https-on-permissive.yaml'), 'utf8');
    const deployment = base.slice(base.indexOf('apiVersion: apps/v1'), base.indexOf('---', base.indexOf('apiVersion: apps/v1')));
    const more = ['b', 'c', 'd', 'e'].map((n) => deployment.replace('metadata: {name: productpage, namespace: bookinfo}', `metadata: {name: productpage-${n}, namespace: bookinfo}`)).join('---\n');
    const file = join(tmp, 'five.yaml');
    writeFileSync(file, `${base}\n---\n${more}`);
    const [finding] = mine(await run(file));
    expect(finding!.message).toMatch(/scrapes [^,]+, [^,]+, [^,]+ \(and 2 more\) over https/);
  });

  it('without any PeerAuthentication in the inputs, the check is skipped with that reason, never a pass', async () => {
    const base = readFileSync(fixture('pass-strict-https.yaml'), 'utf8');
    const file = join(tmp, 'no-pa.yaml');
    writeFileSync(file, base.split('\n---\n').filter((d) => !/kind: PeerAuthentication/.test(d)).join('\n---\n'));
    const summary = await run(file);
    const check = summary.checks.find((c) => c.id === 'monitors.mtls-mode');
    expect(check?.status).toBe('skip');
    expect(check?.skipReason).toMatch(/PeerAuthentication/);
  });
  const without = (name: string, drop: RegExp, extra = '') => {
    const base = readFileSync(fixture(name), 'utf8');
    const file = join(tmp, `${name}-${drop.source.replace(/\W/g, '')}.yaml`);
    writeFileSync(file, base.split('\n---\n').filter((d) => !drop.test(d)).join('\n---\n') + extra);
    return file;
  };

  it('names exactly three workloads without counting more', async () => {
    const base = readFileSync(fixture('fail-https-on-permissive.yaml'), 'utf8');
    const deployment = base.slice(base.indexOf('apiVersion: apps/v1'), base.indexOf('---', base.indexOf('apiVersion: apps/v1')));
    const more = ['b', 'c'].map((n) => deployment.replace('metadata: {name: productpage, namespace: bookinfo}', `metadata: {name: productpage-${n}, namespace: bookinfo}`)).join('---\n');
    const file = join(tmp, 'three.yaml');
    writeFileSync(file, `${base}\n---\n${more}`);
    const [finding] = mine(await run(file));
    expect(finding!.message).toMatch(/scrapes Deployment bookinfo\/productpage, Deployment bookinfo\/productpage-b, Deployment bookinfo\/productpage-c over https/);
    expect(finding!.message).not.toContain('more');
  });

  it('when the namespace of every target is unknown (no Namespace among the inputs), is skipped: whether they have sidecars is unknown', async () => {
    const summary = await run(without('pass-strict-https.yaml', /kind: Namespace\nmetadata: \{name: bookinfo/));
    expect(mine(summary)).toEqual([]);
    const check = summary.checks.find((c) => c.id === 'monitors.mtls-mode');
    expect(check?.status).toBe('skip');
    expect(check?.skipReason).toBe('the namespaces of the target workloads are not among the inputs, so whether they have sidecars is unknown');
  });

  it('without PeerAuthentications, still faults https toward pods without a sidecar, and says nothing of those with one', async () => {
    const summary = await run(without('fail-https-without-sidecar.yaml', /kind: PeerAuthentication/));
    expect(mine(summary).map((f) => `${f.code} ${f.subject.namespace}/${f.subject.name}`).sort()).toEqual([
      'MONITOR_TLS_ON_PLAINTEXT bookinfo/ratings',
      'MONITOR_TLS_ON_PLAINTEXT shop/details',
    ]);
    expect(summary.checks.find((c) => c.id === 'monitors.mtls-mode')?.status).toBe('fail');
  });

  it('judges a PodMonitor though the ServiceMonitor beside it has no Service among the inputs', async () => {
    const podMonitor = `
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: productpage-pods, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: productpage}}
  podMetricsEndpoints:
  - port: http
`;
    const summary = await run(without('pass-strict-https.yaml', /kind: Service\n/, podMonitor));
    expect(mine(summary).map((f) => `${f.code} ${f.subject.kind}/${f.subject.name}`)).toEqual(['MONITOR_SCHEME_HTTP_ON_STRICT PodMonitor/productpage-pods']);
  });

  it('passes when there is no monitor or job to judge', async () => {
    const summary = await run(without('pass-strict-https.yaml', /kind: ServiceMonitor/));
    expect(mine(summary)).toEqual([]);
    expect(summary.checks.find((c) => c.id === 'monitors.mtls-mode')?.status).toBe('pass');
  });
});

describe('monitors.mtls-mode on a live cluster', () => {
  it('reads the mesh-wide policy from the mesh root namespace the cluster names, and needs no Namespace list to judge pods that run a sidecar', async () => {
    const pod = { kind: 'Pod', metadata: { name: 'web-1', namespace: 'apps', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', ports: [{ name: 'http-metrics', containerPort: 8080 }] }], initContainers: [{ name: 'istio-proxy', restartPolicy: 'Always' }] } } as Pod;
    const service = { kind: 'Service', metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http-metrics', port: 8080 }] } } as Service;
    const monitor = { kind: 'ServiceMonitor', metadata: { name: 'web', namespace: 'apps' }, spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http-metrics' }] } } as Monitor;
    const strict: PeerAuthentication = { kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-config' }, spec: { mtls: { mode: 'STRICT' } } };
    const providers = {
      serviceMonitors: () => [monitor],
      podMonitors: () => [],
      services: () => [service],
      workloads: () => [{ object: pod, namespace: 'apps', template: { metadata: pod.metadata, spec: pod.spec } }],
      peerAuthentications: () => [strict],
      meshRootNamespace: () => 'istio-config',
    } as Partial<Providers> as Providers;
    const RUN = { now: new Date(), timeoutMs: 5000, concurrency: 1, verbose: false, only: [], skip: [], deadlineMs: 10_000 };
    const { findings } = await runChecks([mtlsMode], new ResourceStore(providers), RUN);
    expect(findings.map((f) => `${f.code}: ${f.message}`)).toEqual([
      expect.stringMatching(/^MONITOR_SCHEME_HTTP_ON_STRICT: .*STRICT \(PeerAuthentication istio-config\/default \(mesh-wide\)\)/),
    ]);
  });
});
