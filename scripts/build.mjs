// Bundles the CLI and the library entry with esbuild. Packages stay external so that
// @kubernetes/client-node is still imported lazily, only when a cluster is contacted.
// Type checking is a separate step (`npm run typecheck`). Source maps only when asked
// (`node scripts/build.mjs --sourcemap`, or ASM_PROM_SOURCEMAP=1): the packed tarball carries none.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Chunk names are content hashes: start from an empty dist so stale chunks never linger.
rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });

await build({
  // sim: the simulated mesh, for the benchmarks (the CLI's demo loads the same chunk lazily)
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts', sim: 'src/sim/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: process.argv.includes('--sourcemap') || process.env.ASM_PROM_SOURCEMAP === '1',
  define: { __ASM_PROM_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
