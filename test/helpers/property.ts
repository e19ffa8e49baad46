/**
 * fast-check as every property suite here runs it: a fixed seed (FC_SEED overrides it to replay or to
 * explore), the seed and counterexample printed on failure, and the number of cases run reported.
 */
import fc from 'fast-check';

export const FC_SEED = Number(process.env.FC_SEED ?? 20_261_201);

/** Cases run per property name, for the reliability report. */
export const CASES_RUN = new Map<string, number>();

function report(name: string, details: fc.RunDetails<unknown>): void {
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`property "${name}" failed (seed ${FC_SEED}; replay with FC_SEED=${FC_SEED}):\n${fc.defaultReportMessage(details)}\nbecause: ${cause}`);
  }
  CASES_RUN.set(name, (CASES_RUN.get(name) ?? 0) + details.numRuns);
  console.log(`[property] ${name}: ${details.numRuns} cases passed (seed ${FC_SEED})`);
}

export function checkProperty<Ts extends [unknown, ...unknown[]]>(name: string, property: fc.IPropertyWithHooks<Ts>, numRuns: number): void {
  report(name, fc.check(property, { seed: FC_SEED, numRuns, endOnFailure: false }) as fc.RunDetails<unknown>);
}

export async function checkAsyncProperty<Ts extends [unknown, ...unknown[]]>(name: string, property: fc.IAsyncPropertyWithHooks<Ts>, numRuns: number): Promise<void> {
  report(name, (await fc.check(property, { seed: FC_SEED, numRuns, endOnFailure: false })) as fc.RunDetails<unknown>);
}
