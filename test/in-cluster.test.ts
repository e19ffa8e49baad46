/**
 * docs/in-cluster.md as far as it can be tried here: the image (Dockerfile, whose only build step
 * is scripts/docker-steps.sh, run by test/package.test.ts), and the Job and RBAC manifests it
 * points to, through the doctor and through the real kubectl against the simulated API server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startSimulatedMesh, type SimulatedMesh } from '../src/sim/index.js';
import { RESOURCES } from '../src/sources/cluster/api.js';
import { runCli } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPLOY = join(ROOT, 'deploy/in-cluster');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const run = promisify(execFile);

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const objects = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml')).sort()
  .flatMap((f) => parseAllDocuments(readFileSync(join(DEPLOY, f), 'utf8')).map((d) => d.toJS() as Obj));
const byKind = (kind: string) => objects.find((o) => o.kind === kind)!;

describe('the Dockerfile', () => {
  const lines = read('Dockerfile').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const instructions = lines.map((l) => l.trim().split(/\s+/)[0]!.toUpperCase());

  it('starts from Debian slim Node 20 and builds only through scripts/docker-steps.sh', () => {
    expect(lines[0]).toBe('FROM node:20-bookworm-slim');
    const runs = lines.filter((l) => l.startsWith('RUN '));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^RUN sh \/tmp\/asm-prom\/docker-steps\.sh \/tmp\/asm-prom\/asm-prom-\*\.tgz( && rm -rf \/tmp\/asm-prom)?$/);
    expect(lines).toContain('COPY scripts/docker-steps.sh asm-prom-*.tgz /tmp/asm-prom/');
  });

  it('runs as a non-root user given by number (runAsNonRoot can verify it), with asm-prom as the entrypoint', () => {
    const user = lines.find((l) => l.startsWith('USER '))!;
    expect(user).toMatch(/^USER [1-9]\d*(:[1-9]\d*)?$/);
    expect(instructions.indexOf('USER')).toBeGreaterThan(instructions.indexOf('RUN'));
    expect(lines).toContain('ENTRYPOINT ["asm-prom"]');
  });

  it('installs openssl in the image steps, and the build context holds only the tarball and the script', () => {
    expect(read('scripts/docker-steps.sh')).toMatch(/apt-get install .*\bopenssl\b/);
    expect(read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['*', '!asm-prom-*.tgz', '!scripts/docker-steps.sh']);
  });
});

describe('the manifests of docs/in-cluster.md (deploy/in-cluster/)', () => {
  it('are the ones the doc points to, and the Job runs the image, not npx', () => {
    const doc = read('docs/in-cluster.md');
    expect(doc).toContain('deploy/in-cluster/rbac.yaml');
    expect(doc).toContain('deploy/in-cluster/job.yaml');
    expect(doc).not.toMatch(/\bnpx\b/);
    const job = byKind('Job') as unknown as { spec: { template: { spec: { serviceAccountName: string; securityContext: { runAsNonRoot: boolean }; containers: { image: string; command?: string[]; args: string[] }[] } } } };
    const pod = job.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]!.image).toMatch(/^asm-prom:/);
    expect(pod.containers[0]!.command).toBeUndefined(); // the image's entrypoint, asm-prom
    expect(pod.containers[0]!.args[0]).toBe('doctor');
    const binding = byKind('ClusterRoleBinding') as unknown as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
    expect(binding.roleRef.name).toBe(byKind('ClusterRole').metadata.name);
    expect(binding.subjects).toEqual([expect.objectContaining({ name: pod.serviceAccountName, namespace: byKind('ServiceAccount').metadata.namespace })]);
  });

  it('keep the ClusterRole minimal: get and list, exec (create) only, no Secrets; and cover every resource the cluster source reads', () => {
    const rules = (byKind('ClusterRole') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] }).rules;
    const all = rules.flatMap((r) => r.resources.map((res) => ({ ...r, res })));
    expect(all.map((r) => r.res)).not.toContain('secrets');
    for (const r of all) {
      if (r.res === 'pods/exec') expect(r.verbs).toEqual(['create']);
      else expect(r.verbs.every((v) => v === 'get' || v === 'list'), `${r.res}: ${r.verbs.join(',')}`).toBe(true);
    }
    const granted = new Set(all.flatMap((r) => r.apiGroups.map((g) => `${r.res}.${g}`)));
    const read = Object.values(RESOURCES).map((r) => `${r.plural}.${r.group}`);
    expect(read.filter((r) => !granted.has(r))).toEqual([]);
  });

  it('pass asm-prom doctor -f: no finding about them, no crash', async () => {
    const { code, stdout } = await runCli(['doctor', '-f', DEPLOY, '-o', 'json']);
    const report = JSON.parse(stdout) as { exitCode: number; checks: { status: string }[]; findings: { severity: string; subject: { kind: string; name?: string } }[] };
    expect(report.checks.filter((c) => c.status === 'crash')).toEqual([]);
    const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    expect(report.findings.filter((f) => f.severity !== 'info' && names.has(`${f.subject.kind}/${f.subject.name}`))).toEqual([]);
    expect(code).toBe(report.exitCode);
    expect(code).toBe(0);
  });

  describe('kubectl apply --dry-run=client against the simulated API server', () => {
    let mesh: SimulatedMesh;
    const cacheDir = mkdtempSync(join(tmpdir(), 'asm-prom-in-cluster-kubectl-'));
    beforeAll(async () => {
      mesh = await startSimulatedMesh('healthy');
    });
    afterAll(async () => {
      await mesh?.stop();
      rmSync(cacheDir, { recursive: true, force: true });
    });

    it('accepts every object', async () => {
      const { stdout } = await run('kubectl', ['--kubeconfig', mesh.kubeconfigPath, '--cache-dir', cacheDir, 'apply', '--dry-run=client', '--validate=false', '-f', DEPLOY], { timeout: 30_000 });
      for (const o of objects) expect(stdout, `${o.kind}/${o.metadata.name}`).toMatch(new RegExp(`^\\S+/${o.metadata.name} (created|configured|unchanged) \\(dry run\\)$`, 'm'));
      expect(stdout.trim().split('\n')).toHaveLength(objects.length);
    });
  });
});
