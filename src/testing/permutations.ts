/** Token permutations, for equivariance: routing and outputs move with the tokens. */
import fc from 'fast-check';

/** A permutation of 0 … n − 1: position i of the permuted batch holds token perm[i]. */
export function permutationArb(n: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });
}

/** Rows of a row-major T×width array, reordered: row i of the result is row perm[i]. */
export function permuteRows(values: ArrayLike<number>, perm: readonly number[], width: number): number[] {
  return perm.flatMap((src) => Array.from({ length: width }, (_, j) => values[src * width + j]!));
}
