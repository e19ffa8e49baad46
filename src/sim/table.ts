/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which `kubectl get`
 * asks for when no `-o` is given: a minimal meta.k8s.io/v1 Table, with the columns kubectl shows
 * for pods and NAME/AGE for everything else. Rows carry the object's metadata so that kubectl can
 * add the NAMESPACE column for `-A`.
 */
import type { IncomingMessage } from 'node:http';
import type { KubeObject, Pod } from '../model/k8s.js';
import type { ApiResource } from './discovery.js';

export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return /as=Table/.test(accept.split(',')[0] ?? '');
}

function age(o: KubeObject): string {
  const created = Date.parse(String(o.metadata?.creationTimestamp ?? ''));
  if (Number.isNaN(created)) return '<unknown>';
  const minutes = Math.max(0, Math.floor((Date.now() - created) / 60_000));
  return minutes < 60 ? `${minutes}m` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)}h` : `${Math.floor(minutes / 1440)}d`;
}

const column = (name: string, type = 'string', format = '') => ({ name, type, format, description: '', priority: 0 });

function podCells(pod: Pod): unknown[] {
  const statuses = pod.status?.containerStatuses ?? [];
  const sidecars = ((pod.status as { initContainerStatuses?: { ready?: boolean; state?: { running?: unknown } }[] } | undefined)?.initContainerStatuses ?? []).filter((s) => s.state?.running);
  const all = [...statuses, ...sidecars];
  return [`${all.filter((s) => s.ready).length}/${all.length}`, pod.status?.phase ?? 'Unknown', 0];
}

export function toTable(resource: ApiResource, items: KubeObject[], metadata: Record<string, unknown>): object {
  const isPod = resource.kind === 'Pod';
  const columnDefinitions = [
    column('Name', 'string', 'name'),
    ...(isPod ? [column('Ready'), column('Status'), column('Restarts', 'string')] : []),
    column('Age'),
  ];
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions,
    rows: items.map((o) => ({
      cells: [o.metadata?.name, ...(isPod ? podCells(o as Pod) : []), age(o)],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
