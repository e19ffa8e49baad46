/**
 * The second proof of --fix, live: against the simulated mesh, the doctor prints its fixes; applying
 * exactly the printed commands with the real kubectl (the simulated API server accepts PATCH and
 * plays the controllers again, as a rollout would) turns every fixable scenario healthy, and the
 * doctor then exits 0. Scenarios whose faults no object can fix (a wrong root, an expired
 * certificate, a 403 from an AuthorizationPolicy) print no mechanical fix for their errors.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runDoctor, type FindingFix, type MechanicalFix, type RunSummary } from '../src/index.js';
import { listScenarios, loadScenario, startSimulatedMesh } from '../src/sim/index.js';

/** Scenarios where every error is a configuration fault of an object the user owns. */
const FIXABLE = ['annotations-on-cr', 'certs-not-shared', 'http-on-strict', 'no-sidecar', 'permissive-target', 'port-not-http', 'otel-allocator-unmounted', 'vmagent-fs-denied'];
/** A fix exists but the re-run proves it insufficient: the monitor scrapes a sidecar and a plain pod over one endpoint. */
const UNVERIFIED = ['target-no-sidecar'];
/** Scenarios whose errors have no safe mechanical fix. */
const MANUAL = ['raw-config-cert-path', 'raw-config-http-on-strict', 'scrape-config-not-selected', 'alloy-no-file-access', 'app-unreachable', 'authz-403', 'expired-cert', 'files-0600', 'hostile-targets', 'mismatched-key', 'not-metrics', 'wrong-root', 'vmagent-wrong-root', 'alloy-wrong-root'];

