/**
 * checks/monitors/scrape-targets.ts, the target derivation several monitors.* checks share: from
 * manifests (parsed and sanitised as the doctor reads them) to each monitor's targets, the Service
 * ports it scrapes through and the port names it misses. Manifests the API server would refuse
 * (a template without metadata or spec, a Service without spec) must still resolve, not crash.
 */
import { describe, expect, it } from 'vitest';
import { ResourceStore } from '../../src/core/resources.js';
import { nameOf } from '../../src/model/k8s.js';
import { manifestProviders, parseManifests } from '../../src/sources/manifests.js';
import { resolveTargets, type MonitorTargets } from '../../checks/monitors/scrape-targets.js';

async function resolve(yaml: string): Promise<Record<string, MonitorTargets>> {
  const store = new ResourceStore();
  store.provide(manifestProviders(store, parseManifests([{ name: 'm.yaml', text: yaml }])));
  const services = await store.optional('services');
  const workloads = await store.optional('workloads');
  const monitors = [...(await store.require('serviceMonitors')), ...(await store.require('podMonitors'))];
  return Object.fromEntries(monitors.map((m) => {
    const resolved = resolveTargets(m, services, workloads);
    if ('unknown' in resolved) throw new Error(`${nameOf(m)}: ${resolved.unknown} unknown`);
    return [nameOf(m), resolved];
  }));
}

/** `workload:port` of each target, and `service/port-name` when a Service port is known. */
const targetsOf = (r: MonitorTargets) => r.targets.map((t) => `${nameOf(t.workload.object)}:${t.port}${t.servicePort ? ` via ${nameOf(t.service!)}/${t.servicePort.name ?? t.servicePort.port}` : ''}`);
const missingOf = (r: MonitorTargets) => r.missingPorts.map((m) => `${m.endpoint.path} ${m.port} [${m.available.join(',')}]`);

