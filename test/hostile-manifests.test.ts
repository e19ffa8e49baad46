/**
 * Hostile but parseable manifests through the built CLI, as the independent hostile run fed them:
 * each is a MANIFEST_PARSE_ERROR with file and line (exit 1), never an internal error (exit 3).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const deepFlow = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('hostile manifests exit 1 with a MANIFEST_PARSE_ERROR that names file and line', () => {
  it.each([
    ['a self-referencing alias', 'apiVersion: v1\nkind: Service\nmetadata: &m {name: self, loop: *m}\n', 3, /alias \*m is inside the anchor &m/],
    ['a kind: List whose items is a mapping', 'apiVersion: v1\nkind: List\nitems: {a: 1}\n', 3, /items of a kind: List must be a list, not a mapping/],
    ['a kind: List whose items is a string', 'apiVersion: v1\nkind: List\nitems: hello\n', 3, /must be a list, not a string/],
    ['YAML lists 5,000 deep', `apiVersion: v1\nkind: ConfigMap\ndata:\n  x: ${deepFlow(5_000)}\n`, 1, /cannot be read: the document nests more than 256 levels deep \(line 4\)/],
    ['JSON 100,000 deep', `{"apiVersion": "v1", "kind": "ConfigMap", "data": ${deepFlow(100_000)}}`, 1, /cannot be read: the document nests more than 256 levels deep/],
  ])('%s', async (_, input, line, message) => {
    const { code, stdout, stderr } = await runCli(['doctor', '-f', '-', '-o', 'json'], { input });
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as { exitCode: number; findings: { code: string; message: string; subject: object }[] };
    expect(report.findings.map((f) => f.code)).toEqual(['MANIFEST_PARSE_ERROR']);
    expect(report.findings[0]!.subject).toEqual({ kind: 'File', file: '-', line });
    expect(report.findings[0]!.message).toMatch(message);
    expect(report.findings[0]!.message).not.toMatch(/call stack/);
    expect(code).toBe(1);
    expect(report.exitCode).toBe(1);
  });
});

describe('stderr stays clean', () => {
  it('an unknown YAML tag in proxy.istio.io/config prints no Node warning (stderr is for errors of ours)', async () => {
    const input = 'kind: Pod\nmetadata:\n  name: a\n  annotations:\n    proxy.istio.io/config: "x: !custom 1"\nspec: {containers: [{name: prometheus, image: prom/prometheus}]}\n';
    const { code, stderr } = await runCli(['doctor', '-f', '-', '-o', 'json'], { input });
    expect(stderr).toBe('');
    expect([0, 1]).toContain(code);
  });
});
