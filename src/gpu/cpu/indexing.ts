/**
 * Row gather and scatter-add: the dispatch primitives of a Mixture of
 * Experts (gather tokens into expert order, scatter-add expert outputs back
 * to their tokens), and each one the other's gradient.
 */
import { arrayFor, dtypeOf, type TypedArray } from '../../base/dtype.js';

/** The kernel's own check (the op layer checks first, in the user's terms: tensor/ops/indexing.ts). */
function checkIndex(op: string, i: number, value: number, rows: number): void {
  if (!(value >= 0 && value < rows)) throw new Error(`${op}: index ${value} at position ${i} is out of range for ${rows} rows`);
}

export function gather(src: TypedArray, rows: number, cols: number, idx: Int32Array): TypedArray {
  const out = arrayFor(dtypeOf(src), idx.length * cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    checkIndex('gather', i, r, rows);
    out.set(src.subarray(r * cols, (r + 1) * cols), i * cols);
  }
  return out;
}

/** Sums in increasing i, so the result is deterministic. */
export function scatterAdd(src: TypedArray, cols: number, idx: Int32Array, outRows: number): TypedArray {
  const out = arrayFor(dtypeOf(src), outRows * cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    checkIndex('scatterAdd', i, r, outRows);
    for (let c = 0; c < cols; c++) out[r * cols + c]! += src[i * cols + c]!;
  }
  return out;
}

/**
 * Indices of the k largest per row, descending; the lower index wins a tie.
 * NaN ranks above everything (as in argmax), so the order is always total.
 */
export function topk(x: TypedArray, rows: number, n: number, k: number): Int32Array {
  const out = new Int32Array(rows * k);
  const order = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let j = 0; j < n; j++) order[j] = j;
    order.sort((i, j) => {
      const a = x[base + i]!;
      const b = x[base + j]!;
      const aNaN = Number.isNaN(a);
      const bNaN = Number.isNaN(b);
      if (aNaN || bNaN) return aNaN && bNaN ? i - j : aNaN ? -1 : 1;
      return a < b ? 1 : a > b ? -1 : i - j; // (not b − a: ∞ − ∞ is NaN)
    });
    for (let j = 0; j < k; j++) out[r * k + j] = order[j]!;
  }
  return out;
}
