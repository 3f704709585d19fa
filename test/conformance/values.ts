/**
 * Inputs for the conformance suite: ordinary values with the IEEE special
 * values mixed in (NaN, ±∞, −0, and +0 as its twin), and shapes from a
 * short fixed list — empty and size-1 axes included — so that the gpu.js
 * modes, which compile a kernel per shape, compile each one once.
 */
import fc from 'fast-check';
import type { Range } from '../helpers/arbitraries.js';

export const SPECIALS = [NaN, Infinity, -Infinity, -0, 0] as const;

/** One value: on the 1/1000 grid of `range`, or (one time in `every`) a special value. */
export function element(range: Range = [-3, 3], every = 4): fc.Arbitrary<number> {
  const grid = fc.integer({ min: Math.round(range[0] * 1000), max: Math.round(range[1] * 1000) }).map((k) => k / 1000);
  return fc.oneof({ weight: every - 1, arbitrary: grid }, { weight: 1, arbitrary: fc.constantFrom(...SPECIALS) });
}

/** Few distinct values, so that ties (−0 against +0 among them) are common: for comparisons, max, min, arg- and top-k. */
export const tieElement: fc.Arbitrary<number> = fc.constantFrom(-2, -1, -0, 0, 0.5, 1, 2.5, NaN, Infinity, -Infinity);

export function float32s(n: number, elem: fc.Arbitrary<number> = element()): fc.Arbitrary<Float32Array> {
  return fc.array(elem, { minLength: n, maxLength: n }).map((v) => Float32Array.from(v));
}

export function int32s(n: number, lo: number, hi: number): fc.Arbitrary<Int32Array> {
  return fc.array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }).map((v) => Int32Array.from(v));
}

export const sizeOf = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Shapes for one-input elementwise ops and casts. */
export const SHAPES: readonly (readonly number[])[] = [[], [0], [1], [7], [2, 3], [2, 0, 3], [1, 1, 4]];

/** Pairs that broadcast (NumPy rules): equal, scalar against tensor, size 1 against size n, empty. */
export const PAIRS: readonly (readonly [readonly number[], readonly number[]])[] = [
  [[5], [5]], [[], [4]], [[2, 3], [3]], [[2, 1], [1, 3]], [[1], [1]], [[0], []], [[3, 1], [0]], [[2, 0, 2], [1, 2]],
];

/** A shape from a list, and data for it. */
export function shaped(shapes: readonly (readonly number[])[], elem?: fc.Arbitrary<number>): fc.Arbitrary<{ shape: number[]; data: Float32Array }> {
  return fc.constantFrom(...shapes).chain((s) => float32s(sizeOf(s), elem).map((data) => ({ shape: [...s], data })));
}
