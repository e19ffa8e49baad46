/**
 * Scrapers other than Prometheus: the Alloy syntax reader, and the simulated meshes of each scraper
 * (`asm-prom demo`), healthy and broken, with the codes each must (and must not) produce written
 * here by hand rather than read from the scenario files.
 */
import { describe, expect, it } from 'vitest';
import { AlloySyntaxError, parseAlloy } from '../src/model/alloy.js';

describe('the Alloy syntax reader', () => {
  it('reads blocks, labels, attributes and nested blocks with their lines', () => {
    const blocks = parseAlloy([
      '// comment',
      'prometheus.scrape "shop" {',
      '  targets    = discovery.kubernetes.pods.targets',
      '  forward_to = [prometheus.remote_write.default.receiver]',
      '  scheme = "https" /* inline */',
      '  tls_config {',
      '    ca_file = "/etc/prom-certs/root-cert.pem"',
      '    insecure_skip_verify = true',
      '  }',
      '}',
    ].join('\n'));
    expect(blocks).toHaveLength(1);
    const [scrape] = blocks;
    expect(scrape).toMatchObject({ name: 'prometheus.scrape', label: 'shop', line: 2 });
    expect(scrape!.attributes.scheme).toBe('https');
    expect(scrape!.attributes.targets).toEqual({ expr: 'discovery . kubernetes . pods . targets' });
    expect(scrape!.blocks[0]).toMatchObject({ name: 'tls_config', line: 6, attributes: { ca_file: '/etc/prom-certs/root-cert.pem', insecure_skip_verify: true } });
  });

  it.each([
    ['prometheus.scrape "a" {\n  scheme = "https\n}', 2, 'string literal not terminated'],
    ['prometheus.scrape "a" {\n  scheme = "https"\n', 3, 'expected }'],
    ['x = 1\nx = 2', 2, 'already set'],
  ])('refuses %j at line %i', (text, line, reason) => {
    let error: unknown;
    try {
      parseAlloy(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlloySyntaxError);
    expect((error as AlloySyntaxError).line).toBe(line);
    expect((error as AlloySyntaxError).reason).toContain(reason);
  });
});

// The scraper scenarios of the simulated mesh are run with the others by test/demo.test.ts.
