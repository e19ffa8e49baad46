/**
 * The raw scrape jobs' targets as the monitors.* checks see them (checks/monitors/raw-jobs.ts): what
 * discovery and relabelling leave, which workload and Service port each target stands for, the
 * namespaces a job watches, when a job is beyond the model, and the live merge of the pods and
 * Services the jobs watch with the rest of the inventory.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rawJobTarget, resolveRawJob, resolveRawJobs, usesMeshTls, type RawJobTarget } from '../../checks/monitors/raw-jobs.js';
import type { CheckContext } from '../../src/core/check.js';
import { ResourceStore, Unavailable, type Providers } from '../../src/core/resources.js';
import type { TargetWorkload } from '../../src/model/inventory.js';
import type { KubeObject, Pod, Service } from '../../src/model/k8s.js';
import { nameOf } from '../../src/model/k8s.js';
import { loadPrometheusConfig } from '../../src/model/scrape-config.js';
import type { ScrapeConfigSource, ScrapeJobEntry } from '../../src/sources/raw-scrape-configs.js';

const entries = (config: string): ScrapeJobEntry[] => {
  const { jobs, errors } = loadPrometheusConfig(`scrape_configs:\n${config}`);
  expect(errors).toEqual([]);
  return jobs.map((job) => ({ job, subject: { kind: 'ScrapeJob', name: job.name }, source: 'prometheus.yml' }));
};
const entry = (config: string) => entries(config)[0]!;

/** A running pod as the API server gives it (admitted: its containers are final). */
const pod = (name: string, ip: string, labels: Record<string, string>, ports: { name: string; containerPort: number }[], sidecar = false): TargetWorkload => {
  const object = parse(`
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: apps, uid: uid-${name} }
status: { phase: Running, podIP: "${ip}" }
`) as Pod;
  object.metadata!.labels = labels;
  object.spec = { containers: [{ name: 'app', ports }, ...(sidecar ? [{ name: 'istio-proxy', ports: [{ name: 'http-envoy-prom', containerPort: 15090 }] }] : [])] };
  return { object, namespace: 'apps', template: { metadata: object.metadata, spec: object.spec } };
};
const service = (name: string, selector: Record<string, string>, ports: Record<string, unknown>[]): Service =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'apps', labels: { app: name } }, spec: { selector, ports } }) as Service;

const web = pod('web-1', '10.0.0.1', { app: 'web' }, [{ name: 'http-metrics', containerPort: 9080 }, { name: 'tcp-admin', containerPort: 9901 }]);
const webService = service('web', { app: 'web' }, [{ name: 'http-metrics', port: 80, targetPort: 9080 }]);

/** What a test reads of a target: its scheme, address, port, and the workload and Service port it stands for. */
const view = (t: RawJobTarget) => ({
  scheme: t.scheme, address: t.address, port: t.port,
  workload: t.workload && nameOf(t.workload.object), service: t.service && nameOf(t.service), servicePort: t.servicePort?.name,
});
const targetsOf = (config: string, services: Service[] | undefined, workloads: TargetWorkload[] | undefined) =>
  resolveRawJob(entry(config), services, workloads, undefined).targets.map(view);

const podJob = (relabel = '') => `- job_name: pods
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [apps]}}]
${relabel}`;

