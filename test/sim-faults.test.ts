/**
 * The simulated mesh's fault switches (src/sim): a misbehaving API server (429 with Retry-After,
 * 5xx bursts, torn JSON, slow pages, an exec cut mid-file) and hostile targets (trickle, endless
 * body, garbage, reset, GOAWAY, huge headers, huge chain). Each fault ends in the right finding
 * within --deadline, exit 0 or 1, never 3. Timeouts are set here; assertions are on codes only.
 */
import { describe, expect, it } from 'vitest';
import { runDoctor, type RunSummary } from '../src/index.js';
import { loadScenario, startSimulatedMesh, type Faults, type RequestLogEntry } from '../src/sim/index.js';

interface Run {
  summary: RunSummary;
  log: RequestLogEntry[];
}

async function doctorWith(faults: Faults, only?: string[]): Promise<Run> {
  const healthy = await loadScenario('healthy');
  const mesh = await startSimulatedMesh({ ...healthy, name: 'faults', faults: { ...healthy.faults, ...faults } });
  try {
    const summary = await runDoctor({ kubeconfig: mesh.kubeconfigPath, timeoutMs: 1_000, deadlineMs: 20_000, probe: 'local', ...(only ? { only } : {}) });
    return { summary, log: [...mesh.requestLog] };
  } finally {
    await mesh.stop();
  }
}

/** The checks of the configuration and its inputs: what the API faults touch (the fake Prometheus's own scrapes are not at stake). */
const CONFIG_CHECKS = ['inputs.*', 'prometheus.*', 'monitors.*', 'certs.*'];

const codes = (run: Run) => [...new Set(run.summary.findings.map((f) => f.code))].sort();
const errors = (run: Run) => [...new Set(run.summary.findings.filter((f) => f.severity === 'error').map((f) => f.code))].sort();
/** Checks skipped because a read failed: none when every read was retried through. */
const skippedForReads = (run: Run) => run.summary.checks.filter((c) => c.status === 'skip' && /failed|HTTP \d{3}|not JSON/.test(c.skipReason ?? '')).map((c) => `${c.id}: ${c.skipReason}`);
const crashed = (run: Run) => run.summary.checks.filter((c) => c.status === 'crash').map((c) => c.id);

