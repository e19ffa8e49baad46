/**
 * Prometheus's relabelling (`relabel_configs`), with its semantics (prometheus/model/relabel/relabel.go,
 * https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config):
 *
 * - regexes are RE2 and fully anchored (`^(?:regex)$`); the default regex is `(.*)`;
 * - the source labels' values are joined with the separator (default `;`), a missing label being "";
 * - `replace` (the default action) writes the expanded replacement (default `$1`) into the expanded
 *   target label when the regex matches, and deletes the label when the result is empty;
 * - `keep`/`drop` keep or drop the target on a match; `keepequal`/`dropequal` compare with target_label;
 * - `labelmap`, `labeldrop`, `labelkeep` act on label names; `hashmod` is md5 (last 8 bytes) mod modulus;
 * - `$1`, `${1}`, `$name` follow Go's Regexp.Expand: the longest run of [A-Za-z0-9_] is the name, so
 *   `$1x` names group "1x" and expands to "".
 *
 * Pure: no I/O. Go's RE2 and JavaScript's RegExp differ; constructs RE2 lacks (look-around,
 * back-references) are refused as Prometheus refuses them, and RE2's own syntax that JavaScript lacks
 * (`(?P<name>`, `(?i)` at the start, `[[:alpha:]]`, `\A`, `\z`, `\Q…\E`) is translated.
 */
import { createHash } from 'node:crypto';

export const RELABEL_ACTIONS = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

export interface RelabelConfig {
  sourceLabels?: string[];
  separator?: string;
  regex?: string;
  modulus?: number;
  targetLabel?: string;
  replacement?: string;
  action?: RelabelAction;
}

export type Labels = Record<string, string>;

export const DEFAULT_REGEX = '(.*)';
export const DEFAULT_SEPARATOR = ';';
export const DEFAULT_REPLACEMENT = '$1';

