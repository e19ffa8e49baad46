/** `asm-prom explain`, as users run it: the built binary, its exact JSON, its human text, exit 0 always. */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const explain = (...args: string[]) => runCli(['explain', ...args], { timeoutMs: 20_000 });

describe('asm-prom explain', () => {
  it('-o json prints exactly the input and the causes, most likely first', async () => {
    const text = 'Get "https://10.4.0.7:8080/metrics": remote error: tls: unknown certificate authority';
    const { code, stdout, stderr } = await explain(text, '-o', 'json');
    expect([code, stderr]).toEqual([0, '']);
    const parsed = JSON.parse(stdout) as { input: string; causes: { code: string; why: string }[] };
    expect(Object.keys(parsed)).toEqual(['input', 'causes']);
    expect(parsed.input).toBe(text);
    expect(parsed.causes.map((c) => c.code)).toEqual(['ROOT_MISMATCH', 'CHAIN_BROKEN', 'CLIENT_CERT_REJECTED']);
    for (const cause of parsed.causes) expect(Object.keys(cause)).toEqual(['code', 'why']);
  });

  it('human output lists the causes, each with the command that explains it', async () => {
    const { code, stdout } = await explain('Get "http://10.4.0.7:8080/metrics": EOF');
    expect(code).toBe(0);
    expect(stdout).toMatch(/1\. MONITOR_SCHEME_HTTP_ON_STRICT {2}plain http toward a sidecar/);
    expect(stdout).toMatch(/1\. MONITOR_SCHEME_HTTP_ON_STRICT .*\n\s+asm-prom explain MONITOR_SCHEME_HTTP_ON_STRICT\n/);
  });

  it.each([
    ['vmagent', 'unexpected status code returned when scraping "https://10.4.0.7:8080/metrics": 403; expecting 200; response body: "RBAC: access denied"', 'SCRAPE_HTTP_ERROR'],
    ['older vmagent (fasthttp)', 'error when scraping "http://10.4.0.7:8080/metrics" with timeout 10s: timeout', 'TARGET_TIMEOUT'],
    ['Alloy', 'serviceMonitor shop/shop endpoint 0 uses tlsConfig.certFile, which is disallowed because allow_arbitrary_file_access is false; use tlsConfig.cert instead', 'FS_ACCESS_DENIED'],
    ['the OpenTelemetry collector', 'warn internal/transaction.go:129 Failed to scrape Prometheus endpoint {"kind": "receiver", "name": "prometheus"}', 'MONITOR_TLS_PATH_UNMOUNTED'],
  ])("names the cause of %s's wording first", async (_scraper, text, first) => {
    const { code, stdout } = await explain(text, '-o', 'json');
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { causes: { code: string }[] }).causes[0]?.code).toBe(first);
  });

  it('an unknown text: an honest "no known cause", empty causes in JSON, exit 0', async () => {
    const human = await explain('the moon is made of cheese');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/No known cause/);
    const json = await explain('the moon is made of cheese', '-o', 'json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ input: 'the moon is made of cheese', causes: [] });
  });

  it('without a text it is a usage error: exit 2, one line, nothing on stdout', async () => {
    const { code, stdout, stderr } = await explain();
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
