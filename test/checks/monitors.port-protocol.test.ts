/** monitors.port-protocol beyond the fixture grid: one finding per endpoint and port, however many ways lead to it. */
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../src/cli/parse.js';
import { runDoctor } from '../../src/index.js';

const fixture = (name: string) => new URL(`./monitors.port-protocol/${name}`, import.meta.url).pathname;
const findings = async (name: string) =>
  (await runDoctor(parseDoctorArgs(['-f', fixture(name), '--only', 'monitors.port-protocol'])))
    .findings.filter((f) => f.check === 'monitors.port-protocol')
    .map((f) => `${f.code} ${f.subject.kind}/${f.subject.namespace ?? ''}/${f.subject.name}: ${f.message.split(',')[0]}`)
    .sort();

describe('monitors.port-protocol findings', () => {
  it('reports the merged-metrics port once per endpoint, though both its Service port and its pod port lead there', async () => {
    expect(await findings('fail-merged-metrics.yaml')).toEqual([
      'MONITOR_MERGED_METRICS_PORT PodMonitor/bookinfo/reviews: podMetricsEndpoints[0] uses https toward port 15020 of Deployment bookinfo/reviews',
      'MONITOR_MERGED_METRICS_PORT ServiceMonitor/bookinfo/productpage: endpoints[0] uses https toward port 15020 of Service bookinfo/productpage',
    ]);
  });

  it('reports each raw job once, with the port and the Service (or workload) it reaches', async () => {
    expect(await findings('fail-raw-jobs.yaml')).toEqual([
      'MONITOR_MERGED_METRICS_PORT ScrapeJob//kubernetes-pods: job "kubernetes-pods" uses https toward port 15020 of Deployment bookinfo/reviews',
      'MONITOR_PORT_PROTOCOL ScrapeJob//bookinfo-endpoints: job "bookinfo-endpoints" scrapes port "tcp-metrics" of Service bookinfo/reviews',
      'MONITOR_PORT_PROTOCOL ScrapeJob//bookinfo-pods: job "bookinfo-pods" scrapes port 9090 of Deployment bookinfo/ratings (no Service declares the port)',
    ]);
  });

  it('reports each port once per monitor, endpoint or job, however many replicas lead to it', async () => {
    expect(await findings('fail-repeated-ports.yaml')).toEqual([
      'MONITOR_MERGED_METRICS_PORT ServiceMonitor/bookinfo/productpage: endpoints[0] uses https toward port 15020 of Service bookinfo/productpage',
      'MONITOR_MERGED_METRICS_PORT ServiceMonitor/bookinfo/productpage: endpoints[1] uses https toward port 15020 of Service bookinfo/productpage',
      'MONITOR_PORT_PROTOCOL PodMonitor/bookinfo/reviews: podMetricsEndpoints[0] scrapes port "tcp-admin" of Service bookinfo/reviews',
      'MONITOR_PORT_PROTOCOL PodMonitor/bookinfo/reviews: podMetricsEndpoints[0] scrapes port "tcp-metrics" of Service bookinfo/reviews',
      'MONITOR_PORT_PROTOCOL ScrapeJob//reviews-endpoints: job "reviews-endpoints" scrapes port "tcp-admin" of Service bookinfo/reviews',
      'MONITOR_PORT_PROTOCOL ScrapeJob//reviews-endpoints: job "reviews-endpoints" scrapes port "tcp-metrics" of Service bookinfo/reviews',
    ]);
  });

  it('judges a raw job\'s target only where it has a port, and describes a Service port by name, number, or as unnamed', async () => {
    expect(await findings('fail-portless-service-ports.yaml')).toEqual([
      'MONITOR_PORT_PROTOCOL ScrapeJob//ratings-service: job "ratings-service" scrapes port (unnamed) of Service bookinfo/ratings',
    ]);
  });

  it('judges a ServiceMonitor port by the pod port its Service port targets: 15020 is the merged-metrics port only where the scrape lands', async () => {
    expect(await findings('fail-service-port-15020.yaml')).toEqual([
      'MONITOR_MERGED_METRICS_PORT ServiceMonitor/bookinfo/details: endpoints[0] uses https toward port 15020 of Service bookinfo/details',
      'MONITOR_PORT_PROTOCOL ServiceMonitor/bookinfo/ratings: endpoints[0] scrapes port "tcp-metrics" of Service bookinfo/ratings',
    ]);
  });

  it('reports a PodMonitor port once, by its Service port when one declares it', async () => {
    expect(await findings('fail-pod-monitor-ports.yaml')).toEqual([
      'MONITOR_PORT_PROTOCOL PodMonitor/bookinfo/details: podMetricsEndpoints[0] scrapes port 9080 of Service bookinfo/details',
      'MONITOR_PORT_PROTOCOL PodMonitor/bookinfo/ratings: podMetricsEndpoints[0] scrapes port 9090 of Deployment bookinfo/ratings (no Service declares the port)',
      'MONITOR_PORT_PROTOCOL PodMonitor/bookinfo/reviews: podMetricsEndpoints[0] scrapes port "tcp-metrics" of Service bookinfo/reviews',
    ]);
  });
});
