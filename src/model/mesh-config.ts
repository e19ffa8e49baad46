/**
 * Mesh-wide defaults that shape every injected pod, where the inputs show them: the mesh config
 * (ConfigMap `istio` or `istio-<revision>`, key `mesh`), the injector's values (ConfigMap
 * `istio-sidecar-injector[-<revision>]`, key `values`) and an IstioOperator's spec.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from './k8s.js';
import { nameOf, namespaceOf } from './k8s.js';

export interface MeshDefault<T> {
  value: T;
  /** where it is set, in the user's terms */
  source: string;
}

function parsed(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value = parseYaml(text, { version: '1.1' }) as unknown; // YAML 1.1, as Istio's go-yaml reads it (JSON is YAML)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function at(object: unknown, path: string[]): unknown {
  let value = object;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** Every place among the inputs that sets the mesh-wide holdApplicationUntilProxyStarts. */
function holdSettings(objects: readonly KubeObject[]): MeshDefault<boolean>[] {
  const found: MeshDefault<boolean>[] = [];
  const add = (value: unknown, source: string) => {
    if (typeof value === 'boolean') found.push({ value, source });
  };
  for (const o of objects) {
    const where = `${o.kind} ${namespaceOf(o)}/${nameOf(o)}`;
    if (o.kind === 'ConfigMap') {
      const data = (o.data ?? {}) as Record<string, unknown>;
      if (/^istio(-.+)?$/.test(nameOf(o)) && data.mesh !== undefined)
        add(at(parsed(data.mesh), ['defaultConfig', 'holdApplicationUntilProxyStarts']), `${where} (mesh: defaultConfig.holdApplicationUntilProxyStarts)`);
      if (/^istio-sidecar-injector(-.+)?$/.test(nameOf(o)) && data.values !== undefined)
        add(at(parsed(data.values), ['global', 'proxy', 'holdApplicationUntilProxyStarts']), `${where} (values: global.proxy.holdApplicationUntilProxyStarts)`);
    } else if (o.kind === 'IstioOperator') {
      add(at(o.spec, ['meshConfig', 'defaultConfig', 'holdApplicationUntilProxyStarts']), `${where} (spec.meshConfig.defaultConfig.holdApplicationUntilProxyStarts)`);
      add(at(o.spec, ['values', 'global', 'proxy', 'holdApplicationUntilProxyStarts']), `${where} (spec.values.global.proxy.holdApplicationUntilProxyStarts)`);
    }
  }
  return found;
}

/** The mesh default of holdApplicationUntilProxyStarts, when the inputs set it: on wherever one place turns it on. */
export function meshHoldDefault(objects: readonly KubeObject[]): MeshDefault<boolean> | undefined {
  const settings = holdSettings(objects);
  return settings.find((s) => s.value) ?? settings[0];
}
