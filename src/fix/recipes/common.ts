/** What every fix recipe gets and gives. */
import type { Finding } from '../../core/types.js';
import type { KubeObject } from '../../model/k8s.js';
import type { FixInventory } from '../inventory.js';
import type { PatchType } from '../patch.js';

export interface RecipeContext {
  finding: Finding;
  /** the inventory with the fixes before this one applied */
  inv: FixInventory;
}

/** A patch on an object of the inventory, or new objects to create. */
export type Proposal =
  | { target: KubeObject; patchType: PatchType; patch: unknown; restart?: string }
  | { create: KubeObject[] };

/** No safe mechanical fix here, and why. */
export interface Manual {
  manual: string;
}

export type Recipe = (ctx: RecipeContext) => Proposal | Manual;

export const manual = (reason: string): Manual => ({ manual: reason });
export const isManualResult = (r: Proposal | Manual): r is Manual => 'manual' in r;

/** The default folders of Istio's recipe (docs: "Prometheus with mTLS"). */
export const DEFAULT_OUTPUT_CERTS = '/etc/istio-output-certs';
export const DEFAULT_PROM_CERTS = '/etc/prom-certs/';
export const DEFAULT_CERTS_VOLUME = 'istio-certs';

export const evidenceString = (f: Finding, key: string): string | undefined => (typeof f.evidence[key] === 'string' ? (f.evidence[key] as string) : undefined);
