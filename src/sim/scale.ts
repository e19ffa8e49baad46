/**
 * The `scale` scenario: the healthy mesh with N pods (`scale-30`, `scale-3000`), generated rather
 * than stored, for request-count and timing tests. Pods are spread over Deployments of at most 100
 * replicas behind one Service each, as a real fleet of workloads would be. `scale-<N>-<T>` makes only
 * the Services of the first T pods scrape targets (a mesh where most pods are not scraped).
 */
import type { KubeObject } from '../model/k8s.js';
import { loadScenario, type Scenario } from './scenario.js';

const PER_DEPLOYMENT = 100;

export async function scaleScenario(pods: number, targets = pods): Promise<Scenario> {
  if (!Number.isInteger(pods) || pods < 1 || pods > 50_000) throw new Error(`scale-<N>: N must be a whole number from 1 to 50000, not ${pods}`);
  if (!Number.isInteger(targets) || targets < 0 || targets > pods) throw new Error(`scale-<N>-<T>: T must be a whole number from 0 to N, not ${targets}`);
  const healthy = await loadScenario('healthy');
  const template = healthy.objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'orders')!;
  const objects: KubeObject[] = healthy.objects.filter((o) => !(o.metadata?.namespace === 'shop' && ['Deployment', 'Service', 'ServiceAccount'].includes(o.kind ?? '')));
  const deployments = Math.ceil(pods / PER_DEPLOYMENT);
  for (let i = 0; i < deployments; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    const replicas = Math.min(PER_DEPLOYMENT, pods - i * PER_DEPLOYMENT);
    const deployment = structuredClone(template) as KubeObject & { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string } } } };
    deployment.metadata = { name, namespace: 'shop', labels: { app: name } };
    deployment.spec.replicas = replicas;
    deployment.spec.selector.matchLabels = { app: name };
    deployment.spec.template.metadata.labels = { app: name, version: 'v1' };
    deployment.spec.template.spec.serviceAccountName = name;
    objects.push(
      deployment,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'shop' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop', labels: { app: name, ...(i * PER_DEPLOYMENT < targets ? { metrics: 'enabled' } : {}) } }, spec: { selector: { app: name }, ports: [{ name: 'http-metrics', port: 8080, targetPort: 'http-metrics' }] } } as KubeObject,
    );
  }
  const name = targets === pods ? `scale-${pods}` : `scale-${pods}-${targets}`;
  return { ...healthy, name, description: `the healthy mesh with ${pods} pods, ${targets} of them scrape targets`, objects };
}
