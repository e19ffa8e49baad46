/**
 * deploy/serve, the manifests users apply for continuous mode: the doctor finds nothing wrong in
 * them, and the real kubectl accepts them (apply --dry-run=client) against the simulated API server.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedMesh, type SimulatedMesh } from '../src/sim/index.js';
import { runCli } from './helpers/cli.js';
import { peer } from './helpers/peers.js';
import { tempDir } from './helpers/tmp.js';

const DEPLOY = new URL('../deploy/serve/', import.meta.url).pathname;
// the ClusterRole that deploy/serve/rbac.yaml binds: applied beside it, as docs/continuous.md says
const CLUSTER_ROLE = new URL('../deploy/in-cluster/rbac.yaml', import.meta.url).pathname;
const kubectlBin = peer('kubectl');

describe('deploy/serve', () => {
  it('passes asm-prom doctor -f with no warning or error', async () => {
    const result = await runCli(['doctor', '-f', CLUSTER_ROLE, '-f', DEPLOY, '-o', 'json', '--fail-on', 'warning']);
    const report = JSON.parse(result.stdout) as { findings: { code: string; severity: string }[]; exitCode: number };
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(result.code).toBe(0);
  });

  describe.skipIf(!kubectlBin)('kubectl apply --dry-run=client', () => {
    let mesh: SimulatedMesh;
    beforeAll(async () => {
      mesh = await startSimulatedMesh('healthy');
    }, 60_000);
    afterAll(() => mesh?.stop());

    it('accepts every object', async () => {
      const { stdout } = await promisify(execFile)(kubectlBin!, ['--kubeconfig', mesh.kubeconfigPath, '--cache-dir', tempDir('kubectl-cache-'),
        'apply', '--dry-run=client', '--validate=false', '-f', CLUSTER_ROLE, '-f', DEPLOY], { timeout: 30_000 });
      expect(stdout.trim().split('\n').sort()).toEqual([
        'clusterrole.rbac.authorization.k8s.io/asm-prom-doctor created (dry run)',
        'clusterrolebinding.rbac.authorization.k8s.io/asm-prom-doctor created (dry run)',
        'deployment.apps/asm-prom created (dry run)',
        'prometheusrule.monitoring.coreos.com/asm-prom created (dry run)',
        'service/asm-prom created (dry run)',
        'serviceaccount/asm-prom created (dry run)',
        'servicemonitor.monitoring.coreos.com/asm-prom created (dry run)',
      ]);
    });
  });
});
