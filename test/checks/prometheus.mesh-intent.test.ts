/**
 * Which Prometheus the recipe checks judge (checks/prometheus/mesh-intent.ts), seen through
 * prometheus.sidecar-injected: Istio's addon Prometheus as shipped (injection off, no recipe, every
 * job plain text or with its own CA) is skipped with the reason; the same Deployment is judged as
 * soon as anything says it is meant to scrape over the mesh: a secure-metrics job with the sidecar's
 * files, the recipe's annotations, a sidecar coming, or a second, meshed Prometheus beside it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

const ADDON = new URL('../fixtures/istio-addon-prometheus/prometheus.yaml', import.meta.url).pathname;
const CHECK = 'prometheus.sidecar-injected';
const dir = tempDir('asm-prom-mesh-intent-');

const addon = readFileSync(ADDON, 'utf8');
/** Istio's samples/addons/extras/prometheus-secure-metrics.yaml job: the sidecar's files from the istio-certs volume. */
const SECURE_JOB = `    scrape_configs:
    - job_name: kubernetes-pods-istio-secure
      kubernetes_sd_configs:
      - role: pod
      scheme: https
      tls_config:
        ca_file: /etc/istio-certs/root-cert.pem
        cert_file: /etc/istio-certs/cert-chain.pem
        key_file: /etc/istio-certs/key.pem
        insecure_skip_verify: true
`;
/** kube-prometheus' Prometheus in a namespace without injection, with a plain blackbox job added by additionalScrapeConfigs: its ServiceMonitors may still target the mesh. */
const OPERATOR = `apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: v1
kind: Secret
metadata: {name: additional-scrape-configs, namespace: monitoring}
stringData:
  prometheus-additional.yaml: |
    - job_name: blackbox-http
      metrics_path: /probe
      params: {module: [http_2xx]}
      static_configs:
      - targets: [https://example.com]
      relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {target_label: __address__, replacement: blackbox-exporter.monitoring.svc:19115}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  serviceAccountName: prometheus-k8s
  serviceMonitorSelector: {}
  additionalScrapeConfigs: {name: additional-scrape-configs, key: prometheus-additional.yaml}
`;
const POD_LABELS = '        sidecar.istio.io/inject: "false"\n    spec:\n';

async function judge(name: string, text: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  const summary = await runDoctor(parseDoctorArgs(['-f', file, '--only', CHECK]));
  const check = summary.checks.find((c) => c.id === CHECK)!;
  const findings = summary.findings.filter((f) => f.check === CHECK).map((f) => `${f.code} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`);
  return { status: check.status, skipReason: check.skipReason, findings };
}

describe('which Prometheus scrapes over Istio mTLS', () => {
  it("Istio's addon as shipped is not judged: skipped with the reason, never passed", async () => {
    const { status, skipReason, findings } = await judge('as-shipped', addon);
    expect(status).toBe('skip');
    expect(skipReason).toBe('no Prometheus here scrapes over Istio mTLS: no sidecar is injected, and every job of its configuration scrapes in plain text or with its own CA');
    expect(findings).toEqual([]);
  });

  it('a job with the sidecar\'s certificate files is judged, and the missing sidecar reported', async () => {
    expect.assertions(2);
    expect(addon).toContain('    scrape_configs:\n');
    const { findings } = await judge('secure-job', addon.replace('    scrape_configs:\n', SECURE_JOB));
    expect(findings).toEqual(['SIDECAR_NOT_INJECTED Deployment/istio-system/prometheus']);
  });

  it('the recipe written on the pod (a userVolumeMount, or OUTPUT_CERTS in proxy.istio.io/config) is judged', async () => {
    const mount = await judge('user-volume-mount', addon.replace(POD_LABELS, `${POD_LABELS.split('\n')[0]}\n      annotations:\n        sidecar.istio.io/userVolumeMount: '[{"name": "istio-certs", "mountPath": "/etc/istio-output-certs"}]'\n    spec:\n`));
    expect(mount.findings).toEqual(['SIDECAR_NOT_INJECTED Deployment/istio-system/prometheus']);
    const config = await judge('output-certs', addon.replace(POD_LABELS, `${POD_LABELS.split('\n')[0]}\n      annotations:\n        proxy.istio.io/config: |\n          proxyMetadata:\n            OUTPUT_CERTS: /etc/istio-output-certs\n    spec:\n`));
    expect(config.findings).toEqual(['SIDECAR_NOT_INJECTED Deployment/istio-system/prometheus']);
  });

  it('an unrelated annotation on the pod or in proxy.istio.io/config keeps the addon unjudged', async () => {
    const other = await judge('other-annotations', addon.replace(POD_LABELS, `${POD_LABELS.split('\n')[0]}\n      annotations:\n        proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'\n        sidecar.istio.io/logLevel: debug\n    spec:\n`));
    expect(other.status).toBe('skip');
  });

  it('with injection on, the addon is judged even though every job is plain text', async () => {
    const { status, findings } = await judge('inject-on', addon.replace(POD_LABELS, '        sidecar.istio.io/inject: "true"\n    spec:\n'));
    expect(status).toBe('pass');
    expect(findings).toEqual([]);
  });

  it('a Prometheus Operator resource is judged, even when its only raw jobs (additionalScrapeConfigs) are plain text', async () => {
    const { findings } = await judge('operator', OPERATOR);
    expect(findings).toEqual(['SIDECAR_NOT_INJECTED Prometheus/monitoring/k8s']);
  });

  it('a meshed Prometheus beside the addon is judged alone', async () => {
    const meshed = addon.replaceAll('name: prometheus\n', 'name: prometheus-secure\n').replace(POD_LABELS, '        sidecar.istio.io/inject: "false"\n        app: prometheus-secure\n    spec:\n').replace('    scrape_configs:\n', SECURE_JOB);
    const { status, findings } = await judge('two', `${addon}\n---\n${meshed}`);
    expect(status).toBe('fail');
    expect(findings).toEqual(['SIDECAR_NOT_INJECTED Deployment/istio-system/prometheus-secure']);
  });
});
