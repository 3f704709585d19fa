/**
 * The error every checker throws: the invariant that broke, and a message
 * that names the token, the expert and the values that disagree, so a
 * failing property says what is wrong, not only that something is.
 */
export class InvariantError extends Error {
  constructor(readonly invariant: string, detail: string) {
    super(`${invariant}: ${detail}`);
    this.name = 'InvariantError';
  }
}

/** Throws an InvariantError unless `ok`; `detail` is only built on failure. */
export function ensure(ok: boolean, invariant: string, detail: () => string): asserts ok {
  if (!ok) throw new InvariantError(invariant, detail());
}

/** A list of numbers as the messages print them. */
export const list = (xs: ArrayLike<number>): string => `[${Array.from(xs).join(', ')}]`;
