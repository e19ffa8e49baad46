/**
 * --plugin MODULE: extra checks written with the same defineCheck, loaded beside the built-in ones
 * (a file path, or a package name resolved from the working directory). A module exports a check
 * or a list of checks as `default` (or `checks`). Plug-in checks report codes of the catalogue, so
 * their findings keep the contract's shape, severities and docs anchors.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Check } from './check.js';
import { UsageError, oneLine } from './errors.js';
import { validateRegistry } from './registry.js';

function looksLikeCheck(value: unknown): value is Check {
  const c = value as Partial<Check> | null;
  return typeof c === 'object' && c !== null && typeof c.id === 'string' && typeof c.title === 'string' && typeof c.category === 'string'
    && Array.isArray(c.codes) && Array.isArray(c.needs) && typeof c.run === 'function';
}

export async function loadPlugins(specs: readonly string[], builtIn: readonly Check[], cwd = process.cwd()): Promise<Check[]> {
  const loaded: Check[] = [];
  for (const spec of specs) {
    const url = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(cwd, spec)).href : spec;
    let module: { default?: unknown; checks?: unknown };
    try {
      module = (await import(url)) as typeof module;
    } catch (error) {
      throw new UsageError(`--plugin ${spec}: cannot be loaded: ${oneLine(error)}`);
    }
    const exported = module.default ?? module.checks;
    const checks = Array.isArray(exported) ? exported : [exported];
    const bad = checks.findIndex((c) => !looksLikeCheck(c));
    if (bad >= 0 || !checks.length) throw new UsageError(`--plugin ${spec}: export a check made with defineCheck (or a list of them) as default`);
    loaded.push(...(checks as Check[]));
  }
  try {
    validateRegistry([...builtIn, ...loaded]);
  } catch (error) {
    throw new UsageError(`--plugin: ${oneLine(error)}`);
  }
  return loaded;
}
