/**
 * prometheus.traffic-capture beyond the fixture grid: INBOUND_CAPTURED (an info, which the grid does
 * not assert), and what shows that the injector's iptables (or Istio CNI's) redirect the pod's
 * traffic: istio-init, istio-validation or the injector's status annotation; a hand-written
 * istio-proxy without them captures nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

const CHECK = 'prometheus.traffic-capture';
const fixture = (name: string) => new URL(`./${CHECK}/${name}`, import.meta.url).pathname;
const dir = tempDir('asm-prom-traffic-capture-');

async function findings(file: string) {
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', CHECK]));
  return summary.findings.filter((f) => f.check === CHECK).map((f) => ({ code: f.code, subject: `${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`, message: f.message }));
}
async function variant(name: string, text: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  return findings(file);
}

const injected = readFileSync(fixture('fail-injected-pod.yaml'), 'utf8');
const STATUS = /^ {4}sidecar\.istio\.io\/status: .*\n/m;

describe('INBOUND_CAPTURED', () => {
  it('is said, with the value, when the inbound annotation is missing or lists ports', async () => {
    const notSet = await findings(fixture('fail-injected-pod.yaml'));
    expect(notSet.filter((f) => f.code === 'INBOUND_CAPTURED')).toEqual([{
      code: 'INBOUND_CAPTURED', subject: 'Pod/monitoring/prometheus-0',
      message: 'traffic.sidecar.istio.io/includeInboundPorts is not set: the sidecar intercepts traffic to Prometheus',
    }]);
    const listed = await variant('inbound-9090.yaml', injected.replace('  annotations:\n', '  annotations:\n    traffic.sidecar.istio.io/includeInboundPorts: "9090"\n'));
    expect(listed.filter((f) => f.code === 'INBOUND_CAPTURED').map((f) => f.message)).toEqual(['traffic.sidecar.istio.io/includeInboundPorts is "9090": the sidecar intercepts traffic to Prometheus']);
  });

  it('is not said when includeInboundPorts is ""', async () => {
    expect(await findings(fixture('pass-both-empty.yaml'))).toEqual([]);
    expect(await findings(fixture('pass-include-outbound-ports-not-scraped.yaml'))).toEqual([]);
  });
});

describe('whether the pod traffic is captured at all', () => {
  it('istio-init alone shows the iptables rules (a kube-inject output stripped of its annotations)', async () => {
    expect(injected).toMatch(STATUS);
    const codes = (await variant('istio-init-only.yaml', injected.replace(STATUS, ''))).map((f) => f.code);
    expect(codes).toEqual(['OUTBOUND_CAPTURED', 'INBOUND_CAPTURED']);
  });

  it("Istio CNI's istio-validation alone shows them too", async () => {
    const cni = injected.replace(STATUS, '').replace('  - name: istio-init\n', '  - name: istio-validation\n');
    expect((await variant('istio-validation.yaml', cni)).map((f) => f.code)).toEqual(['OUTBOUND_CAPTURED', 'INBOUND_CAPTURED']);
  });

  it("the injector's status annotation alone shows them, whatever init containers the inputs show", async () => {
    const cni = injected.replace(/ {2}- name: istio-init\n(?: {4}.*\n)+/, '');
    expect(cni).not.toContain('istio-init\n');
    expect((await variant('status-only.yaml', cni)).map((f) => f.code)).toEqual(['OUTBOUND_CAPTURED', 'INBOUND_CAPTURED']);
  });

  it('an istio-proxy written by hand, with another init container, captures nothing', async () => {
    const byHand = injected.replace(STATUS, '').replace('  - name: istio-init\n', '  - name: init-chown-data\n');
    expect(await variant('by-hand.yaml', byHand)).toEqual([]);
  });
});
