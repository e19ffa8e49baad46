/** Turns parsed flags into DoctorOptions, rejecting what CONTRACT.md calls a usage error (exit 2). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { DEFAULT_OPTIONS, parseDuration, type DoctorOptions, type ProbeMode } from '../core/options.js';
import { parseTargetSpec } from '../core/target-spec.js';
import type { FailOn } from '../core/types.js';
import { SCRAPER_KINDS, type ScraperKind } from '../model/scraper.js';

/** Flags that reach DoctorOptions under the same name and type. */
type SameAsOptions = 'offline' | 'kubeconfig' | 'context' | 'namespace' | 'prometheus' | 'certsDir' | 'meshRoot' | 'targetIdentity'
  | 'prometheusUrl' | 'only' | 'skip' | 'suppress' | 'verbose';

/** The doctor's flags as yargs parses them: the rest are text that toDoctorOptions checks and converts. */
export interface DoctorFlags extends Partial<Pick<DoctorOptions, SameAsOptions>> {
  filename?: string[];
  target?: string[];
  probe?: string;
  failOn?: string;
  timeout?: string;
  deadline?: string;
  now?: string;
  plugin?: string[];
  scraper?: string;
  /** text, so that a mistyped value is named as typed (yargs' number type turns `abc` into NaN) */
  concurrency?: string | number;
  allNamespaces?: boolean;
  fix?: boolean;
  fixDir?: string;
}

/** A path flag must name something that exists, of the right kind: --certs-dir a folder, --mesh-root and --kubeconfig files. */
const mustExist = (flag: string, path: string | undefined, kind?: 'file' | 'directory') => {
  if (path === undefined) return;
  if (path === '') throw new UsageError(`${flag}: expected a path`);
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such file or directory`);
  const isDirectory = statSync(path).isDirectory();
  if (kind === 'directory' && !isDirectory) throw new UsageError(`${flag} ${path}: not a directory`);
  if (kind === 'file' && isDirectory) throw new UsageError(`${flag} ${path}: is a directory, expected a file`);
};

const duration = (flag: string, text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} ${text}: expected a duration such as 5s, 500ms or 2m`);
  return ms;
};

export function toDoctorOptions(flags: DoctorFlags): DoctorOptions {
  const filenames = flags.filename ?? [];
  for (const f of filenames) if (f !== '-') mustExist('-f', f);
  mustExist('--certs-dir', flags.certsDir, 'directory');
  mustExist('--kubeconfig', flags.kubeconfig, 'file');
  mustExist('--mesh-root', flags.meshRoot, 'file');
  const targets = flags.target ?? [];
  targets.forEach(parseTargetSpec);
  if (flags.targetIdentity !== undefined && !/^spiffe:\/\/[^/]+\/.+/.test(flags.targetIdentity))
    throw new UsageError(`--target-identity ${flags.targetIdentity}: expected a SPIFFE ID, spiffe://<trust-domain>/ns/<ns>/sa/<sa>`);
  let now: Date | undefined;
  if (flags.now !== undefined) {
    now = new Date(flags.now);
    if (!/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(flags.now) || Number.isNaN(now.getTime()))
      throw new UsageError(`--now ${flags.now}: expected an RFC 3339 time, e.g. 2026-11-25T10:00:00Z`);
  }
  if (flags.prometheusUrl !== undefined && !/^https?:$/.test(URL.canParse(flags.prometheusUrl) ? new URL(flags.prometheusUrl).protocol : ''))
    throw new UsageError(`--prometheus-url ${flags.prometheusUrl}: expected an http:// or https:// URL`);
  const concurrencyText = String(flags.concurrency ?? DEFAULT_OPTIONS.concurrency).trim();
  if (!/^[0-9]+$/.test(concurrencyText) || Number(concurrencyText) < 1 || !Number.isSafeInteger(Number(concurrencyText)))
    throw new UsageError(`--concurrency${flags.concurrency === '' ? '' : ` ${flags.concurrency}`}: expected a whole number ≥ 1`);
  const concurrency = Number(concurrencyText);

  const scraper = parseScraperFlag(flags.scraper, flags.prometheus);

  const fixDir = fixDirOf(flags, filenames);
  const offline = flags.offline ?? false;
  if (offline && !filenames.length && !flags.certsDir && !flags.meshRoot && !targets.length && flags.prometheusUrl === undefined)
    throw new UsageError('--offline: nothing to diagnose; give -f, --certs-dir, --mesh-root, --target or --prometheus-url');
  return {
    ...DEFAULT_OPTIONS,
    filenames,
    stdin: filenames.includes('-') ? readFileSync(0, 'utf8') : undefined,
    offline,
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    // As kubectl: with -A/--all-namespaces, -n is ignored.
    namespace: flags.allNamespaces ? undefined : flags.namespace,
    prometheus: scraper?.name,
    ...(scraper ? { scraperKind: scraper.kind } : {}),
    certsDir: flags.certsDir,
    meshRoot: flags.meshRoot,
    targets,
    targetIdentity: flags.targetIdentity,
    probe: (flags.probe ?? 'auto') as ProbeMode,
    prometheusUrl: flags.prometheusUrl,
    only: flags.only ?? [],
    skip: flags.skip ?? [],
    suppress: flags.suppress ?? [],
    failOn: (flags.failOn ?? 'error') as FailOn,
    timeoutMs: duration('--timeout', flags.timeout, DEFAULT_OPTIONS.timeoutMs),
    deadlineMs: duration('--deadline', flags.deadline, DEFAULT_OPTIONS.deadlineMs),
    concurrency,
    now,
    verbose: flags.verbose ?? false,
    plugins: flags.plugin ?? [],
    ...(flags.fix || fixDir !== undefined ? { fix: true } : {}),
    ...(fixDir !== undefined ? { fixDir } : {}),
  };
}

/** --scraper KIND/NAME (KIND as CONTRACT.md lists them, any case), or --prometheus NAME as Prometheus/NAME. */
function parseScraperFlag(scraper: string | undefined, prometheus: string | undefined): { kind: ScraperKind; name: string } | undefined {
  if (scraper === undefined) return prometheus === undefined ? undefined : { kind: 'Prometheus', name: prometheus };
  if (prometheus !== undefined) throw new UsageError('--scraper and --prometheus both name the scraper: give one of them');
  const m = /^([^/]+)\/([^/]+)$/.exec(scraper);
  const kind = SCRAPER_KINDS.find((k) => k.toLowerCase() === m?.[1]?.toLowerCase());
  if (!m || !kind) throw new UsageError(`--scraper ${scraper}: expected KIND/NAME with KIND one of ${SCRAPER_KINDS.join(', ')}`);
  return { kind, name: m[2]! };
}

/** --fix-dir DIR: only with -f files, and never one of them or a folder holding them (the originals stay as they are). */
function fixDirOf(flags: DoctorFlags, filenames: readonly string[]): string | undefined {
  const dir = flags.fixDir;
  if (dir === undefined) return undefined;
  if (dir === '') throw new UsageError('--fix-dir: expected a folder');
  if (!filenames.some((f) => f !== '-')) throw new UsageError('--fix-dir: needs -f files to write patched copies of');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--fix-dir ${dir}: not a directory`);
  const target = resolve(dir);
  if (filenames.some((f) => f !== '-' && (resolve(f) === target || resolve(f).startsWith(`${target}/`) && relative(process.cwd(), target) === '')))
    throw new UsageError(`--fix-dir ${dir}: would write over the input files; choose another folder`);
  return dir;
}
