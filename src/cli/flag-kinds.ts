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
