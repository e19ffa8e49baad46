/**
 * The installed package works: the project is packed as `npm pack` makes it, the tarball is
 * installed with `--omit=dev` into a temporary prefix by the image's build script
 * (scripts/docker-steps.sh, as `npm install -g` does for a user), and the commands run from there,
 * away from the repository and its devDependencies.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  engines: { node: string };
  bin: Record<string, string>;
  license: string;
};

/** npm may take a while to fetch the dependencies on a cold cache: the test owns a generous limit. */
const INSTALL_TIMEOUT_MS = 300_000;

function exec(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: ROOT, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...env } },
      (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout)));
  });
}
const npm = (args: string[]) => exec('npm', args);
const sh = (args: string[], env: NodeJS.ProcessEnv) => exec('sh', args, env);

/** The bare module names the built code imports (node: built-ins aside). */
function runtimeImports(): string[] {
  const dist = join(ROOT, 'dist');
  const names = new Set<string>();
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
    for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)"([^".\/\s][^"\s]*)"/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return [...names].sort();
}

describe('package.json', () => {
  it('lists every module the built code imports as a dependency (node-forge for the simulator, ...)', () => {
    const imports = runtimeImports();
    expect(imports).toContain('node-forge');
    expect(imports.filter((name) => !(name in pkg.dependencies))).toEqual([]);
  });

  it('asks for a Node that its dependencies accept (yargs 18: ^20.19.0 || ^22.12.0 || >=23)', () => {
    expect(pkg.engines.node).toBe('^20.19.0 || ^22.12.0 || >=23');
  });

  it('has no script that an install of the tarball would run (npm 11 warns of each; dist/ is built by prepack)', () => {
    const scripts = (pkg as unknown as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s))).toEqual([]);
    expect(scripts.prepack).toBe('node scripts/build.mjs');
  });

  it('ships the licence it names', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(text).toContain('Apache License');
    expect(text).toContain('Version 2.0, January 2004');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });
});

describe('the packed tarball, installed with --omit=dev into a temporary prefix', () => {
  const work = tempDir('asm-prom-pack-');
  const prefix = join(work, 'prefix');
  let files: { path: string; mode: number }[] = [];
  let installLog = '';
  const installed = (bin: string, args: string[]) =>
    runCli(args, { bin: join(prefix, 'bin', bin), env: { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` }, timeoutMs: 120_000 });

  beforeAll(async () => {
    // --ignore-scripts: `npm test` has just built dist/; rebuilding here would pull dist/ from under the other test files.
    const [packed] = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work])) as { filename: string; files: { path: string; mode: number }[] }[];
    files = packed!.files;
    // Installed as the image installs it: scripts/docker-steps.sh runs `npm install --global --prefix PREFIX
    // --omit=dev TARBALL` and checks both commands and openssl; its OS steps (apt-get) are the image's only.
    installLog = await sh(['scripts/docker-steps.sh', join(work, packed!.filename), prefix], { ASM_PROM_OS_STEPS: 'skip', npm_config_prefer_offline: 'true' });
  }, INSTALL_TIMEOUT_MS * 2);

  it('holds the built code, both commands, the docs, the scenarios and the licence, and no source map, test or TypeScript source', () => {
    const paths = files.map((f) => f.path);
    for (const want of ['LICENSE', 'README.md', 'package.json', 'bin/asm-prom.js', 'bin/kubectl-asm_prom', 'dist/cli.js', 'dist/index.js', 'docs/checks.md', 'docs/in-cluster.md', 'deploy/in-cluster/job.yaml', 'deploy/in-cluster/rbac.yaml', 'src/sim/scenarios/healthy.yaml'])
      expect(paths, want).toContain(want);
    expect(paths.filter((p) => p.endsWith('.map') || p.startsWith('test/') || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);
    for (const bin of Object.values(pkg.bin)) expect(files.find((f) => f.path === bin)!.mode & 0o111, bin).toBe(0o111);
  });

  it('installs as the image does (scripts/docker-steps.sh), which checks both commands and openssl', () => {
    expect(installLog.split('\n')).toContain(pkg.version);
    expect(installLog).toMatch(/^OpenSSL \d/m);
  });

  it('asm-prom --version', async () => {
    const { code, stdout } = await installed('asm-prom', ['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('asm-prom checks', async () => {
    const { code, stdout } = await installed('asm-prom', ['checks', '-o', 'json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { checks: unknown[] }).checks.length).toBeGreaterThan(10);
  });

  it('asm-prom demo healthy: the simulator runs (its certificates need node-forge) and the exit code is the report\'s', async () => {
    const { code, stdout, stderr } = await installed('asm-prom', ['demo', 'healthy', '-o', 'json']);
    expect(stderr).not.toMatch(/Cannot find (package|module)|internal error/);
    const report = JSON.parse(stdout) as { exitCode: number; checks: { status: string }[] };
    expect(code).toBe(report.exitCode);
    expect([0, 1]).toContain(code);
    expect(report.checks.filter((c) => c.status === 'crash')).toEqual([]);
    expect(report.checks.filter((c) => c.status === 'pass').length).toBeGreaterThan(10);
  }, 150_000);

  it('asm-prom explain a lastError', async () => {
    const { code, stdout } = await installed('asm-prom', ['explain', 'remote error: tls: unknown certificate authority']);
    expect(code).toBe(0);
    expect(stdout).toContain('ROOT_MISMATCH');
  });

  it('kubectl-asm_prom doctor --help', async () => {
    const { code, stdout } = await installed('kubectl-asm_prom', ['doctor', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('kubectl asm-prom doctor');
  });
});
