import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineCheck, type Check } from '../src/core/check.js';
import { exitCodeFor } from '../src/core/exit-code.js';
import { ResourceStore, Unavailable } from '../src/core/resources.js';
import { isSelected, planWaves, runChecks, type RunnerOptions } from '../src/core/runner.js';
import { applySuppressions, parseSuppressions } from '../src/core/suppress.js';
import type { Finding } from '../src/core/types.js';

const options: RunnerOptions = { now: new Date('2026-01-01T00:00:00Z'), timeoutMs: 1000, concurrency: 4, verbose: false, only: [], skip: [], deadlineMs: 2000 };
const subject = { kind: 'Pod', namespace: 'monitoring', name: 'prometheus-0' };

function check(partial: Partial<Check> & Pick<Check, 'id' | 'run'>): Check {
  return defineCheck({ title: partial.id, category: partial.id.split('.')[0] as never, codes: ['OUTPUT_CERTS_MISSING'], needs: [], ...partial });
}

describe('runChecks', () => {
  it('turns a throw into CHECK_CRASHED and exit code 3, and still runs the others', async () => {
    const crashing = check({ id: 'prometheus.boom', run: () => { throw new TypeError('x is undefined'); } });
    const fine = check({ id: 'prometheus.fine', run: (ctx) => ctx.report('OUTPUT_CERTS_MISSING', {}, { subject }) });
    const { checks, findings } = await runChecks([crashing, fine], new ResourceStore(), options);
    expect(checks.map((c) => [c.id, c.status])).toEqual([['prometheus.boom', 'crash'], ['prometheus.fine', 'fail']]);
    expect(findings.map((f) => f.code).sort()).toEqual(['CHECK_CRASHED', 'OUTPUT_CERTS_MISSING']);
    expect(findings.find((f) => f.code === 'CHECK_CRASHED')?.subject).toEqual({ kind: 'Check', name: 'prometheus.boom' });
    expect(exitCodeFor(checks, findings, 'error')).toBe(3);
  });

  it('skips a check whose need is unavailable, with the source\'s reason', async () => {
    const store = new ResourceStore({ services: () => { throw new Unavailable('no Service in the manifests'); } });
    const needy = check({ id: 'monitors.needy', needs: ['services'], run: async (ctx) => { await ctx.get('services'); } });
    const { checks } = await runChecks([needy], store, options);
    expect(checks[0]).toMatchObject({ status: 'skip', skipReason: 'no Service in the manifests' });
  });

  it('crashes a check that reads a resource it did not declare', async () => {
    const sneaky = check({ id: 'monitors.sneaky', run: async (ctx) => { await ctx.get('services'); } });
    const { checks, findings } = await runChecks([sneaky], new ResourceStore({ services: () => [] }), options);
    expect(checks[0]!.status).toBe('crash');
    expect(findings[0]!.evidence.error).toMatch(/without declaring/);
  });

  it('crashes a check that reports a code it did not declare', async () => {
    const liar = check({ id: 'monitors.liar', run: (ctx) => ctx.report('KEY_MISMATCH', {}, { subject }) });
    const { checks } = await runChecks([liar], new ResourceStore(), options);
    expect(checks[0]!.status).toBe('crash');
  });

  afterEach(() => vi.useRealTimers());

  it('reports a check that outlives the deadline as skipped, at the deadline and not before', async () => {
    vi.useFakeTimers();
    const slow = check({ id: 'targets.slow', run: () => new Promise(() => {}) });
    let settled = false;
    const run = runChecks([slow], new ResourceStore(), { ...options, deadlineMs: 100 }).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { checks } = await run;
    expect(checks[0]).toMatchObject({ status: 'skip' });
    expect(checks[0]!.skipReason).toMatch(/did not finish within the --deadline \(100 ms\)/);
  });

  it('runs `after` checks once the categories they follow are done, and shows them prior findings', async () => {
    const order: string[] = [];
    const first = check({ id: 'certs.first', run: async (ctx) => { await new Promise((r) => setTimeout(r, 20)); order.push('certs'); ctx.report('OUTPUT_CERTS_MISSING', {}, { subject }); } });
    let seen: readonly Finding[] = [];
    const later = check({ id: 'targets.later', after: ['certs'], run: (ctx) => { order.push('targets'); seen = [...ctx.priorFindings()]; } });
    await runChecks([later, first], new ResourceStore(), options);
    expect(order).toEqual(['certs', 'targets']);
    expect(seen.map((f) => f.code)).toEqual(['OUTPUT_CERTS_MISSING']);
    expect(planWaves([later, first]).map((w) => w.map((c) => c.id))).toEqual([['certs.first'], ['targets.later']]);
  });

  it('loads a shared resource once for concurrent checks', async () => {
    let loads = 0;
    const store = new ResourceStore({ services: async () => { loads += 1; await new Promise((r) => setTimeout(r, 10)); return []; } });
    const a = check({ id: 'monitors.a', needs: ['services'], run: async (ctx) => { await ctx.get('services'); } });
    const b = check({ id: 'monitors.b', needs: ['services'], run: async (ctx) => { await ctx.get('services'); } });
    await runChecks([a, b], store, options);
    expect(loads).toBe(1);
  });

  it('redacts PEM blocks that a check lets into a finding', async () => {
    const leaky = check({
      id: 'certs.leaky', codes: ['CERT_PARSE_ERROR'],
      run: (ctx) => ctx.report('CERT_PARSE_ERROR', { file: 'key.pem', reason: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----' }, { subject }),
    });
    const { findings } = await runChecks([leaky], new ResourceStore(), options);
    expect(JSON.stringify(findings)).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
  });
});

describe('selection and suppression', () => {
  const c = check({ id: 'prometheus.certs-path', codes: ['CERTS_PATH_MISMATCH'], run: () => {} });
  it('selects by id or code glob, --skip wins', () => {
    expect(isSelected(c, ['prometheus.*'], [])).toBe(true);
    expect(isSelected(c, ['CERTS_PATH_*'], [])).toBe(true);
    expect(isSelected(c, ['certs.*'], [])).toBe(false);
    expect(isSelected(c, [], ['CERTS_PATH_MISMATCH'])).toBe(false);
  });

  it('suppresses by code, optionally by subject glob', () => {
    const f = (code: string, name: string) => ({ code, subject: { kind: 'Pod', namespace: 'monitoring', name } }) as Finding;
    const findings = [f('KEY_MISMATCH', 'prometheus-0'), f('KEY_MISMATCH', 'prometheus-1'), f('CERT_EXPIRED', 'prometheus-0')];
    expect(applySuppressions(findings, parseSuppressions(['KEY_MISMATCH=Pod/monitoring/*-1'])).map((x) => `${x.code} ${x.subject.name}`))
      .toEqual(['KEY_MISMATCH prometheus-0', 'CERT_EXPIRED prometheus-0']);
    expect(applySuppressions(findings, parseSuppressions(['CERT_*'])).length).toBe(2);
  });
});

describe('exitCodeFor', () => {
  const finding = (severity: Finding['severity']) => ({ severity }) as Finding;
  it.each([
    ['error', [finding('warning')], 0],
    ['error', [finding('error')], 1],
    ['warning', [finding('warning')], 1],
    ['warning', [finding('info')], 0],
    ['never', [finding('error')], 0],
  ] as const)('--fail-on %s with %j → %i', (failOn, findings, code) => {
    expect(exitCodeFor([], findings, failOn)).toBe(code);
  });
  it('ignores skipped checks', () => {
    expect(exitCodeFor([{ id: 'x.y', title: '', category: 'certs', status: 'skip', durationMs: 0 }], [], 'warning')).toBe(0);
  });
});