/** A regex Prometheus would not load, with Go's reason as close as can be told. */
export class RegexError extends Error {
  override readonly name = 'RegexError';
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/** RE2 syntax → a JavaScript pattern and flags; throws RegexError where RE2 itself refuses the pattern. */
export function translateRe2(source: string): { pattern: string; flags: string } {
  let flags = '';
  let s = source;
  const leading = /^\(\?([imsU]+)\)/.exec(s);
  if (leading) {
    if (leading[1]!.includes('U')) throw new RegexError(`the (?U) flag of ${JSON.stringify(source)} is not supported by asm-prom`);
    if (leading[1]!.includes('i')) flags += 'i';
    if (leading[1]!.includes('s')) flags += 's';
    if (leading[1]!.includes('m')) flags += 'm';
    s = s.slice(leading[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined) throw new RegexError('error parsing regexp: trailing backslash at end of expression: ``');
      if (/[1-9]/.test(n)) throw new RegexError(`error parsing regexp: invalid escape sequence: \`\\${n}\``);
      if (n === 'Q') {
        const end = s.indexOf('\\E', i + 2);
        const literal = s.slice(i + 2, end < 0 ? undefined : end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = end < 0 ? s.length : end + 1;
        continue;
      }
      if (n === 'A' && !inClass) { out += '^'; i++; continue; }
      if (n === 'z' && !inClass) { out += '$(?![\\s\\S])'; i++; continue; }
      if (/[A-Za-z]/.test(n) && !/[afnrtvxpPdDsSwWbB]/.test(n)) throw new RegexError(`error parsing regexp: invalid escape sequence: \`\\${n}\``);
      if (n === 'p' || n === 'P') flags += flags.includes('u') ? '' : 'u';
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && s[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(s.slice(i));
        if (m && POSIX_CLASSES[m[2]!]) {
          if (m[1]) throw new RegexError(`negated POSIX class ${m[0]} is not supported by asm-prom`);
          out += POSIX_CLASSES[m[2]!];
          i += m[0].length - 1;
          continue;
        }
        if (m) throw new RegexError(`error parsing regexp: invalid character class range: \`${m[0]}\``);
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (s[i + 1] === '^') { out += '^'; i++; }
      if (s[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && s[i + 1] === '?') {
      const rest = s.slice(i + 2);
      if (rest.startsWith('P<')) { out += '(?<'; i += 3; continue; }
      if (rest.startsWith(':')) { out += '(?:'; i += 2; continue; }
      if (/^[=!]|^<[=!]/.test(rest)) throw new RegexError(`error parsing regexp: invalid or unsupported Perl syntax: \`(?${rest.slice(0, rest[0] === '<' ? 2 : 1)}\``);
      if (rest.startsWith('<')) throw new RegexError(`error parsing regexp: invalid or unsupported Perl syntax: \`(?<\``);
      throw new RegexError(`error parsing regexp: invalid or unsupported Perl syntax: \`(?${rest.slice(0, 1)}\``);
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && s[i + 1] === '+') {
      throw new RegexError(`error parsing regexp: invalid nested repetition operator: \`${c}+\``);
    }
    out += c;
  }
  return { pattern: out, flags };
}

const compiled = new Map<string, RegExp>();

/** The fully anchored regex Prometheus builds from a relabel `regex`; throws RegexError. */
export function anchoredRegex(source: string): RegExp {
  let re = compiled.get(source);
  if (re) return re;
  const { pattern, flags } = translateRe2(source);
  try {
    re = new RegExp(`^(?:${pattern})$`, flags);
  } catch (error) {
    throw new RegexError(`error parsing regexp: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  if (compiled.size > 1000) compiled.clear();
  compiled.set(source, re);
  return re;
}

/** Go's Regexp.Expand of a template with a match (`$1`, `${1}`, `$name`, `$$`). */
export function expand(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let length = 0;
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    const bare = /^[A-Za-z0-9_]+/.exec(rest);
    if (braced) {
      name = braced[1];
      length = braced[0].length;
    } else if (bare) {
      name = bare[0];
      length = bare[0].length;
    }
    if (name === undefined) {
      out += '$'; // malformed: Go keeps the $ as text
      continue;
    }
    i += length;
    if (/^\d+$/.test(name)) {
      const n = Number(name);
      out += n < match.length ? match[n] ?? '' : '';
    } else {
      out += match.groups?.[name] ?? '';
    }
  }
  return out;
}

/** Prometheus label name rules (model.LabelName.IsValid, legacy scheme). */
export const isValidLabelName = (name: string) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);

function hashmod(value: string, modulus: number): string {
  const digest = createHash('md5').update(value).digest();
  const last8 = digest.readBigUInt64BE(8);
  return (last8 % BigInt(modulus)).toString();
}

/** One step; returns false when the target is dropped. Mutates `labels`. */
function step(cfg: RelabelConfig, labels: Labels): boolean {
  const action = cfg.action ?? 'replace';
  const regex = anchoredRegex(cfg.regex ?? DEFAULT_REGEX);
  const replacement = cfg.replacement ?? DEFAULT_REPLACEMENT;
  const value = (cfg.sourceLabels ?? []).map((l) => labels[l] ?? '').join(cfg.separator ?? DEFAULT_SEPARATOR);
  const target = cfg.targetLabel ?? '';
  const set = (name: string, v: string) => {
    if (v === '') delete labels[name];
    else labels[name] = v;
  };
  switch (action) {
    case 'drop':
      return !regex.test(value);
    case 'keep':
      return regex.test(value);
    case 'dropequal':
      return (labels[target] ?? '') !== value;
    case 'keepequal':
      return (labels[target] ?? '') === value;
    case 'replace': {
      const m = regex.exec(value);
      if (!m) return true;
      const name = expand(target, m);
      if (!isValidLabelName(name)) return true;
      set(name, expand(replacement, m));
      return true;
    }
    case 'lowercase':
      set(target, value.toLowerCase());
      return true;
    case 'uppercase':
      set(target, value.toUpperCase());
      return true;
    case 'hashmod':
      set(target, hashmod(value, cfg.modulus ?? 0));
      return true;
    case 'labelmap': {
      const snapshot = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [name, v] of snapshot) {
        const m = regex.exec(name);
        if (m) set(expand(replacement, m), v);
      }
      return true;
    }
    case 'labeldrop':
    case 'labelkeep':
      for (const name of Object.keys(labels)) if (regex.test(name) === (action === 'labeldrop')) delete labels[name];
      return true;
  }
}

/** Applies the steps in order; undefined when the target is dropped. Never mutates the input. */
export function relabel(labels: Labels, configs: readonly RelabelConfig[]): Labels | undefined {
  const out: Labels = { ...labels };
  for (const cfg of configs) if (!step(cfg, out)) return undefined;
  return out;
}

/** What a scrape job turns a discovered target into (scrape/target.go PopulateLabels, Prometheus 2.x). */
export interface JobDefaults {
  jobName: string;
  scheme: string;
  metricsPath: string;
  scrapeInterval: string;
  scrapeTimeout: string;
  params?: Record<string, string[]>;
}

export interface RelabelledTarget {
  /** every label after relabelling, the `__` ones included */
  labels: Labels;
  scheme: string;
  address: string;
  metricsPath: string;
  /** the labels Prometheus shows for the target (no `__` labels; `instance` defaulted to the address) */
  publicLabels: Labels;
}

/** An address's host (an IPv6 one without its brackets) and port, or undefined when it does not split. */
export function splitHostPort(address: string): { host: string; port: string } | undefined {
  const bracket = /^\[([^\]]*)\]:(\d*)$/.exec(address);
  if (bracket) return { host: bracket[1]!, port: bracket[2]! };
  const cut = address.lastIndexOf(':');
  if (cut < 0 || address.slice(0, cut).includes(':') || address.startsWith('[')) return undefined;
  return { host: address.slice(0, cut), port: address.slice(cut + 1) };
}

/**
 * The job's defaults, then the relabelling, then the address checks: the target Prometheus would
 * scrape, `{ dropped: true }` when relabelling drops it, or `{ error }` when Prometheus rejects it
 * (no address, a bad address, a bad scheme).
 */
export function populateTarget(discovered: Labels, job: JobDefaults, configs: readonly RelabelConfig[]): RelabelledTarget | { dropped: true } | { error: string } {
  const start: Labels = { ...discovered };
  const defaults: Labels = {
    job: job.jobName, __scrape_interval__: job.scrapeInterval, __scrape_timeout__: job.scrapeTimeout,
    __metrics_path__: job.metricsPath, __scheme__: job.scheme,
  };
  for (const [k, v] of Object.entries(defaults)) if (!start[k]) start[k] = v;
  for (const [k, v] of Object.entries(job.params ?? {})) if (v.length && v[0] !== '') start[`__param_${k}`] = v[0]!;
  const labels = relabel(start, configs);
  if (!labels) return { dropped: true };
  let address = labels.__address__ ?? '';
  if (!address) return { error: 'no address' };
  const scheme = labels.__scheme__ ?? '';
  if (!splitHostPort(address) && splitHostPort(`${address}:1234`)) {
    if (scheme === 'http' || scheme === '') address += ':80';
    else if (scheme === 'https') address += ':443';
    else return { error: `invalid scheme: "${job.scheme}"` };
    labels.__address__ = address;
  }
  if (/[/@]/.test(address)) return { error: `invalid address "${address}"` };
  const publicLabels: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith('__') && v !== '') publicLabels[k] = v;
  if (!publicLabels.instance) publicLabels.instance = address;
  return { labels, scheme: scheme || 'http', address, metricsPath: labels.__metrics_path__ ?? '', publicLabels };
}

/** The port of a target address, when it has one. */
export function portOfAddress(address: string): number | undefined {
  const port = splitHostPort(address)?.port;
  return port && /^\d+$/.test(port) ? Number(port) : undefined;
}