describe('raw job targets', () => {
  it('takes a job without a scheme as http, each pod port a target with its workload and the Service that exposes it', () => {
    const job = resolveRawJob(entry(podJob()), [webService], [web], undefined);
    expect([...job.schemes]).toEqual(['http']);
    expect(job.label).toBe('job "pods"');
    expect(job.targets.map(view)).toEqual([
      { scheme: 'http', address: '10.0.0.1:9080', port: 9080, workload: 'web-1', service: 'web', servicePort: 'http-metrics' },
      { scheme: 'http', address: '10.0.0.1:9901', port: 9901, workload: 'web-1', service: undefined, servicePort: undefined },
    ]);
  });

  it('keeps a target that two discovery configs of one job both find once, as Prometheus does', () => {
    const twice = `- job_name: pods
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [apps]}}, {role: pod, namespaces: {names: [apps]}}]
  relabel_configs: [{source_labels: [__meta_kubernetes_pod_container_port_name], regex: http-metrics, action: keep}]
`;
    expect(targetsOf(twice, [webService], [web]).map((t) => t.address)).toEqual(['10.0.0.1:9080']);
  });

  it('has no target, and no error, when the pods or Services are unknown', () => {
    expect(targetsOf(podJob(), undefined, undefined)).toEqual([]);
    const services = `- job_name: services
  kubernetes_sd_configs: [{role: service, namespaces: {names: [apps]}}]
`;
    // role service: one target toward the Service, whose pods are unknown
    expect(targetsOf(services, [webService], undefined)).toEqual([
      { scheme: 'http', address: 'web.apps.svc:80', port: 80, workload: undefined, service: undefined, servicePort: undefined },
    ]);
  });

  it('drops a target whose relabelling writes a URL into __address__ (Prometheus rejects it)', () => {
    const url = podJob(`  relabel_configs: [{source_labels: [__address__], regex: '(.+)', replacement: 'http://$1/metrics', target_label: __address__}]`);
    expect(targetsOf(url, [webService], [web])).toEqual([]);
  });

  it('follows an IPv6 pod address to its workload', () => {
    const v6 = pod('web-v6', 'fd00:10:244::5', { app: 'web' }, [{ name: 'http-metrics', containerPort: 9080 }]);
    expect(targetsOf(podJob(), [webService], [v6])).toEqual([
      { scheme: 'http', address: '[fd00:10:244::5]:9080', port: 9080, workload: 'web-v6', service: 'web', servicePort: 'http-metrics' },
    ]);
  });

  it('has no workload for an IPv6 pod address written back without brackets (no port Prometheus can read)', () => {
    const v6 = pod('web-v6', 'fd00:10:244::5', { app: 'web' }, [{ name: 'http-metrics', containerPort: 9080 }]);
    const bare = podJob(`  relabel_configs: [{source_labels: [__meta_kubernetes_pod_ip], target_label: __address__}]`);
    expect(targetsOf(bare, [webService], [v6])).toEqual([
      { scheme: 'http', address: 'fd00:10:244::5', port: undefined, workload: undefined, service: undefined, servicePort: undefined },
    ]);
  });

  it('has no workload for a pod address whose port relabelling replaced by its name (Prometheus cannot scrape it)', () => {
    const named = podJob(`  relabel_configs:
  - {source_labels: [__meta_kubernetes_pod_container_port_name], regex: http-metrics, action: keep}
  - {source_labels: [__meta_kubernetes_pod_ip, __meta_kubernetes_pod_container_port_name], separator: ':', target_label: __address__}`);
    expect(targetsOf(named, [webService], [web])).toEqual([
      { scheme: 'http', address: '10.0.0.1:http-metrics', port: undefined, workload: undefined, service: undefined, servicePort: undefined },
    ]);
  });

  it('has no workload for a pod target whose address relabelling sent elsewhere (a blackbox exporter)', () => {
    const probe = podJob(`  relabel_configs:
  - {source_labels: [__meta_kubernetes_pod_container_port_name], regex: http-metrics, action: keep}
  - {source_labels: [__address__], target_label: __param_target}
  - {target_label: __address__, replacement: 'blackbox.monitoring.svc:9115'}`);
    expect(targetsOf(probe, [webService], [web])).toEqual([
      { scheme: 'http', address: 'blackbox.monitoring.svc:9115', port: 9115, workload: undefined, service: undefined, servicePort: undefined },
    ]);
    const endpoints = probe.replace('role: pod', 'role: endpoints');
    expect(targetsOf(endpoints, [webService], [web])).toEqual([
      { scheme: 'http', address: 'blackbox.monitoring.svc:9115', port: 9115, workload: undefined, service: undefined, servicePort: undefined },
    ]);
  });

  it('names the Service an endpoints target was discovered through, though another Service exposes the same port', () => {
    const headless = service('web-headless', { app: 'web' }, [{ name: 'tcp-metrics', port: 9080 }]);
    const job = `- job_name: endpoints
  kubernetes_sd_configs: [{role: endpoints, namespaces: {names: [apps]}}]
  relabel_configs:
  - {source_labels: [__meta_kubernetes_service_name], regex: web-headless, action: keep}
  - {source_labels: [__meta_kubernetes_endpoint_port_name], regex: tcp-metrics, action: keep}
`;
    expect(targetsOf(job, [webService, headless], [web])).toEqual([
      { scheme: 'http', address: '10.0.0.1:9080', port: 9080, workload: 'web-1', service: 'web-headless', servicePort: 'tcp-metrics' },
    ]);
  });

  it('takes the Service port of an endpoints target whose port relabelling changed from the port that exposes the new one', () => {
    const job = `- job_name: endpoints
  kubernetes_sd_configs: [{role: endpoints, namespaces: {names: [apps]}}]
  relabel_configs:
  - {source_labels: [__meta_kubernetes_endpoint_port_name], regex: http-metrics, action: keep}
  - {source_labels: [__address__], regex: '([^:]+):\\d+', replacement: '$1:9901', target_label: __address__}
`;
    expect(targetsOf(job, [webService], [web])).toEqual([
      { scheme: 'http', address: '10.0.0.1:9901', port: 9901, workload: 'web-1', service: undefined, servicePort: undefined },
    ]);
  });

  it('stands a role: service target for each pod behind the Service, at the pod port the Service port targets', () => {
    const job = `- job_name: services
  kubernetes_sd_configs: [{role: service, namespaces: {names: [apps]}}]
`;
    const other = pod('web-2', '10.0.0.2', { app: 'web' }, [{ name: 'metrics', containerPort: 9999 }]);
    const named = service('web', { app: 'web' }, [{ name: 'http-metrics', port: 80, targetPort: 'http-metrics' }]);
    expect(targetsOf(job, [named], [web, other])).toEqual([
      { scheme: 'http', address: 'web.apps.svc:80', port: 9080, workload: 'web-1', service: 'web', servicePort: 'http-metrics' },
      // web-2 declares no port named http-metrics: the Service's own port stands
      { scheme: 'http', address: 'web.apps.svc:80', port: 80, workload: 'web-2', service: 'web', servicePort: 'http-metrics' },
    ]);
  });

  it('lists the namespaces a job discovers in, or all when one of its configs names none', () => {
    const two = `- job_name: two
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [apps, billing]}}, {role: endpoints, namespaces: {names: [apps]}}]
`;
    expect(resolveRawJob(entry(two), [], [], undefined).namespaces).toEqual(['apps', 'billing']);
    const mixed = `- job_name: mixed
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [apps]}}, {role: endpoints}]
`;
    expect(resolveRawJob(entry(mixed), [], [], undefined).namespaces).toBe('all');
  });

  it('is opaque when one of its discovery configs watches nodes or ingresses or another API server, or it has other discovery', () => {
    const opaque = (config: string) => resolveRawJob(entry(config), [], [], undefined).opaque;
    expect(opaque(podJob())).toBe(false);
    expect(opaque(`- job_name: kubelets
  kubernetes_sd_configs: [{role: node}]
`)).toBe(true);
    expect(opaque(`- job_name: pods-and-nodes
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [apps]}}, {role: node}]
`)).toBe(true);
    expect(opaque(`- job_name: ingresses
  kubernetes_sd_configs: [{role: ingress, namespaces: {names: [apps]}}]
`)).toBe(true);
    expect(opaque(`- job_name: remote
  kubernetes_sd_configs: [{role: pod, api_server: 'https://other.example.com:6443'}]
`)).toBe(true);
    expect(opaque(`- job_name: static
  static_configs: [{targets: ['pushgateway:9091']}]
`)).toBe(true);
    expect(opaque(`- job_name: files
  file_sd_configs: [{files: [/etc/targets/*.json]}]
`)).toBe(true);
  });
});

