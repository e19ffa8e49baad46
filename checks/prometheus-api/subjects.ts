/** Subjects shared by the prometheus-api checks: the Prometheus a view belongs to, and scrape jobs. */
import type { CheckContext } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import type { Subject } from '../../src/core/types.js';
import type { Monitor } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { monitorOfJob, type PrometheusView } from '../../src/probes/prometheus-api.js';

/** The Prometheus resource or pod of a view, or its API address when only --prometheus-url is known. */
export function viewSubject(ctx: CheckContext, view: PrometheusView): Subject {
  return view.prometheus ? ctx.subjectOf(view.prometheus) : { kind: 'PrometheusAPI', name: view.source };
}

/** The program whose view it is, for messages: Prometheus, vmagent or Alloy. */
export function scraperName(view: PrometheusView): string {
  return view.scraper ?? 'Prometheus';
}

/** Names the Prometheus in evidence: `Prometheus monitoring/k8s` or the URL. */
export function viewLabel(view: PrometheusView): string {
  return view.prometheus ? `${view.prometheus.kind} ${namespaceOf(view.prometheus)}/${nameOf(view.prometheus)}` : view.source;
}

/**
 * A job's subject: its monitor (with file:line when the monitor is among the inputs) for the
 * operator's `serviceMonitor/<ns>/<name>/<i>` jobs, else the job itself.
 */
export function jobSubject(ctx: CheckContext, job: string, monitors: readonly Monitor[]): Subject {
  const ref = monitorOfJob(job);
  if (!ref) return { kind: 'ScrapeJob', name: job };
  const known = monitors.find((m) => m.kind === ref.kind && namespaceOf(m) === ref.namespace && nameOf(m) === ref.name);
  return known ? ctx.subjectOf(known) : { kind: ref.kind, namespace: ref.namespace, name: ref.name };
}

/**
 * The views whose `parts` were read. None at all is Unavailable: a check that judged nothing is
 * skipped (PROMETHEUS_API_UNREACHABLE says why), never a pass that says every target is up.
 */
export function readableViews<K extends 'activeTargets' | 'jobs'>(views: readonly PrometheusView[], ...parts: K[]): (PrometheusView & Required<Pick<PrometheusView, K>>)[] {
  if (!views.length) throw new Unavailable('no running Prometheus pod whose HTTP API could be asked');
  const readable = views.filter((v): v is PrometheusView & Required<Pick<PrometheusView, K>> => parts.every((p) => v[p] !== undefined));
  if (!readable.length) throw new Unavailable("Prometheus's HTTP API could not be read (see PROMETHEUS_API_UNREACHABLE)");
  return readable;
}
