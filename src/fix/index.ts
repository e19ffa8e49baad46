/**
 * `--fix`: for each finding, the patch that fixes it on the object the user owns, proven in the run.
 * Fixes are computed in report order, each on the inventory with the fixes before it applied (so the
 * printed commands, applied in order, compose); each is applied to a copy of the inventory and the
 * prometheus.* and monitors.* checks run again on it: `verified` when the finding is gone and no new
 * error appeared. Nothing is ever written to a cluster; with `--fix-dir` the -f files' patched
 * copies are written there.
 */
import type { Check } from '../core/check.js';
import type { DoctorOptions } from '../core/options.js';
import type { ResourceStore } from '../core/resources.js';
import { runChecks } from '../core/runner.js';
import type { CheckResult, Finding, Mode } from '../core/types.js';
import type { KubeObject } from '../model/k8s.js';
import { nameOf, namespaceOf } from '../model/k8s.js';
import { appendObjects, editFile, readText, writeFixDir, type ObjectEdit } from './files.js';
import { FixInventory, sameObject } from './inventory.js';
import { kubectlApply, kubectlPatch } from './kubectl.js';
import { applyPatch } from './patch.js';
import { isManualResult } from './recipes/common.js';
import { fixOf } from './table.js';
import type { FindingFix, MechanicalFix } from './types.js';

export type { FindingFix, MechanicalFix, ManualFix } from './types.js';