describe('raw jobs meant for Istio certificates', () => {
  const meshed = pod('web-1', '10.0.0.1', { app: 'web' }, [{ name: 'http-metrics', containerPort: 9080 }], true);
  const job = (scheme: string, tls = '') => resolveRawJob(entry(`- job_name: pods
  scheme: ${scheme}
${tls}  kubernetes_sd_configs: [{role: pod, namespaces: {names: [apps]}}]
`), [webService], [meshed], undefined);

  it('an https job toward sidecar pods is, though the namespaces are unknown', () => {
    expect(usesMeshTls(job('https'), undefined)).toBe(true);
  });

  it('an http job toward the same pods is not', () => {
    expect(usesMeshTls(job('http'), undefined)).toBe(false);
  });

  it('an https job toward pods without a sidecar, or toward no known workload, is not', () => {
    const plain = resolveRawJob(entry(`- job_name: pods
  scheme: https
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [apps]}}]
`), [webService], [web], undefined);
    expect(usesMeshTls(plain, undefined)).toBe(false);
    const services = resolveRawJob(entry(`- job_name: services
  scheme: https
  kubernetes_sd_configs: [{role: service, namespaces: {names: [apps]}}]
`), [webService], [], undefined);
    expect(services.targets.length).toBe(1);
    expect(usesMeshTls(services, undefined)).toBe(false);
  });

  it('a job reading the sidecar\'s certificate files is, whatever it scrapes', () => {
    expect(usesMeshTls(job('http', '  tls_config: {ca_file: /etc/prom-certs/root-cert.pem}\n'), undefined)).toBe(true);
    expect(usesMeshTls(job('http', '  tls_config: {ca_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt}\n'), undefined)).toBe(false);
  });

  it('a finding about a job names where its configuration was read, beside its own evidence', () => {
    expect(rawJobTarget(job('https'), { port: 9080 })).toEqual({ subject: { kind: 'ScrapeJob', name: 'pods' }, evidence: { source: 'prometheus.yml', port: 9080 } });
  });
});