const doctor = (kubeconfig: string, fix = true): Promise<RunSummary> => runDoctor({ kubeconfig, timeoutMs: 3_000, fix });
const errors = (s: RunSummary) => s.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name ?? f.subject.endpoint}`);

/** The fixes of a scenario's errors (every error has one, mechanical or manual). */
async function diagnose(name: string): Promise<{ errorFixes: FindingFix[] }> {
  const mesh = await startSimulatedMesh(name);
  try {
    const errorsFound = (await doctor(mesh.kubeconfigPath)).findings.filter((f) => f.severity === 'error');
    expect(errorsFound.every((f) => f.fix !== undefined)).toBe(true);
    return { errorFixes: errorsFound.map((f) => f.fix!) };
  } finally {
    await mesh.stop();
  }
}

describe('applying the printed fixes with kubectl heals the simulated mesh', () => {
  it('names every scenario as fixable or not', () => {
    const names = listScenarios().map((s) => s.name).filter((n) => !['healthy', 'alloy-healthy', 'otel-healthy', 'vmagent-healthy', 'raw-config', 'scrape-config', 'scrape-config-crd-absent', 'slow-api', 'scale', 'rbac-denied'].includes(n));
    expect(names.filter((n) => ![...FIXABLE, ...MANUAL, ...UNVERIFIED].includes(n))).toEqual([]);
  });

  it.each(FIXABLE)('%s', async (name) => {
    const mesh = await startSimulatedMesh(name);
    try {
      const before = await doctor(mesh.kubeconfigPath);
      expect(before.exitCode).toBe(1);
      const fixes = before.findings.map((f) => f.fix).filter((f): f is MechanicalFix => f !== undefined && !('manual' in f));
      expect(fixes.length).toBeGreaterThan(0);
      // proven in the run already, on the pods the patched owners would make
      expect(before.findings.filter((f) => f.severity === 'error' && f.fix && !('manual' in f.fix) && !f.fix.verified).map((f) => `${f.code} ${JSON.stringify((f.fix as MechanicalFix).remaining)}`)).toEqual([]);
      const printed = [...new Set(fixes.map((f) => f.kubectl))];
      // asynchronously: the simulated API server answers from this very process
      for (const command of printed) await promisify(execFile)('bash', ['-c', command], { env: { ...process.env, KUBECONFIG: mesh.kubeconfigPath } });
      // live, a change of the pod needs new pods: said, with the command
      for (const f of fixes.filter((x) => x.target.kind === 'Prometheus' && JSON.stringify(x.patch).includes('podMetadata')))
        expect(f.restart).toBe(`kubectl rollout restart statefulset/prometheus-${f.target.name} -n ${f.target.namespace}`);
      // the other operators' resources: their workload, by the name the operator gives it
      const workloads: Record<string, string> = { PrometheusAgent: 'statefulset/prom-agent-', VMAgent: '(deployment|statefulset|daemonset)/vmagent-', OpenTelemetryCollector: '(deployment|statefulset|daemonset)/' };
      for (const f of fixes.filter((x) => workloads[x.target.kind] && /podMetadata|podAnnotations|volume/.test(JSON.stringify(x.patch)))) {
        const suffix = f.target.kind === 'OpenTelemetryCollector' ? '-collector' : '';
        expect(f.restart).toMatch(new RegExp(`^kubectl rollout restart ${workloads[f.target.kind]}${f.target.name}${suffix} -n ${f.target.namespace}$`));
      }
      expect(mesh.requestLog.filter((r) => r.verb === 'patch' && r.status === 200).length).toBe(printed.length);
      const after = await doctor(mesh.kubeconfigPath, false);
      expect(errors(after), after.findings.filter((f) => f.severity === 'error').map((f) => `${f.code}: ${f.message}`).join('\n')).toEqual([]);
      expect(after.exitCode).toBe(0);
    } finally {
      await mesh.stop();
    }
  });

  it.each(MANUAL)('%s: no mechanical fix for its errors', async (name) => {
    const { errorFixes } = await diagnose(name);
    expect(errorFixes.map((f) => ('manual' in f ? 'manual' : f.kubectl))).toEqual(errorFixes.map(() => 'manual'));
  });

  it.each(UNVERIFIED)('%s: the fix is given, not verified, with what would remain', async (name) => {
    const fixes = (await diagnose(name)).errorFixes.filter((f): f is MechanicalFix => !('manual' in f));
    expect(fixes.length).toBeGreaterThan(0);
    for (const fix of fixes) {
      expect(fix.verified).toBe(false);
      expect(fix.remaining).toContain('MONITOR_SCHEME_HTTP_ON_STRICT');
    }
  });

  it('the simulated API server answers PATCH as kube-apiserver does: no strategic merge for a custom resource, 403 where forbidden', async () => {
    const mesh = await startSimulatedMesh({ ...(await loadScenario('healthy')), faults: { forbid: [{ verb: 'patch', resource: 'services' }] } });
    try {
      const kubectl = (...args: string[]) => promisify(execFile)('kubectl', args, { env: { ...process.env, KUBECONFIG: mesh.kubeconfigPath } });
      await expect(kubectl('patch', 'prometheus', 'k8s', '-n', 'monitoring', '--type', 'strategic', '-p', '{}')).rejects.toThrow(/unknown format|UnsupportedMediaType|415/);
      await expect(kubectl('patch', 'service', 'orders', '-n', 'shop', '--type', 'merge', '-p', '{"metadata":{"labels":{"x":"y"}}}')).rejects.toThrow(/forbidden/i);
      await expect(kubectl('patch', 'servicemonitor', 'shop', '-n', 'shop', '--type', 'json', '-p', '[{"op":"test","path":"/spec/endpoints/0/port","value":"nope"}]')).rejects.toThrow(/invalid|test failed/i);
      const { stdout } = await kubectl('patch', 'servicemonitor', 'shop', '-n', 'shop', '--type', 'merge', '-p', '{"metadata":{"labels":{"fixed":"yes"}}}', '-o', 'json');
      expect(JSON.parse(stdout).metadata.labels.fixed).toBe('yes');
    } finally {
      await mesh.stop();
    }
  });
});