/** The categories whose checks judge the inventory alone, and so can be run again on a patched copy. */
const RERUN_CATEGORIES = new Set(['prometheus', 'monitors']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/** Which finding this is, across runs: code, subject, and the endpoint or field it names. */
function identity(f: Finding): string {
  const e = f.evidence;
  return [f.code, f.subject.kind, f.subject.namespace ?? '', f.subject.name ?? f.subject.endpoint ?? '', e.endpoint ?? '', e.field ?? '', e.volume ?? ''].join('|');
}

const objectKey = (o: KubeObject) => `${o.kind}|${CLUSTER_SCOPED.has(o.kind ?? '') ? '' : namespaceOf(o)}|${nameOf(o)}`;

export interface FixRun {
  findings: Finding[];
  checks: readonly CheckResult[];
  store: ResourceStore;
  allChecks: readonly Check[];
  options: DoctorOptions;
  mode: Mode;
}

export async function attachFixes(run: FixRun): Promise<void> {
  const { options, mode } = run;
  const base = await FixInventory.from(run.store);
  const selected = new Set(run.checks.filter((c) => RERUN_CATEGORIES.has(c.category)).map((c) => c.id));
  const rerunChecks = run.allChecks.filter((c) => selected.has(c.id));
  const rerun = async (inv: FixInventory): Promise<Finding[]> => {
    if (!rerunChecks.length) return [];
    const result = await runChecks(rerunChecks, inv.store(), {
      now: options.now ?? new Date(), timeoutMs: options.timeoutMs, concurrency: options.concurrency, verbose: false,
      only: [], skip: [], deadlineMs: options.deadlineMs,
    });
    return result.findings;
  };

  /** the objects as patched so far (written form), by kind|namespace|name, and new ones */
  const patched = new Map<string, { original: KubeObject; written: KubeObject }>();
  const created: KubeObject[] = [];
  const inventoryWith = (extra?: { original: KubeObject; written: KubeObject }, extraCreated: KubeObject[] = []) => {
    const map = new Map([...patched.values()].map((p) => [p.original, p.written]));
    if (extra) map.set(extra.original, extra.written);
    return base.patched(map, [...created, ...extraCreated]);
  };
  let current = base;
  let previous = run.findings.filter((f) => selected.has(f.check));
  /** which fix made a finding disappear (a later finding already fixed reuses it) */
  const fixedBy = new Map<string, MechanicalFix>();

  for (const finding of run.findings) {
    const recipe = fixOf(finding.code, finding.subject.kind);
    // info findings (TARGET_OK, …) get a fix only where there is one to give (INBOUND_CAPTURED)
    if (!recipe || (finding.severity === 'info' && 'manual' in recipe)) continue;
    if ('manual' in recipe) {
      finding.fix = { manual: true, reason: recipe.manual };
      continue;
    }
    const earlier = fixedBy.get(identity(finding));
    if (earlier && !previous.some((f) => identity(f) === identity(finding))) {
      finding.fix = { ...earlier, remaining: [] };
      continue;
    }
    let proposal: ReturnType<typeof recipe>;
    try {
      proposal = recipe({ finding, inv: current });
    } catch (error) {
      // a fix that cannot be computed must not cost the report: say so, as for a manual one
      finding.fix = { manual: true, reason: `no fix could be computed: ${(error as Error).message}` };
      continue;
    }
    if (isManualResult(proposal)) {
      finding.fix = { manual: true, reason: proposal.manual };
      continue;
    }
    let fix: MechanicalFix;
    let next: FixInventory;
    let change: { original: KubeObject; written: KubeObject } | undefined;
    let fresh: KubeObject[] = [];
    try {
      if ('create' in proposal) {
        fresh = proposal.create;
        next = inventoryWith(undefined, fresh);
        const first = fresh[0]!;
        fix = {
          target: { kind: first.kind!, ...(CLUSTER_SCOPED.has(first.kind!) ? {} : { namespace: namespaceOf(first) }), name: nameOf(first) },
          patchType: 'merge', patch: fresh.length === 1 ? first : { apiVersion: 'v1', kind: 'List', items: fresh },
          kubectl: kubectlApply(fresh), verified: false, remaining: [], create: true,
        };
      } else {
        const key = objectKey(proposal.target);
        const original = patched.get(key)?.original ?? base.userObjects().find((o) => objectKey(o) === key) ?? proposal.target;
        const before = patched.get(key)?.written ?? current.asWritten(proposal.target);
        change = { original, written: applyPatch(before, proposal.patchType, proposal.patch) };
        next = inventoryWith(change);
        const where = current.locations.get(proposal.target);
        const target = {
          kind: proposal.target.kind!, ...(CLUSTER_SCOPED.has(proposal.target.kind!) ? {} : { namespace: namespaceOf(proposal.target) }), name: nameOf(proposal.target),
          ...(where ? { file: where.file, line: where.line } : {}),
        };
        fix = {
          target, patchType: proposal.patchType, patch: proposal.patch, kubectl: kubectlPatch(target, proposal.patchType, proposal.patch),
          verified: false, remaining: [],
          ...(mode === 'cluster' && proposal.restart ? { restart: proposal.restart } : {}),
        };
        if (where && where.file !== '-') {
          // the region is the document in the file as it is; its text, the document with every fix so far
          const edit = safeEdit(readText(where.file), where.file, [{ line: where.line, before: base.asWritten(original), after: change.written }])?.edits[0];
          if (edit) fix.edit = edit;
        }
      }
    } catch (error) {
      finding.fix = { manual: true, reason: `the patch does not apply: ${(error as Error).message}` };
      continue;
    }
    const after = await rerun(next);
    const gone = !after.some((f) => identity(f) === identity(finding));
    const before = new Set(previous.map(identity));
    const newErrors = after.filter((f) => f.severity === 'error' && !before.has(identity(f)));
    fix.verified = gone && newErrors.length === 0;
    fix.remaining = [...new Set([...(gone ? [] : [finding.code]), ...newErrors.map((f) => f.code)])];
    finding.fix = fix;
    const afterIds = new Set(after.map(identity));
    for (const f of previous) if (!afterIds.has(identity(f))) fixedBy.set(identity(f), fix);
    // Later fixes build on this one, as the printed commands do when applied in order.
    if (change) patched.set(objectKey(change.original), change);
    created.push(...fresh);
    current = next;
    previous = after;
  }

  if (options.fixDir) writeFixDir(options.fixDir, patchedFiles(base, [...patched.values()], created));
}

/** Each -f file with every fix applied, new objects appended. */
function patchedFiles(base: FixInventory, changes: { original: KubeObject; written: KubeObject }[], created: KubeObject[]): Map<string, string> {
  const byFile = new Map<string, ObjectEdit[]>();
  for (const { original, written } of changes) {
    const where = base.locations.get(original);
    if (!where || where.file === '-') continue;
    (byFile.get(where.file) ?? byFile.set(where.file, []).get(where.file)!).push({ line: where.line, before: base.asWritten(original), after: written });
  }
  const texts = new Map<string, string>();
  for (const [file, edits] of byFile) {
    const text = readText(file);
    texts.set(file, safeEdit(text, file, edits)?.text ?? text);
  }
  if (created.length) appendToFile(created, texts, (file) => texts.get(file) ?? readText(file), base);
  return texts;
}

function safeEdit(text: string, file: string, edits: ObjectEdit[]) {
  try {
    return editFile(text, file, edits);
  } catch {
    return undefined;
  }
}

/** New objects go into the file of the Prometheus resource they serve (its service account's namespace). */
function appendToFile(objects: KubeObject[], texts: Map<string, string>, textOf: (file: string) => string, inv: FixInventory): void {
  const binding = objects.find((o) => Array.isArray(o.subjects));
  const sa = (binding?.subjects as { namespace?: string }[] | undefined)?.[0];
  const home = (inv.get('prometheusResources') ?? []).find((p) => namespaceOf(p) === sa?.namespace) ?? inv.get('prometheusResources')?.[0];
  const where = home ? inv.locations.get(home) : undefined;
  if (!where || where.file === '-') return;
  texts.set(where.file, appendObjects(textOf(where.file), objects));
}

export { sameObject };
