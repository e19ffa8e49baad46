/**
 * The strategic merge patch the doctor applies to its copy of the inventory is the one kubectl
 * applies: random pod templates and patches (containers, volumes, mounts, env, maps with deletions),
 * each compared with `kubectl patch --local --type strategic`. Fixed seed.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkProperty } from './helpers/property.js';
import { expect, it } from 'vitest';
import { strategicMergePatch } from '../src/fix/patch.js';
import { tempDir } from './helpers/tmp.js';

const work = tempDir('asm-prom-smp-');

const name = fc.constantFrom('a', 'b', 'c', 'd');
const path = fc.constantFrom('/p', '/q', '/r', '/s');
const mount = fc.record({ name, mountPath: path });
const env = fc.record({ name: fc.constantFrom('X', 'Y', 'Z'), value: fc.constantFrom('1', '2') });
const uniqueBy = <T>(arb: fc.Arbitrary<T>, key: (t: T) => string) => fc.uniqueArray(arb, { selector: key, maxLength: 3 });
const container = fc.record({ name, image: fc.constantFrom('img:1', 'img:2'), volumeMounts: uniqueBy(mount, (m) => m.mountPath), env: uniqueBy(env, (e) => e.name) }, { requiredKeys: ['name'] });
const volume = fc.record({ name, emptyDir: fc.constantFrom({}, { medium: 'Memory' }) });
const annotations = fc.dictionary(fc.constantFrom('k1', 'k2', 'k3'), fc.constantFrom('v1', 'v2'), { maxKeys: 3 });
const template = fc.record({
  metadata: fc.record({ labels: fc.constant({ app: 'p' }), annotations }),
  spec: fc.record({ containers: fc.uniqueArray(container, { selector: (c) => c.name, minLength: 1, maxLength: 3 }), volumes: uniqueBy(volume, (v) => v.name) }),
});
const patch = fc.record({
  metadata: fc.record({ annotations: fc.dictionary(fc.constantFrom('k1', 'k2', 'k3'), fc.constantFrom('v3', null), { maxKeys: 3 }) }),
  spec: fc.record({ containers: fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 2 }), volumes: uniqueBy(volume, (v) => v.name) }, { requiredKeys: [] }),
}, { requiredKeys: [] });

it('agrees with kubectl patch --type strategic on Deployments', () => {
  let n = 0;
  checkProperty('strategic merge patch = kubectl patch --type strategic', fc.property(template, patch, (tpl, p) => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'p', namespace: 'm' }, spec: { selector: { matchLabels: { app: 'p' } }, template: tpl } };
    const file = join(work, `d${n++}.json`);
    writeFileSync(file, JSON.stringify(deployment));
    const body = { spec: { template: p } };
    const real = JSON.parse(execFileSync('kubectl', ['patch', '--local', '-f', file, '--type', 'strategic', '-p', JSON.stringify(body), '-o', 'json'], { encoding: 'utf8' }));
    expect(normalise(strategicMergePatch(deployment, body))).toEqual(normalise(real));
  }), 25);
});

/** kubectl drops empty maps and lists it made empty (omitempty); compare without them. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(normalise) : undefined;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]) => [k, normalise(x)] as const).filter(([, x]) => x !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return v;
}