const deployment = (name: string, namespace: string, template: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
${template}
`;
/** A Service labelled app: web in shop; with ports, it also selects app: web pods; without, it has no spec. */
const webService = (name: string, ports?: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: shop, labels: {app: web}}${ports ? `
spec:
  selector: {app: web}
  ports: ${ports}` : ''}`;
const serviceMonitor = (name: string, endpoints: string, selector = `{matchLabels: {app: ${name}}}`) => `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: ${name}, namespace: shop}
spec:
  selector: ${selector}
  endpoints: ${endpoints}
`;
const podMonitor = (name: string, endpoints: string, selector = `{matchLabels: {app: ${name}}}`) => `apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: ${name}, namespace: shop}
spec:
  selector: ${selector}
  podMetricsEndpoints: ${endpoints}
`;

describe('ServiceMonitor targets', () => {
  const web = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: http-metrics, port: 9090, targetPort: metrics}
  - {port: 9443}
---
${deployment('web', 'shop', `    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        ports: [{containerPort: 8080}, {name: metrics, containerPort: 9091}]`)}
---
# the same labels in another namespace: not behind the Service
${deployment('web', 'other', `    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, ports: [{containerPort: 8080}]}]}`)}
`;

  it('an endpoint without port scrapes every port of the Service, into the pods of its namespace only', async () => {
    const r = await resolve(`${web}---\n${serviceMonitor('web', '[{path: /metrics}]')}`);
    expect(targetsOf(r.web!)).toEqual(['web:8080 via web/http', 'web:9091 via web/http-metrics', 'web:9443 via web/9443']);
    expect(r.web!.servicePorts.map((p) => p.servicePort.port)).toEqual([80, 9090, 9443]);
    expect(missingOf(r.web!)).toEqual([]);
  });

  it('a named port picks that Service port, its targetPort resolved by the container port name', async () => {
    const r = await resolve(`${web}---\n${serviceMonitor('web', '[{port: http-metrics}]')}`);
    expect(targetsOf(r.web!)).toEqual(['web:9091 via web/http-metrics']);
  });

  it('a port name no Service port has is missing, with the names there are (an unnamed port has none)', async () => {
    const r = await resolve(`${web}---\n${serviceMonitor('web', '[{port: metrics}]')}`);
    expect(targetsOf(r.web!)).toEqual([]);
    expect(missingOf(r.web!)).toEqual(['endpoints[0] metrics [http,http-metrics]']);
  });

  it('a port number written unquoted is taken as a name (the CRD wants one): missing, not every port', async () => {
    const r = await resolve(`${web}---\n${serviceMonitor('web', '[{port: 9090}, {port: ""}]')}`);
    expect(missingOf(r.web!)).toEqual(['endpoints[0] 9090 [http,http-metrics]']);
    // an empty port selects by nothing: every port, as without it
    expect(targetsOf(r.web!)).toEqual(['web:8080 via web/http', 'web:9091 via web/http-metrics', 'web:9443 via web/9443']);
  });

  it('a Service without selector (hand-made endpoints) or without ports leads into no pod and misses no port', async () => {
    const r = await resolve(`apiVersion: v1
kind: Service
metadata: {name: external, namespace: shop, labels: {app: db}}
spec:
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: headless, namespace: shop, labels: {app: cache}}
spec:
  selector: {app: cache}
  clusterIP: None
---
${deployment('db', 'shop', `    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, ports: [{name: http, containerPort: 8080}]}]}`)}
---
${deployment('cache', 'shop', `    metadata: {labels: {app: cache}}
    spec: {containers: [{name: cache, ports: [{containerPort: 6379}]}]}`)}
---
${serviceMonitor('db', '[{port: http}]')}
---
${serviceMonitor('cache', '[{path: /metrics}]')}`);
    expect(r.db!.matched.map(nameOf)).toEqual(['external']);
    expect(r.db!.servicePorts.map((p) => p.servicePort.name)).toEqual(['http']);
    expect(targetsOf(r.db!)).toEqual([]);
    expect(r.cache!.matched.map(nameOf)).toEqual(['headless']);
    expect(targetsOf(r.cache!)).toEqual([]);
    expect(missingOf(r.cache!)).toEqual([]);
  });

  it('a Service without spec, or a template without metadata, is matched without a crash', async () => {
    const r = await resolve(`${webService('bare')}
---
${deployment('nolabels', 'shop', `    spec: {containers: [{name: app, ports: [{name: http, containerPort: 8080}]}]}`)}
---
${webService('web', '[{name: http, port: 80, targetPort: http}]')}
---
${serviceMonitor('web', '[{port: http}]')}`);
    expect(r.web!.matched.map(nameOf)).toEqual(['bare', 'web']);
    expect(targetsOf(r.web!)).toEqual([]);
    expect(missingOf(r.web!)).toEqual([]);
  });

  it('misses a port only when no matched Service has it, and lists the names of all of them (a bare Service has none)', async () => {
    const r = await resolve(`${webService('bare')}
---
${webService('web', '[{name: http, port: 80}]')}
---
${serviceMonitor('web', '[{port: metrics}]')}`);
    expect(missingOf(r.web!)).toEqual(['endpoints[0] metrics [http]']);
  });

  it('a targetPort picks the Service ports whose targetPort (or port, without one) it is', async () => {
    const r = await resolve(`${web}---\n${serviceMonitor('web', '[{targetPort: 8080}, {targetPort: metrics}, {targetPort: 9443}, {targetPort: nothing}]')}`);
    expect(r.web!.servicePorts.map((p) => `${p.endpoint.path} ${p.servicePort.port}`)).toEqual(['endpoints[0] 80', 'endpoints[1] 9090', 'endpoints[2] 9443']);
    expect(targetsOf(r.web!)).toEqual(['web:8080 via web/http', 'web:9091 via web/http-metrics', 'web:9443 via web/9443']);
    expect(missingOf(r.web!)).toEqual([]);
  });
});

describe('PodMonitor targets', () => {
  const pods = `${deployment('api', 'shop', `    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: app
        ports: [{containerPort: 8080}, {name: metrics, containerPort: 9090}, {name: declared-without-number}, {name: http2, containerPort: 9091}, {name: 9000-admin, containerPort: 9000}]
      - name: helper`)}
---
# no spec: no containers, no ports
${deployment('idle', 'shop', `    metadata: {labels: {app: idle}}`)}
---
# no metadata: matched only by a selector that asks for no label
${deployment('anon', 'shop', `    spec: {containers: [{name: app, ports: [{name: metrics, containerPort: 9100}]}]}`)}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports:
  - {name: http-metrics, port: 80, targetPort: metrics}
  - {name: grpc, port: 81, targetPort: http2}
  - {name: admin, port: 82, targetPort: 9000-admin}
  # neither port nor targetPort (the API server would refuse it): exposes nothing
  - {name: broken}
---
apiVersion: v1
kind: Service
metadata: {name: bare, namespace: shop}
`;

  it('an endpoint without port scrapes every declared container port number, each with the Service port exposing it', async () => {
    const r = await resolve(`${pods}---\n${podMonitor('all', '[{path: /metrics}]', '{}')}`);
    expect(r.all!.matched.map(nameOf)).toEqual(['api', 'idle', 'anon']);
    expect(targetsOf(r.all!)).toEqual(['api:8080', 'api:9090 via api/http-metrics', 'api:9091 via api/grpc', 'api:9000 via api/admin', 'anon:9100']);
    expect(missingOf(r.all!)).toEqual([]);
  });

  it('a targetPort picks that container port, by number or by name; one that resolves to nothing scrapes nothing', async () => {
    const r = await resolve(`${pods}---\n${podMonitor('api', '[{targetPort: 8080}, {targetPort: metrics}, {targetPort: "9090"}, {targetPort: nothing}]')}`);
    expect(r.api!.targets.map((t) => `${t.endpoint.path} ${nameOf(t.workload.object)}:${t.port}`)).toEqual([
      'podMetricsEndpoints[0] api:8080', 'podMetricsEndpoints[1] api:9090', 'podMetricsEndpoints[2] api:9090',
    ]);
  });

  it('a port name some pod declares is no missing port; a selector without labels also matches a template without metadata', async () => {
    const r = await resolve(`${pods}---\n${podMonitor('all', '[{port: metrics}]', '{}')}`.replace('app: idle', 'app: api'));
    expect(r.all!.matched.map(nameOf)).toEqual(['api', 'idle', 'anon']);
    expect(targetsOf(r.all!)).toEqual(['api:9090 via api/http-metrics', 'anon:9100']);
    expect(missingOf(r.all!)).toEqual([]);
  });

  it('a port number written unquoted is taken as a name, and missed', async () => {
    const r = await resolve(`${pods}---\n${podMonitor('api', '[{port: 9090}]')}`);
    expect(targetsOf(r.api!)).toEqual([]);
    expect(missingOf(r.api!)).toEqual(['podMetricsEndpoints[0] 9090 [metrics,declared-without-number,http2,9000-admin]']);
  });

  it('a PodMonitor without spec selects by nothing and scrapes nothing, without a crash', async () => {
    const r = await resolve(`${pods}---\napiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: nospec, namespace: shop}\n`);
    expect(r.nospec!.matched.map(nameOf)).toEqual(['api', 'idle', 'anon']);
    expect(r.nospec!.targets).toEqual([]);
  });
});
