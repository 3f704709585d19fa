/**
 * How every checker runs its property: a number of runs, and the seed and
 * path that fast-check prints on failure, passed back to replay that case.
 * Unset, fast-check's global settings apply (the suite's DSMOE_SEED).
 */
import fc from 'fast-check';

export interface RunOptions {
  numRuns?: number;
  seed?: number;
  path?: string;
}

/** fast-check parameters from the options, `numRuns` the checker's default. */
export function parameters<T>(opts: RunOptions, numRuns: number): fc.Parameters<T> {
  const { seed, path } = opts;
  return { numRuns: opts.numRuns ?? numRuns, ...(seed === undefined ? {} : { seed }), ...(path === undefined ? {} : { path }) };
}

/** fc.assert on an async check of drawn values. */
export async function assertAsync<T>(arb: fc.Arbitrary<T>, check: (v: T) => Promise<void>, opts: RunOptions, numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, check), parameters<[T]>(opts, numRuns));
}
