/** How a flag takes repeated values: every command's options use one of these two shapes. */

/**
 * Repeatable string flags. Not `array: true`: yargs' array options refuse `-` as a value, and
 * `-f -` (stdin) must work; repeated flags still collect into a list.
 */
export const repeatable = { coerce: (v: string | string[]) => (Array.isArray(v) ? v : [v]) } as const;

/**
 * Single-valued flags given twice: the last one wins, as kubectl's flags do (`-o json -o yaml` is
 * yaml). yargs would otherwise hand the command an array where it expects one value.
 */
export const lastWins = { coerce: <T>(v: T | T[]): T => (Array.isArray(v) ? v[v.length - 1]! : v) } as const;

/** Long flags whose value is a duration or a count: a negative one is still their value. */
const NUMERIC_LONG = new Set(['--timeout', '--deadline', '--interval', '--concurrency', '--max-target-series']);

/** Short flags that take a value, as in doctor's flags: `-nmonitoring` is `-n monitoring` for them. */
const SHORT_WITH_VALUE = new Set(['f', 'n', 'o', 'S']);

/**
 * kubectl (pflag) reads `-nmonitoring` as `-n monitoring`; yargs would read a group of boolean
 * flags `-n -m -o …`. Splits such arguments before yargs sees them. An argument that is the value
 * of the flag before it, anything after `--`, and `-n=x` (which yargs reads) stay as they are.
 */
export function splitShortValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return [...out, ...args.slice(i)];
    const previous = args[i - 1];
    // `--timeout -1s`: the value, not short flags -1 and -s, so that its check names it
    if (previous !== undefined && NUMERIC_LONG.has(previous) && /^-\d/.test(arg)) {
      out[out.length - 1] = `${previous}=${arg}`;
      continue;
    }
    const isValue = previous !== undefined && /^-[a-zA-Z]$/.test(previous) && SHORT_WITH_VALUE.has(previous[1]!);
    const m = /^-([a-zA-Z])([^=].*)$/s.exec(arg);
    out.push(...(m && !isValue && SHORT_WITH_VALUE.has(m[1]!) ? [`-${m[1]}`, m[2]!] : [arg]));
  }
  return out;
}
