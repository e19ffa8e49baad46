/**
 * -S/--suppress CODE[=KIND/NS/NAME]: drop findings of CODE (a glob), optionally only for subjects
 * matching KIND/NS/NAME (globs; for cluster-scoped subjects KIND/NAME), as istioctl analyze -S does.
 */
import { globToRegExp } from './glob.js';
import { UsageError } from './errors.js';
import type { Finding } from './types.js';

interface Suppression {
  code: RegExp;
  subject?: RegExp;
}

export function parseSuppressions(specs: readonly string[]): Suppression[] {
  return specs.map((spec) => {
    const [code, subject, ...rest] = spec.split('=');
    if (!code || rest.length) throw new UsageError(`--suppress ${spec}: expected CODE or CODE=KIND/NAMESPACE/NAME`);
    return { code: globToRegExp(code), subject: subject ? globToRegExp(subject) : undefined };
  });
}

export function applySuppressions(findings: readonly Finding[], suppressions: readonly Suppression[]): Finding[] {
  if (!suppressions.length) return [...findings];
  return findings.filter((f) => !suppressions.some((s) => s.code.test(f.code) && (!s.subject || s.subject.test(subjectKey(f)))));
}

function subjectKey(f: Finding): string {
  const { kind, namespace, name } = f.subject;
  return [kind, namespace, name ?? f.subject.endpoint ?? f.subject.path].filter((p) => p !== undefined).join('/');
}
