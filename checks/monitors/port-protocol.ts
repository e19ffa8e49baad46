import { defineCheck } from '../../src/core/check.js';
import type { KubeObject, Monitor, ServicePort } from '../../src/model/k8s.js';
import { isIstioHttpPort } from '../../src/model/mtls.js';
import { endpointsOf, label, loadMonitors, onceEach, schemeOf } from './endpoints.js';
import { judgeMonitorTargets } from './scrape-targets.js';
import { rawJobTarget, resolveRawJobs, usesMeshTls } from './raw-jobs.js';

/** pilot-agent's merged Prometheus endpoint: plain text, never behind the sidecar's mTLS. */
const MERGED_METRICS_PORT = 15020;

const describePort = (port: ServicePort) => (port.name ? `"${port.name}"` : String(port.port ?? '(unnamed)'));

export default defineCheck({
  id: 'monitors.port-protocol',
  title: 'https endpoints target ports Istio serves as HTTP, and not the merged-metrics port',
  category: 'monitors',
  codes: ['MONITOR_PORT_PROTOCOL', 'MONITOR_MERGED_METRICS_PORT'],
  needs: [],
  uses: ['serviceMonitors', 'podMonitors', 'services', 'workloads', 'scrapeConfigs', 'namespaces', 'rawJobTargets'],
  async run(ctx) {
    // Only TLS scrapes meet the ALPN problem and the plain-text port; http scrapes are judged elsewhere.
    const httpsEndpointsOf = (monitor: Monitor) => new Set(endpointsOf(monitor).filter((ep) => schemeOf(ep.endpoint) === 'https').map((ep) => ep.path));
    // Raw jobs: the targets left https after relabelling, with the port they reach.
    const namespaces = await ctx.tryGet('namespaces');
    for (const job of await resolveRawJobs(ctx)) {
      if (!usesMeshTls(job, namespaces)) continue;
      const first = onceEach();
      for (const target of job.targets) {
        if (target.scheme !== 'https' || !target.workload || target.port === undefined) continue;
        if (target.port === MERGED_METRICS_PORT) {
          if (first('merged')) ctx.report('MONITOR_MERGED_METRICS_PORT', { endpoint: job.label, port: `port ${MERGED_METRICS_PORT} of ${label(target.service ?? target.workload.object)}` }, rawJobTarget(job));
          continue;
        }
        if (!job.entry.job.enableHttp2) continue;
        const where = target.service && target.servicePort ? label(target.service) : `${label(target.workload.object)} (no Service declares the port)`;
        const port = target.servicePort ? describePort(target.servicePort) : String(target.port);
        if ((!target.servicePort || !isIstioHttpPort(target.servicePort)) && first(`${port} ${where}`))
          ctx.report('MONITOR_PORT_PROTOCOL', { endpoint: job.label, port, service: where }, rawJobTarget(job));
      }
    }
    const monitors = (await loadMonitors(ctx)).filter((monitor) => httpsEndpointsOf(monitor).size);
    await judgeMonitorTargets(ctx, monitors, (monitor, resolved) => {
      const httpsEndpoints = httpsEndpointsOf(monitor);
      const subject = ctx.subjectOf(monitor);
      const first = onceEach();
      const protocol = (endpoint: string, port: string, where: string) => {
        if (first(`protocol ${endpoint} ${port} ${where}`)) ctx.report('MONITOR_PORT_PROTOCOL', { endpoint, port, service: where }, { subject });
      };
      const merged = (endpoint: string, owner: KubeObject) => {
        if (first(`merged ${endpoint}`)) ctx.report('MONITOR_MERGED_METRICS_PORT', { endpoint, port: `port ${MERGED_METRICS_PORT} of ${label(owner)}` }, { subject });
      };

      for (const { endpoint, service, servicePort } of resolved.servicePorts) {
        if (!httpsEndpoints.has(endpoint.path)) continue;
        // the scrape lands on the pod port the Service port targets (its own number when it names none)
        if ((servicePort.targetPort ?? servicePort.port) === MERGED_METRICS_PORT) merged(endpoint.path, service);
        else if (endpoint.endpoint.enableHttp2 !== false && !isIstioHttpPort(servicePort)) protocol(endpoint.path, describePort(servicePort), label(service));
      }
      for (const target of resolved.targets) {
        const endpoint = target.endpoint;
        if (!httpsEndpoints.has(endpoint.path)) continue;
        if (target.port === MERGED_METRICS_PORT) {
          merged(endpoint.path, target.service ?? target.workload.object);
          continue;
        }
        // ServiceMonitor ports were judged above; a PodMonitor's are judged by the Service that exposes them.
        if (resolved.kind !== 'Pod' || endpoint.endpoint.enableHttp2 === false || target.port === undefined) continue;
        // A pod port that no Service declares has no protocol for Istio: it is sniffed, as an unnamed port.
        if (!target.service || !target.servicePort) protocol(endpoint.path, String(target.port), `${label(target.workload.object)} (no Service declares the port)`);
        else if (!isIstioHttpPort(target.servicePort)) protocol(endpoint.path, describePort(target.servicePort), label(target.service));
      }
    });
  },
});