describe('raw jobs live: the pods and Services the jobs watch, merged with the inventory', () => {
  const configs = (config: string): ScrapeConfigSource[] => [{ source: 'prometheus.yml', subject: { kind: 'ConfigMap', name: 'prometheus' }, errors: [], jobs: entries(config) }];
  const resolve = async (providers: Providers) => {
    const store = new ResourceStore(providers);
    const ctx = { tryGet: (key: Parameters<CheckContext['tryGet']>[0]) => store.optional(key) } as CheckContext;
    return (await resolveRawJobs(ctx)).map((job) => job.targets.map(view));
  };
  const endpoints = `- job_name: endpoints
  kubernetes_sd_configs: [{role: endpoints, namespaces: {names: [apps]}}]
  relabel_configs: [{source_labels: [__meta_kubernetes_endpoint_port_name], regex: http-metrics, action: keep}]
`;
  const other = pod('web-2', '10.0.0.2', { app: 'web' }, [{ name: 'http-metrics', containerPort: 9080 }]);

  it('reads nothing when no raw job is configured', async () => {
    const read: string[] = [];
    const providers: Providers = { scrapeConfigs: () => [] };
    for (const key of ['services', 'workloads', 'namespaces', 'rawJobTargets'] as const) {
      providers[key] = () => {
        read.push(key);
        throw new Unavailable('not read');
      };
    }
    expect(await resolve(providers)).toEqual([]);
    expect(read).toEqual([]);
  });

  it('takes the pods and Services from both lists, each object once', async () => {
    const found = await resolve({
      scrapeConfigs: () => configs(endpoints),
      services: () => [webService],
      workloads: () => [web],
      rawJobTargets: () => ({ services: [structuredClone(webService)], workloads: [structuredClone(web), other] }),
    });
    expect(found).toEqual([[
      { scheme: 'http', address: '10.0.0.1:9080', port: 9080, workload: 'web-1', service: 'web', servicePort: 'http-metrics' },
      { scheme: 'http', address: '10.0.0.2:9080', port: 9080, workload: 'web-2', service: 'web', servicePort: 'http-metrics' },
    ]]);
  });

  it('keeps what the inventory holds beside what the watch lists give', async () => {
    const found = await resolve({
      scrapeConfigs: () => configs(endpoints),
      services: () => [webService],
      workloads: () => [web],
      rawJobTargets: () => ({ services: [], workloads: [other] }),
    });
    expect(found[0]!.map((t) => t.address)).toEqual(['10.0.0.1:9080', '10.0.0.2:9080']);
  });

  it('takes the watch lists alone when the inventory cannot list pods or Services', async () => {
    const found = await resolve({
      scrapeConfigs: () => configs(endpoints),
      services: () => {
        throw new Unavailable('forbidden');
      },
      workloads: () => {
        throw new Unavailable('forbidden');
      },
      rawJobTargets: () => ({ services: [webService], workloads: [web] }),
    });
    expect(found[0]!.map((t) => `${t.address} ${t.workload} ${t.service}`)).toEqual(['10.0.0.1:9080 web-1 web']);
  });

  it('tells apart objects of the same name in other namespaces', async () => {
    const elsewhere = { ...other, object: { ...other.object, metadata: { ...other.object.metadata, name: 'web-1', namespace: 'billing' } } as KubeObject, namespace: 'billing' };
    const all = `- job_name: pods
  kubernetes_sd_configs: [{role: pod}]
  relabel_configs: [{source_labels: [__meta_kubernetes_pod_container_port_name], regex: http-metrics, action: keep}]
`;
    const found = await resolve({
      scrapeConfigs: () => configs(all),
      services: () => [],
      workloads: () => [web],
      rawJobTargets: () => ({ services: [], workloads: [web, elsewhere] }),
    });
    expect(found[0]!.map((t) => t.address)).toEqual(['10.0.0.1:9080', '10.0.0.2:9080']);
  });
});
