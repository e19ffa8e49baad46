// Placeholder until the cluster source lands (issue 4): cluster mode provides nothing yet.
import type { DoctorOptions } from '../../core/options.js';
import type { Providers, ResourceStore } from '../../core/resources.js';

export async function clusterProviders(_options: DoctorOptions, _store: ResourceStore): Promise<Providers> {
  return {};
}
