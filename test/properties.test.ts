/**
 * Property suites over every parser asm-prom feeds with user input (fast-check, fixed seed printed on
 * failure, cases counted): manifests (aliases, cycles, depth, wrong types, duplicate keys, huge
 * strings, binary), PEM certificates and keys, proxy.istio.io/config, sidecar.istio.io/userVolumeMount,
 * Prometheus text and OpenMetrics bodies, Prometheus API JSON, lastError texts and kubeconfigs.
 * The property everywhere: a parser answers or refuses with its own error, never throws anything
 * else, and the doctor ends with exit 0 or 1 (never 3, never a crash).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CODES } from '../src/core/codes.js';
import { UsageError } from '../src/core/errors.js';
import { runDoctor } from '../src/index.js';
import { parseProxyConfig, parseUserVolumeMount } from '../src/model/istio.js';
import { PemError, parseCertificates, parsePrivateKey, pemBlocks } from '../src/pki/pem.js';
import { classifyLastError, stripRequestPrefix } from '../src/probes/classify.js';
import { readPrometheusView } from '../src/probes/prometheus-api.js';
import { countSamples } from '../src/probes/scrape-response.js';
import { resolveKubeConfig } from '../src/sources/cluster/kubeconfig.js';
import { MAX_MANIFEST_DEPTH, parseManifests } from '../src/sources/manifests.js';
import { CASES_RUN, checkAsyncProperty, checkProperty } from './helpers/property.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('asm-prom-properties-');

/** Node warnings (a library's console noise) are output nobody asked for: none may be emitted. */
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message.split('\n')[0]}`);
beforeAll(() => process.on('warning', onWarning));

afterAll(() => {
  process.off('warning', onWarning);
  expect(warnings).toEqual([]);
  const total = [...CASES_RUN.values()].reduce((a, b) => a + b, 0);
  console.log(`[property] ${CASES_RUN.size} properties, ${total} cases in all`);
});

// ── Manifests ────────────────────────────────────────────────────────────────────────────────────

const KINDS = ['Pod', 'Deployment', 'Service', 'ServiceMonitor', 'PodMonitor', 'Prometheus', 'PeerAuthentication', 'Role', 'ClusterRoleBinding', 'EndpointSlice', 'List', 'PodList', 'Namespace'];
const scalar = fc.oneof(fc.constantFrom('null', '~', 'true', '0', '-1', '1.5e308', '""', "''", '[]', '{}', '0x1F', '.nan', '2026-01-01'), fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)));

/** YAML and JSON fragments that have broken parsers: aliases (also to themselves), merges, depth, duplicates, huge and binary text. */
const hostileFragment = fc.oneof(
  fc.constant('metadata: &m {name: self, loop: *m}'),
  fc.constant('metadata: &m\n  name: a\n  labels: *m'),
  fc.constant('spec: &s {a: [1, *s]}'),
  fc.constant('metadata: {name: a, <<: *undefined}'),
  fc.constant('metadata: &x {name: x}\nspec: {<<: *x, template: *x}'),
  fc.constant('metadata: {name: a, name: b}\nmetadata: {name: c}'),
  fc.constant('items: {a: 1}'),
  fc.constant('items: hello'),
  fc.constant('items: [1, null, "x", {kind: Pod}]'),
  fc.constant('metadata: !!binary aGVsbG8='),
  fc.constant('spec: !custom {a: 1}'),
  fc.constant('? [complex, key]\n: value'),
  fc.integer({ min: 1, max: MAX_MANIFEST_DEPTH + 300 }).map((n) => `spec: ${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 400 }).map((n) => `spec:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(2 + 2 * i)}a${i}:`).join('\n')} 1`),
  fc.integer({ min: 1, max: 300 }).map((n) => `spec: ${'{a: '.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 10_000, max: 1_000_000 }).map((n) => `metadata: {name: ${'x'.repeat(n)}}`),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.tuple(fc.constantFrom('metadata', 'spec', 'status', 'items', 'volumes', 'containers', 'endpoints', 'selector'), scalar).map(([k, v]) => `${k}: ${v}`),
);

