/**
 * `--probe pod`: the same codes when the handshake is `openssl s_client` exec'd in the Prometheus
 * pod's istio-proxy. Here the exec runs the real local openssl with the argv and stdin the probe
 * sends (what the simulated API server does too), against real servers; and, when the simulated mesh
 * is present, end to end through its API server's exec.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import targetsProbe from '../checks/targets/probe.js';
import { DEFAULT_OPTIONS, type DoctorOptions } from '../src/core/options.js';
import { ResourceStore } from '../src/core/resources.js';
import { runChecks } from '../src/core/runner.js';
import type { CertFileSet } from '../src/model/inventory.js';
import type { ExecResult, KubeAccess } from '../src/model/kube-access.js';
import { runDoctor } from '../src/index.js';
import { startSimulatedMesh } from '../src/sim/index.js';
import { readCertsDir } from '../src/sources/cert-files.js';
import { flagTargets, probeProviders } from '../src/probes/targets.js';
import { ProbeLab, TARGET_ID } from './probe-servers.js';
import { peer } from './helpers/peers.js';

const NGINX = peer('nginx');

/** KubeAccess whose exec runs argv on this machine (never a shell), recording every call. */
function localExec(calls: { container: string; argv: readonly string[] }[]): KubeAccess {
  return {
    server: 'https://fake',
    proxyGet: () => Promise.reject(new Error('not used')),
    exec: (_ns, _pod, container, argv, options) => new Promise<ExecResult>((resolve) => {
      calls.push({ container, argv });
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), options?.timeoutMs ?? 10_000);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout: Buffer.concat(out), stderr: err, exitCode: code });
      });
      // openssl may end (a rejected handshake) before it reads stdin: EPIPE is then no error of the test's
      child.stdin.on('error', () => undefined);
      child.stdin.end(options?.stdin ?? '');
    }),
  };
}

let lab: ProbeLab;
beforeAll(() => (lab = new ProbeLab()));
afterAll(async () => lab.closeAll());

