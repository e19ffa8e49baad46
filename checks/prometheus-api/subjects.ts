/** Subjects shared by the prometheus-api checks: the Prometheus a view belongs to, and scrape jobs. */
import type { CheckContext } from '../../src/core/check.js';
import type { Subject } from '../../src/core/types.js';
import type { Monitor } from '../../src/model/k8s.js';
import { nameOf, namespaceOf } from '../../src/model/k8s.js';
import { monitorOfJob, type PrometheusView } from '../../src/probes/prometheus-api.js';

/** The Prometheus resource or pod of a view, or its API address when only --prometheus-url is known. */
export function viewSubject(ctx: CheckContext, view: PrometheusView): Subject {
  return view.prometheus ? ctx.subjectOf(view.prometheus) : { kind: 'PrometheusAPI', name: view.source };
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