const hostileDocument = fc.tuple(fc.constantFrom(...KINDS), fc.array(hostileFragment, { minLength: 1, maxLength: 3 })).map(([kind, parts]) => `apiVersion: v1\nkind: ${kind}\n${parts.join('\n')}\n`);
const hostileStream = fc.array(fc.oneof(hostileDocument, fc.jsonValue().map((v) => JSON.stringify(v))), { minLength: 1, maxLength: 4 }).map((docs) => docs.join('\n---\n'));

describe('manifests', () => {
  it('parseManifests never throws: every document is an object or an error with a line', () => {
    checkProperty(
      'parseManifests on hostile YAML/JSON streams',
      fc.property(hostileStream, (text) => {
        const { objects, errors } = parseManifests([{ name: 'p.yaml', text }]);
        for (const o of objects) expect(typeof o.object).toBe('object');
        for (const e of errors) {
          expect(e.reason).toMatch(/^[^\n]+$/);
          expect(e.reason).not.toMatch(/call stack/);
        }
      }),
      300,
    );
  });

  it('the offline doctor on hostile manifests: exit 0 or 1, no crash', async () => {
    await checkAsyncProperty(
      'the offline doctor on hostile manifests',
      fc.asyncProperty(hostileStream, async (text) => {
        // input with no object at all is a usage error (exit 2), as kubectl apply says "no objects passed"
        const summary = await runDoctor({ filenames: ['-'], stdin: text, probe: 'off' }).catch((error: unknown) => {
          expect(error, String(error)).toBeInstanceOf(UsageError);
          return undefined;
        });
        if (!summary) return;
        expect(summary.checks.filter((c) => c.status === 'crash').map((c) => c.id)).toEqual([]);
        expect([0, 1]).toContain(summary.exitCode);
      }),
      80,
    );
  }, 120_000);
});

// ── PEM, keys ────────────────────────────────────────────────────────────────────────────────────

const base64ish = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n -!'.split('')), maxLength: 300 });
const label = fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PUBLIC KEY', 'X', '');
const pemText = fc.array(
  fc.oneof(
    fc.tuple(label, base64ish, label).map(([a, body, b]) => `-----BEGIN ${a}-----\n${body}\n-----END ${b}-----\n`),
    fc.tuple(label, base64ish).map(([a, body]) => `-----BEGIN ${a}-----\n${body}`),
    fc.constant('Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n'),
    fc.string({ unit: 'binary', maxLength: 80 }),
  ),
  { maxLength: 4 },
).map((parts) => parts.join(''));

describe('PEM and keys', () => {
  it('pemBlocks, parseCertificates and parsePrivateKey answer or throw PemError, nothing else', () => {
    checkProperty(
      'PEM certificates and keys',
      fc.property(pemText, (text) => {
        for (const parse of [pemBlocks, parseCertificates, parsePrivateKey]) {
          try {
            parse(text);
          } catch (error) {
            expect(error, String(error)).toBeInstanceOf(PemError);
          }
        }
      }),
      400,
    );
  });
});

// ── Istio annotations ────────────────────────────────────────────────────────────────────────────

const annotationText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  hostileFragment,
  fc.constantFrom('proxyMetadata: [', 'proxyMetadata:\n  OUTPUT_CERTS: 5', 'holdApplicationUntilProxyStarts: yes', '[{"name": "a"}]', '[{"name": 1, "mountPath": {}}]', '{"name":"x","mountPath":"/x"}', 'null', '- a\n- b'),
);

describe('proxy.istio.io/config and sidecar.istio.io/userVolumeMount', () => {
  it('parse to ok or a one-line reason, never throw', () => {
    checkProperty(
      'proxy.istio.io/config and userVolumeMount',
      fc.property(annotationText, (text) => {
        for (const parsed of [parseProxyConfig(text), parseUserVolumeMount(text)]) {
          if (!parsed.ok) expect(parsed.reason).toMatch(/^[^\n]*$/);
        }
      }),
      400,
    );
  });
});

// ── Prometheus text and OpenMetrics ──────────────────────────────────────────────────────────────

