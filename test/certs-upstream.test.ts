/** Istio's own certificate sets, with their own root as the mesh root, give no error finding. */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../src/cli/parse.js';
import { runDoctor } from '../src/index.js';
import { upstream } from './helpers/fixtures.js';
import { tempDir } from './helpers/tmp.js';

const ISTIO = upstream('istio');
const TESTDATA = ['default', 'dns', 'mountedcerts-client', 'mountedcerts-server', 'pilot'].map((name) => ({
  name: `tests/testdata/certs/${name}`, dir: join(ISTIO, 'tests/testdata/certs', name), meshRoot: join(ISTIO, 'tests/testdata/certs', name, 'root-cert.pem'),
}));

/** samples/certs holds workload pairs under other names: link them under the names the sidecar writes. */
function samplesSet(workload: 'foo' | 'bar', root: string) {
  const dir = tempDir(`asm-prom-samples-${workload}-`);
  const samples = join(ISTIO, 'samples/certs');
  symlinkSync(join(samples, root), join(dir, 'root-cert.pem'));
  symlinkSync(join(samples, `workload-${workload}-cert.pem`), join(dir, 'cert-chain.pem'));
  symlinkSync(join(samples, `workload-${workload}-key.pem`), join(dir, 'key.pem'));
  return { name: `samples/certs workload-${workload} under ${root}`, dir, meshRoot: join(samples, root) };
}

const SETS = [...TESTDATA, samplesSet('foo', 'root-cert.pem'), samplesSet('bar', 'root-cert.pem'), samplesSet('foo', 'root-cert-combined.pem')];

describe.each(SETS)('$name', ({ dir, meshRoot }) => {
  it('gives no error or warning finding, and every certs check runs', async () => {
    const summary = await runDoctor(parseDoctorArgs(['--offline', '--certs-dir', dir, '--mesh-root', meshRoot, '--now', '2026-11-25T10:00:00Z', '--only', 'certs.*']));
    const certs = summary.checks.filter((c) => c.category === 'certs');
    expect(certs.filter((c) => c.status === 'skip').map((c) => c.id)).toEqual(['certs.identity']);
    expect(summary.findings.filter((f) => f.check.startsWith('certs.') && f.severity !== 'info')).toEqual([]);
  });
});
