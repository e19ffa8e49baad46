/** Label selectors (three-valued) and the operator's rules for which monitors a Prometheus selects. */
import { describe, expect, it } from 'vitest';
import type { KubeObject, LabelSelector, Monitor, PrometheusResource } from '../src/model/k8s.js';
import {
  allOf, describeSelector, inMonitorNamespaces, matchesLabels, monitorNamespaces, namespaceLabels, prometheusSelects, selectorMatches,
} from '../src/model/selectors.js';

const labels = { app: 'web', tier: 'front' };

describe('selectorMatches', () => {
  it.each<[string, LabelSelector, boolean]>([
    ['{} matches everything', {}, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels differ', { matchLabels: { app: 'db' } }, false],
    ['matchLabels on a missing key', { matchLabels: { team: 'a' } }, false],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    ['In, not listed', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }, true],
    ['NotIn, listed', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    ['NotIn on a missing key holds', { matchExpressions: [{ key: 'legacy', operator: 'NotIn', values: ['yes'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['Exists, missing', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['matchLabels AND matchExpressions', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
    ['an unknown operator selects nothing', { matchExpressions: [{ key: 'app', operator: 'in', values: ['web'] }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(matchesLabels(selector, labels)).toBe(expected);
  });

  it('is unknown, not false, on labels it cannot see', () => {
    const partial = { labels: { 'kubernetes.io/metadata.name': 'apps' }, complete: false };
    expect(selectorMatches({ matchLabels: { monitoring: 'on' } }, partial)).toBe('unknown');
    expect(selectorMatches({ matchLabels: { 'kubernetes.io/metadata.name': 'apps' } }, partial)).toBe(true);
    expect(selectorMatches({ matchLabels: { 'kubernetes.io/metadata.name': 'other', monitoring: 'on' } }, partial)).toBe(false);
  });

  it('combines three-valued terms with AND', () => {
    expect(allOf([true, 'unknown'])).toBe('unknown');
    expect(allOf(['unknown', false])).toBe(false);
  });
});

describe('describeSelector', () => {
  it.each<[LabelSelector | null | undefined, string]>([
    [undefined, '<nothing>'],
    [{}, '<everything>'],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 't', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'Exists' }, { key: 'y', operator: 'DoesNotExist' }] }, 'app=web,t in (a,b),x,!y'],
  ])('%j → %s', (selector, text) => expect(describeSelector(selector)).toBe(text));
});

describe('namespaceLabels', () => {
  const namespaces: KubeObject[] = [{ kind: 'Namespace', metadata: { name: 'apps', labels: { team: 'a' } } }];
  it('adds the name label Kubernetes always sets', () => {
    expect(namespaceLabels('apps', namespaces)).toEqual({ labels: { team: 'a', 'kubernetes.io/metadata.name': 'apps' }, complete: true });
  });
  it('knows only the name of a namespace not among the inputs', () => {
    expect(namespaceLabels('other', namespaces)).toEqual({ labels: { 'kubernetes.io/metadata.name': 'other' }, complete: false });
  });
});

describe('prometheusSelects', () => {
  const monitor: Monitor = { kind: 'ServiceMonitor', metadata: { name: 'web', namespace: 'apps', labels: { team: 'apps' } } };
  const prometheus = (spec: PrometheusResource['spec']): PrometheusResource => ({ kind: 'Prometheus', metadata: { name: 'k8s', namespace: 'monitoring' }, spec });
  const namespaces: KubeObject[] = [{ kind: 'Namespace', metadata: { name: 'apps', labels: { monitored: 'yes' } } }];

  it.each<[string, PrometheusResource['spec'], boolean | 'unknown']>([
    ['no monitor selector: nothing', { serviceMonitorNamespaceSelector: {} }, false],
    ['null monitor selector: nothing', { serviceMonitorSelector: null, serviceMonitorNamespaceSelector: {} }, false],
    ['{} selector, {} namespaces: everything', { serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: {} }, true],
    ['no namespace selector: only its own namespace', { serviceMonitorSelector: {} }, false],
    ['namespace selector on Namespace labels', { serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: { matchLabels: { monitored: 'yes' } } }, true],
    ['namespace selector not matching', { serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: { matchLabels: { monitored: 'no' } } }, false],
    ['by name label', { serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } } }, true],
    ['the podMonitorSelector does not select ServiceMonitors', { podMonitorSelector: {}, serviceMonitorNamespaceSelector: {} }, false],
  ])('%s', (_name, spec, expected) => {
    expect(prometheusSelects(prometheus(spec), monitor, namespaces).selected).toBe(expected);
  });

  it('is unknown when the namespace labels it needs are not known', () => {
    const selection = prometheusSelects(prometheus({ serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: { matchLabels: { monitored: 'yes' } } }), monitor, []);
    expect(selection.selected).toBe('unknown');
  });

  it('says why not', () => {
    expect(prometheusSelects(prometheus({ serviceMonitorSelector: { matchLabels: { team: 'db' } } }), monitor).reason)
      .toBe("Prometheus monitoring/k8s's serviceMonitorSelector team=db does not match the labels team=apps");
  });
});

describe('monitorNamespaces', () => {
  const monitor = (namespaceSelector?: { any?: boolean; matchNames?: string[] }): Monitor =>
    ({ kind: 'ServiceMonitor', metadata: { name: 'm', namespace: 'apps' }, spec: { namespaceSelector } });
  it('defaults to its own namespace', () => expect(monitorNamespaces(monitor())).toEqual({ any: false, names: ['apps'] }));
  it('lists matchNames', () => expect(monitorNamespaces(monitor({ matchNames: ['a', 'b'] }))).toEqual({ any: false, names: ['a', 'b'] }));
  it('takes any: true as every namespace', () => expect(inMonitorNamespaces(monitor({ any: true }), 'elsewhere')).toBe(true));
});