const metricLine = fc.oneof(
  fc.tuple(fc.constantFrom('up', 'a_b', 'x:y', '1bad', ''), fc.constantFrom('', '{a="b"}', '{a="b",}', '{a="\\"}', '{'), fc.constantFrom(' 1', ' NaN', ' +Inf', ' 1 1700000000000', '', ' x')).map(([n, l, v]) => `${n}${l}${v}`),
  fc.constantFrom('# HELP up x', '# TYPE up gauge', '# EOF', '# UNIT x y', '', '   ', '<html>', '{"a":1}'),
  fc.string({ maxLength: 60 }),
);
const body = fc.oneof(fc.array(metricLine, { maxLength: 30 }).map((l) => Buffer.from(l.join('\n'))), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)));
const contentType = fc.option(fc.constantFrom('text/plain; version=0.0.4', 'application/openmetrics-text; version=1.0.0', 'text/html', 'application/json', '', 'text/plain;;;'), { nil: undefined });

describe('Prometheus text and OpenMetrics bodies', () => {
  it('countSamples counts or says not-metrics, never throws, never a negative count', () => {
    checkProperty(
      'Prometheus text and OpenMetrics bodies',
      fc.property(body, contentType, fc.boolean(), (b, type, truncated) => {
        const counted = countSamples(b, type, truncated);
        expect(counted.samples).toBeGreaterThanOrEqual(0);
      }),
      500,
    );
  });
});

// ── lastError texts ──────────────────────────────────────────────────────────────────────────────

const lastError = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.tuple(fc.constantFrom('Get "https://10.0.0.1:8080/metrics": ', 'Get http://x/: ', '', 'Get "'), fc.constantFrom('EOF', 'x509: certificate has expired or is not yet valid', 'remote error: tls: ', 'context deadline exceeded', 'server returned HTTP status ', 'dial tcp '), fc.string({ maxLength: 40 })).map((p) => p.join('')),
);

describe('lastError texts', () => {
  it('classifyLastError names only catalogue codes, once each, and never throws', () => {
    checkProperty(
      'lastError texts (classifier)',
      fc.property(lastError, fc.constantFrom(undefined, 'http', 'https'), (text, scheme) => {
        stripRequestPrefix(text);
        const codes = classifyLastError(text, scheme as 'http' | 'https' | undefined).map((c) => c.code);
        expect(new Set(codes).size).toBe(codes.length);
        for (const code of codes) expect(ALL_CODES).toContain(code);
      }),
      1_000,
    );
  });
});

// ── Prometheus API JSON ──────────────────────────────────────────────────────────────────────────

const apiTarget = fc.record({
  scrapePool: fc.oneof(fc.constantFrom('serviceMonitor/a/b/0', 'podMonitor/x/y/1', 'kubernetes-pods', ''), fc.integer(), fc.constant(null)),
  scrapeUrl: fc.oneof(fc.constantFrom('https://10.0.0.1:8080/metrics', 'http://x', 'not a url', ''), fc.constant(null)),
  health: fc.constantFrom('up', 'down', 'unknown', 5, null),
  lastError: fc.oneof(lastError, fc.constant(null), fc.integer()),
  labels: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), fc.constant(null), fc.constant('x')),
}, { requiredKeys: [] });
const apiBody = fc.oneof(
  fc.record({ status: fc.constantFrom('success', 'error', 7), data: fc.oneof(fc.record({ activeTargets: fc.oneof(fc.array(fc.oneof(apiTarget, fc.jsonValue()), { maxLength: 4 }), fc.jsonValue()) }, { requiredKeys: [] }), fc.jsonValue()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ status: fc.constant('success'), data: fc.record({ yaml: fc.oneof(fc.constantFrom('scrape_configs: [ {', 'scrape_configs:\n- job_name: a\n  kubernetes_sd_configs: [{role: pod}]', 'scrape_configs: 5', ''), hostileFragment) }) }).map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 100 }),
  fc.constant('{"status":'),
);
const apiAnswer = fc.record({ status: fc.constantFrom(200, 200, 200, 404, 500, 503), body: apiBody });