async function probeFromPod(port: number, certsDir: string, extra: Partial<DoctorOptions> = {}) {
  const calls: { container: string; argv: readonly string[] }[] = [];
  const options: DoctorOptions = { ...DEFAULT_OPTIONS, offline: true, targets: [`127.0.0.1:${port}`], probe: 'pod', timeoutMs: 3_000, ...extra };
  const files: CertFileSet = { ...(await readCertsDir(certsDir)), subject: { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-k8s-0' } };
  const store = new ResourceStore({ certFiles: () => [files], kube: () => localExec(calls), probeTargets: () => flagTargets(options) });
  store.provide({ probeResults: probeProviders(options, store).probeResults });
  const { findings, checks } = await runChecks([targetsProbe], store, { now: new Date(), timeoutMs: options.timeoutMs, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 30_000 });
  expect(checks[0]?.status).not.toBe('skip');
  return { findings, calls };
}

describe('--probe pod through openssl s_client', () => {
  it('TARGET_OK against openssl s_server, with the peer SPIFFE ID and the sidecar as the place', async () => {
    const { findings, calls } = await probeFromPod(await lab.opensslServer(), lab.certsDir('pod-good'));
    expect(findings.map((f) => f.code)).toEqual(['TARGET_OK']);
    expect(findings[0]!.evidence).toMatchObject({ probedFrom: 'pod', peerSpiffeId: TARGET_ID, samples: 3, tlsVersion: 'TLSv1.3', status: 200 });
    expect(findings[0]!.subject).toMatchObject({ endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(calls.every((c) => c.container === 'istio-proxy' && c.argv[0] === 'openssl' && c.argv[1] === 's_client')).toBe(true);
    expect(calls[0]!.argv).toEqual(expect.arrayContaining(['-cert', join(lab.dir, 'pod-good', 'cert-chain.pem'), '-alpn', 'http/1.1', '-brief', '-ign_eof']));
  });

  it.skipIf(!NGINX)('TARGET_OK against nginx, and a chunked-free close-delimited body', async () => {
    const { findings } = await probeFromPod(await lab.nginx(), lab.certsDir('pod-nginx'));
    expect(findings.map((f) => f.code)).toEqual(['TARGET_OK']);
  });

  it('CLIENT_CERT_REJECTED unknown_ca from the alert openssl prints', async () => {
    const other = lab.certsDir('pod-other', lab.otherMesh.issueWorkload('spiffe://other.mesh/ns/monitoring/sa/prometheus'), lab.otherMesh.rootPem);
    const { findings } = await probeFromPod(await lab.opensslServer(), other);
    expect(findings.map((f) => f.code)).toEqual(['CLIENT_CERT_REJECTED']);
    expect(findings[0]!.evidence).toMatchObject({ alert: 'unknown_ca' });
  });

  it('CLIENT_CERT_REJECTED certificate_required without a client certificate', async () => {
    const { findings } = await probeFromPod(await lab.opensslServer(), lab.certsDir('pod-none', null));
    expect(findings.map((f) => f.code)).toEqual(['CLIENT_CERT_REJECTED']);
    expect(findings[0]!.evidence).toMatchObject({ alert: 'certificate_required' });
  });

  it.skipIf(!NGINX)('CLIENT_CERT_REJECTED from nginx\'s HTTP 400', async () => {
    const { findings } = await probeFromPod(await lab.nginx(), lab.certsDir('pod-nginx-none', null));
    expect(findings.map((f) => f.code)).toEqual(['CLIENT_CERT_REJECTED']);
  });

  it('PEER_IDENTITY_MISMATCH from the verbose run\'s certificate', async () => {
    const { findings } = await probeFromPod(await lab.opensslServer(), lab.certsDir('pod-id'), { targetIdentity: 'spiffe://cluster.local/ns/x/sa/y' });
    expect(findings.map((f) => f.code).sort()).toEqual(['PEER_IDENTITY_MISMATCH', 'TARGET_OK']);
  });

  it('TARGET_UNREACHABLE for a closed port', async () => {
    const { findings } = await probeFromPod(await lab.closedPort(), lab.certsDir('pod-closed'));
    expect(findings.map((f) => f.code)).toEqual(['TARGET_UNREACHABLE']);
    expect(findings[0]!.evidence.reason).toMatch(/refused|errno/i);
  });

  it('TARGET_TIMEOUT, not a close, when openssl is cut at the exec\'s limit: a listener that never speaks, a trickling body', async () => {
    const silent = await probeFromPod(await lab.silent(), lab.certsDir('pod-silent'), { timeoutMs: 1_000 });
    expect(silent.findings.map((f) => [f.code, f.evidence.step])).toEqual([['TARGET_TIMEOUT', 'connect']]);
    const trickle = await probeFromPod(await lab.tlsTrickle(), lab.certsDir('pod-trickle'), { timeoutMs: 1_000 });
    expect(trickle.findings.map((f) => [f.code, f.evidence.step])).toEqual([['TARGET_TIMEOUT', 'response']]);
  });

  it('TARGET_NOT_TLS for a plain-text port', async () => {
    const { findings } = await probeFromPod(await lab.plainHttp(), lab.certsDir('pod-plain'));
    expect(findings.map((f) => f.code)).toEqual(['TARGET_NOT_TLS']);
  });

  it('SCRAPE_HTTP_ERROR with the status', async () => {
    const port = await lab.https();
    const { findings } = await probeFromPod(port, lab.certsDir('pod-403'), { targets: [`127.0.0.1:${port}/forbidden`] });
    expect(findings.map((f) => f.code)).toEqual(['SCRAPE_HTTP_ERROR']);
    expect(findings[0]!.evidence).toMatchObject({ status: 403 });
  });

  it('PEER_CERT_UNTRUSTED from openssl\'s verification against root-cert.pem', async () => {
    const port = await lab.https({ cert: lab.otherMesh.issueWorkload(TARGET_ID) });
    const { findings } = await probeFromPod(port, lab.certsDir('pod-untrusted'));
    expect(findings.map((f) => f.code).sort()).toEqual(['PEER_CERT_UNTRUSTED', 'TARGET_OK']);
  });
});

describe('--probe pod against the simulated mesh', () => {
  it('probes the monitors\' targets from the Prometheus pod through the API server\'s exec', async () => {
    const mesh = await startSimulatedMesh('healthy');
    try {
      const summary = await runDoctor({ kubeconfig: mesh.kubeconfigPath, probe: 'pod', only: ['targets.*'], timeoutMs: 5_000 });
      const check = summary.checks.find((c) => c.id === 'targets.probe');
      expect(check?.status, check?.skipReason).not.toBe('skip');
      const findings = summary.findings.filter((f) => f.check === 'targets.probe');
      expect(findings.length).toBeGreaterThan(0);
      for (const f of findings) {
        expect(f.subject.endpoint).toMatch(/^[\d.]+:\d+$/);
        expect(f.evidence.probedFrom).toBe('pod');
      }
      expect(findings.some((f) => f.code === 'TARGET_OK' && typeof f.evidence.peerSpiffeId === 'string')).toBe(true);
    } finally {
      await mesh.stop();
    }
  });
});
