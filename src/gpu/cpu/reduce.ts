/**
 * One-axis reductions. The input is viewed as [outer, n, inner] and reduced
 * over n, so "reduce axis 1 of a [2, 3, 4] tensor" is outer=2, n=3, inner=4.
 */
import type { ArgReduceOp, ReduceOp } from '../backend.js';
import { arrayFor, dtypeOf, type TypedArray } from '../../base/dtype.js';

export function reduce(op: ReduceOp, x: TypedArray, outer: number, n: number, inner: number): TypedArray {
  const out = arrayFor(dtypeOf(x), outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      // Sums accumulate in a JS number (float64) and round once on store.
      let acc = op === 'sum' ? 0 : x[base]!;
      for (let j = op === 'sum' ? 0 : 1; j < n; j++) {
        const v = x[base + j * inner]!;
        // max and min as the binary ops (elementwise.ts): a NaN sticks, +0 beats −0 (max) and loses (min).
        if (op === 'sum') acc += v;
        else acc = op === 'max' ? Math.max(acc, v) : Math.min(acc, v);
      }
      out[o * inner + i] = n === 0 && op !== 'sum' ? NaN : acc;
    }
  }
  return out;
}

export function argReduce(op: ArgReduceOp, x: TypedArray, outer: number, n: number, inner: number): Int32Array {
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = 0;
      let bestV = x[base]!;
      for (let j = 1; j < n; j++) {
        const v = x[base + j * inner]!;
        // Strict comparison: the first extreme wins ties. NaN counts as the
        // extreme (as in max/min, which propagate it): the first NaN wins.
        if (Number.isNaN(bestV)) break;
        if (Number.isNaN(v) || (op === 'argmax' ? v > bestV : v < bestV)) {
          best = j;
          bestV = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return out;
}
