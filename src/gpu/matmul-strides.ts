/**
 * The strided description of a matmul's operands (MatmulStrides in
 * backend.ts), shared by the backends: every backend reads its operands
 * through it, so a plain spec and a view read in place take the same path.
 */
import type { MatmulSpec, MatmulStrides, OperandStrides } from './backend.js';

/** The spec's strides, derived from the trans flags and batch strides when the spec has none of its own. */
export function matmulStrides(s: MatmulSpec): MatmulStrides {
  if (s.strides) return s.strides;
  // op(A) [m, k] is stored [m, k], or [k, m] when transposed: element (i, p) at i·k + p, or p·m + i.
  const a: OperandStrides = { offset: 0, batch: [s.aBatchStride], row: s.transA ? 1 : s.k, col: s.transA ? s.m : 1 };
  const b: OperandStrides = { offset: 0, batch: [s.bBatchStride], row: s.transB ? 1 : s.n, col: s.transB ? s.k : 1 };
  return { batchShape: [s.batch], a, b };
}

/**
 * The same layout with as few batch axes as possible: size-1 axes dropped,
 * and neighbours merged where both operands step through them as through
 * one axis (stride_d = stride_{d+1}·size_{d+1}; C is contiguous, so it
 * always can). A kernel then loops over one batch axis in the common case.
 */
export function coalesceBatch(st: MatmulStrides): MatmulStrides {
  const shape: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  st.batchShape.forEach((n, d) => {
    if (n === 1) return;
    const last = shape.length - 1;
    if (last >= 0 && a[last] === st.a.batch[d]! * n && b[last] === st.b.batch[d]! * n) {
      shape[last] = shape[last]! * n;
      a[last] = st.a.batch[d]!;
      b[last] = st.b.batch[d]!;
      return;
    }
    shape.push(n);
    a.push(st.a.batch[d]!);
    b.push(st.b.batch[d]!);
  });
  return { batchShape: shape, a: { ...st.a, batch: a }, b: { ...st.b, batch: b } };
}

/** The element offset of every batch index (row-major over `shape`), with the operand's own offset added. */
export function batchOffsets(shape: readonly number[], o: OperandStrides): number[] {
  let out = [o.offset];
  shape.forEach((n, d) => {
    const next: number[] = [];
    for (const base of out) for (let i = 0; i < n; i++) next.push(base + i * o.batch[d]!);
    out = next;
  });
  return out;
}

/**
 * Element ranges an operand's reads cover, [lowest, highest] (empty batch
 * or matrix: null). A backend checks them against the buffer, so that a
 * wrong description throws instead of reading past it.
 */
function operandExtent(shape: readonly number[], o: OperandStrides, rows: number, cols: number): [number, number] | null {
  if (rows === 0 || cols === 0 || shape.some((n) => n === 0)) return null;
  let lo = o.offset;
  let hi = o.offset;
  const reach = (n: number, stride: number): void => {
    if (stride < 0) lo += (n - 1) * stride;
    else hi += (n - 1) * stride;
  };
  shape.forEach((n, d) => reach(n, o.batch[d]!));
  reach(rows, o.row);
  reach(cols, o.col);
  return [lo, hi];
}

/** Throws unless an operand's reads stay inside its buffer of `size` elements. */
export function checkExtent(what: string, size: number, shape: readonly number[], o: OperandStrides, rows: number, cols: number): void {
  const e = operandExtent(shape, o, rows, cols);
  if (e && (e[0] < 0 || e[1] >= size)) {
    throw new Error(`matmul: the ${what} operand's strides reach elements ${e[0]}…${e[1]}, outside its buffer of ${size}`);
  }
}