describe('Prometheus API JSON', () => {
  it('readPrometheusView records what it cannot read, never throws', async () => {
    await checkAsyncProperty(
      'Prometheus API JSON (readPrometheusView)',
      fc.asyncProperty(fc.dictionary(fc.constantFrom('targets', 'config', 'pools', 'metrics'), apiAnswer), async (answers) => {
        const pick = (path: string) => answers[path.includes('targets') ? 'targets' : path.includes('config') ? 'config' : path.includes('pools') ? 'pools' : 'metrics'];
        const view = await readPrometheusView(async (path) => pick(path) ?? { status: 404, body: '' }, 'http://prometheus');
        for (const u of view.unreadable) expect(u.reason).toMatch(/^[^\n]*$/);
      }),
      300,
    );
  });

  describe('through the doctor, offline with --prometheus-url', () => {
    let server: Server;
    let url = '';
    let answers: Record<string, { status: number; body: string }> = {};
    beforeAll(async () => {
      server = createServer((req, res) => {
        const key = (req.url ?? '').includes('targets') ? 'targets' : (req.url ?? '').includes('config') ? 'config' : (req.url ?? '').includes('pools') ? 'pools' : 'metrics';
        const answer = answers[key] ?? { status: 404, body: '' };
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('exit 0 or 1, no crash, whatever the API answers', async () => {
      await checkAsyncProperty(
        'Prometheus API JSON through the doctor',
        fc.asyncProperty(fc.dictionary(fc.constantFrom('targets', 'config', 'pools', 'metrics'), apiAnswer), async (given) => {
          answers = given;
          const summary = await runDoctor({ offline: true, prometheusUrl: url, probe: 'off', timeoutMs: 10_000 });
          expect(summary.checks.filter((c) => c.status === 'crash').map((c) => c.id)).toEqual([]);
          expect([0, 1]).toContain(summary.exitCode);
        }),
        60,
      );
    }, 120_000);
  });
});

// ── kubeconfigs ──────────────────────────────────────────────────────────────────────────────────

const kubeconfigValue = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null), fc.constant([]), fc.constant({}));
const kubeconfig = fc.oneof(
  fc.record({
    apiVersion: fc.constantFrom('v1', 5),
    kind: fc.constantFrom('Config', 'Pod'),
    'current-context': fc.oneof(fc.constantFrom('c', 'missing'), kubeconfigValue),
    clusters: fc.oneof(fc.array(fc.record({ name: fc.oneof(fc.constant('k'), kubeconfigValue), cluster: fc.oneof(fc.record({ server: fc.oneof(fc.constantFrom('https://127.0.0.1:6443', 'ftp://x', 'not a url', ''), kubeconfigValue), 'certificate-authority-data': fc.oneof(fc.constant('!!'), kubeconfigValue) }, { requiredKeys: [] }), kubeconfigValue) }, { requiredKeys: [] }), { maxLength: 2 }), kubeconfigValue),
    contexts: fc.oneof(fc.array(fc.record({ name: fc.oneof(fc.constant('c'), kubeconfigValue), context: fc.oneof(fc.record({ cluster: fc.oneof(fc.constant('k'), kubeconfigValue), user: fc.oneof(fc.constant('u'), kubeconfigValue) }, { requiredKeys: [] }), kubeconfigValue) }, { requiredKeys: [] }), { maxLength: 2 }), kubeconfigValue),
    users: fc.oneof(fc.array(fc.record({ name: fc.oneof(fc.constant('u'), kubeconfigValue), user: fc.oneof(fc.record({ token: kubeconfigValue, exec: kubeconfigValue }, { requiredKeys: [] }), kubeconfigValue) }, { requiredKeys: [] }), { maxLength: 2 }), kubeconfigValue),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  hostileDocument,
  fc.string({ maxLength: 100 }),
);

describe('kubeconfigs', () => {
  it('resolveKubeConfig resolves or refuses with a UsageError (exit 2), nothing else', async () => {
    const k8s = await import('@kubernetes/client-node');
    let n = 0;
    checkProperty(
      'kubeconfigs',
      fc.property(kubeconfig, (text) => {
        const file = join(tmp, `kubeconfig-${n++}`);
        writeFileSync(file, text);
        try {
          const resolved = resolveKubeConfig(k8s, { kubeconfig: file }, { env: {}, home: tmp, fsRoot: tmp });
          expect(resolved.server).toMatch(/^https?:/);
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(UsageError);
          expect((error as Error).message).toMatch(/^[^\n]+$/);
        }
      }),
      300,
    );
  }, 60_000);
});
