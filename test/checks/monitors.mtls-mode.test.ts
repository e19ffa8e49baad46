/** monitors.mtls-mode beyond the fixture grid: the reason each finding gives, the workloads it names, and the skip when PeerAuthentications are unknown. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';

const fixture = (name: string) => new URL(`./monitors.mtls-mode/${name}`, import.meta.url).pathname;
const run = (file: string) => runDoctor(parseDoctorArgs(['-f', file, '--only', 'monitors.mtls-mode']));
const mine = (summary: Awaited<ReturnType<typeof run>>) => summary.findings.filter((f) => f.check === 'monitors.mtls-mode');
const tmp = mkdtempSync(join(tmpdir(), 'asm-prom-mtls-mode-'));

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
});