describe('API faults: reads are retried as client-go retries them', () => {
  it('429 with Retry-After on the pods list: waited out, then read; nothing missing, exit 0', async () => {
    const run = await doctorWith({ api: [{ resource: 'pods', throttleSeconds: 1, times: 2 }] }, CONFIG_CHECKS);
    expect(run.log.filter((e) => e.resource === 'pods' && e.status === 429)).toHaveLength(2);
    expect(errors(run)).toEqual([]);
    expect(run.log.filter((e) => e.resource === 'pods' && e.status === 200).length).toBeGreaterThan(0);
    expect(skippedForReads(run)).toEqual([]);
    expect(crashed(run)).toEqual([]);
    expect(run.summary.exitCode).toBe(0);
  });

  it('a burst of 500s on every request: retried with backoff, then read; exit 0', async () => {
    const run = await doctorWith({ api: [{ status: 500, times: 3 }] }, CONFIG_CHECKS);
    expect(skippedForReads(run)).toEqual([]);
    expect(run.log.filter((e) => e.status === 500)).toHaveLength(3);
    expect(errors(run)).toEqual([]);
    expect(run.summary.exitCode).toBe(0);
  });

  it('a 503 that never ends on one resource: what needed it is skipped naming the read and its status, the rest still judged, never CLUSTER_UNREACHABLE', async () => {
    const run = await doctorWith({ api: [{ resource: 'servicemonitors', status: 503 }] }, CONFIG_CHECKS);
    const reasons = skippedForReads(run);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).toMatch(/list servicemonitors\.monitoring\.coreos\.com .*failed: HTTP 503.*after 5 tries/);
    expect(run.summary.checks.filter((c) => c.status === 'pass').length).toBeGreaterThan(0);
    expect(codes(run)).not.toContain('CLUSTER_UNREACHABLE');
    expect(run.log.filter((e) => e.resource === 'servicemonitors' && e.status === 503).length).toBe(5);
    expect(crashed(run)).toEqual([]);
    expect([0, 1]).toContain(run.summary.exitCode);
  });

  it('a Retry-After beyond --deadline is not waited for: skipped at once with the 429', async () => {
    const run = await doctorWith({ api: [{ resource: 'podmonitors', throttleSeconds: 3600 }] }, CONFIG_CHECKS);
    const reasons = skippedForReads(run);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).toMatch(/podmonitors.*HTTP 429.*would pass --deadline/);
    expect(run.log.filter((e) => e.resource === 'podmonitors' && e.status === 429)).toHaveLength(1);
    expect([0, 1]).toContain(run.summary.exitCode);
  });

  it('torn JSON (a 200 cut in the middle) is asked again', async () => {
    const run = await doctorWith({ api: [{ resource: 'pods', truncate: true, times: 2 }] }, CONFIG_CHECKS);
    expect(skippedForReads(run)).toEqual([]);
    expect(errors(run)).toEqual([]);
    expect(run.summary.exitCode).toBe(0);
  });

  it('a persistent 500 on discovery is no usable Kubernetes API: CLUSTER_UNREACHABLE, exit 1', async () => {
    const run = await doctorWith({ api: [{ resource: 'discovery', status: 500 }] }, CONFIG_CHECKS);
    expect(codes(run)).toContain('CLUSTER_UNREACHABLE');
    expect(crashed(run)).toEqual([]);
    expect(run.summary.exitCode).toBe(1);
  });

  it('slow pages (one slower than --timeout) are retried and read', async () => {
    const run = await doctorWith({ api: [{ resource: 'pods', delayMs: 1_500, times: 1 }, { delayMs: 100 }] }, CONFIG_CHECKS);
    expect(errors(run)).toEqual([]);
    expect(run.summary.exitCode).toBe(0);
  });

  it('an exec cut mid-file once is read again: the certificate files are judged, no false finding', async () => {
    const run = await doctorWith({ execCut: 1 }, CONFIG_CHECKS);
    expect(run.summary.checks.filter((c) => c.id.startsWith('certs.') && c.status === 'skip')).toEqual([]);
    expect(errors(run)).toEqual([]);
    expect(run.summary.exitCode).toBe(0);
  });

  it('every exec cut mid-file: the certificate checks are skipped saying so, never a parse error of half a file, exit 0 or 1', async () => {
    const run = await doctorWith({ execCut: true }, CONFIG_CHECKS);
    const skipped = run.summary.checks.filter((c) => c.id.startsWith('certs.') && c.status === 'skip');
    expect(skipped.length).toBeGreaterThan(0);
    expect(codes(run)).not.toContain('CERT_PARSE_ERROR');
    expect(crashed(run)).toEqual([]);
    expect([0, 1]).toContain(run.summary.exitCode);
  });
});

describe('hostile targets in the mesh', () => {
  const probeCodes = (run: Run, workload: string) =>
    [...new Set(run.summary.findings.filter((f) => f.check === 'targets.probe' && f.subject.name?.startsWith(workload)).map((f) => f.code))].sort();

  it.each([
    ['endless', ['TARGET_TIMEOUT']],
    ['trickle-body', ['TARGET_TIMEOUT']],
    ['garbage', ['SCRAPE_CONNECTION_CLOSED']],
    ['reset-mid-body', ['SCRAPE_CONNECTION_CLOSED']],
    ['goaway', ['SCRAPE_CONNECTION_CLOSED']],
    ['huge-headers', ['TARGET_OK']],
    ['goaway-graceful', ['TARGET_OK']],
  ] as const)('%s: %j on its pods, within --deadline, exit 0 or 1', async (fault, expected) => {
    const run = await doctorWith({ workloads: { 'shop/orders': { target: fault } } }, ['targets.*']);
    expect(probeCodes(run, 'orders')).toEqual(expected);
    expect(crashed(run)).toEqual([]);
    expect([0, 1]).toContain(run.summary.exitCode);
  });

  it('huge-chain: unjudged (more than OpenSSL reads), never CLIENT_CERT_REJECTED', async () => {
    const run = await doctorWith({ workloads: { 'shop/orders': { target: 'huge-chain' } } }, ['targets.*']);
    expect(probeCodes(run, 'orders')).toEqual([]);
    expect(crashed(run)).toEqual([]);
  });
});
