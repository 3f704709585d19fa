/**
 * What every backend's grouped matmul shares (backend.ts, GroupedMatmulSpec):
 * the checks of the group offsets and of the fused operands, and the strides
 * that place each group's matrix B_g inside the B operand.
 */
import type { GroupedMatmulSpec } from './backend.js';

/**
 * The group offsets: G + 1 int32 boundaries 0 = o_0 ≤ o_1 ≤ … ≤ o_G = rows.
 * Every backend checks them before a kernel reads rows through them, so a
 * bad offset is an error naming it, never a read past a buffer.
 */
export function checkGroupOffsets(op: string, offsets: ArrayLike<number>, groups: number, rows: number): void {
  if (offsets.length !== groups + 1) throw new Error(`${op}: ${groups} groups need ${groups + 1} offsets, got ${offsets.length}`);
  if (offsets[0] !== 0) throw new Error(`${op}: offsets must start at 0, got ${offsets[0]}`);
  for (let g = 0; g < groups; g++) {
    const [lo, hi] = [offsets[g]!, offsets[g + 1]!];
    if (!(Number.isInteger(hi) && hi >= lo)) throw new Error(`${op}: offsets must not decrease: offset ${g + 1} is ${hi} after ${lo}`);
  }
  if (offsets[groups] !== rows) throw new Error(`${op}: the last offset must be the row count ${rows}, got ${offsets[groups]}`);
}

/** Element (p, j) of op(B_g) is at B[g·group + p·row + j·col]. */
export type GroupStrides = readonly [group: number, row: number, col: number];

/**
 * B as G stacked matrices [G, K1, K2] (each B_g = B[g]), read as B_g, or as
 * B_gᵀ with transB: op(B_g) is K1×K2, or K2×K1.
 */
export function stackedStrides(k1: number, k2: number, transB: boolean): GroupStrides {
  return transB ? [k1 * k2, 1, k2] : [k1 * k2, k2, 1];
}

/**
 * B as G column blocks side by side, [K1, G·K2] (B_g = columns g·K2 …
 * (g+1)·K2 − 1: the layout of an MoE layer's W1, whose expert g owns a block
 * of hidden units), read as B_g or, with transB, B_gᵀ.
 */
export function columnStrides(groups: number, k2: number, transB: boolean): GroupStrides {
  return transB ? [k2, 1, groups * k2] : [k2, groups * k2, 1];
}

/** The row index of a gathered A: each entry a row of A [aRows, k], checked before any kernel reads through it. */
export function checkRowIndex(op: string, rowIndex: ArrayLike<number>, rows: number, aRows: number): void {
  if (rowIndex.length !== rows) throw new Error(`${op}: the row index has ${rowIndex.length} entries for ${rows} rows`);
  for (let i = 0; i < rowIndex.length; i++) {
    const r = rowIndex[i]!;
    if (!(Number.isInteger(r) && r >= 0 && r < aRows)) throw new Error(`${op}: row index ${r} at position ${i} is out of range for A's ${aRows} rows`);
  }
}

/**
 * The fused operands a backend was handed, against the spec: a row index
 * exactly when spec.aRows is set (its values checked when the backend has
 * them on the host), a bias exactly when spec.bias is, of G·n values.
 */
export function checkFusedOperands(spec: GroupedMatmulSpec, rowIndex: { values?: ArrayLike<number> } | undefined, biasSize: number | undefined): void {
  const rows = spec.kind === 'rows' ? spec : undefined;
  if ((rows?.aRows !== undefined) !== (rowIndex !== undefined)) throw new Error('groupedMatmul: a row index goes with spec.aRows, and only with it');
  if ((rows?.bias ?? false) !== (biasSize !== undefined)) throw new Error('groupedMatmul: a bias goes with spec.bias, and only with it');
  if (rowIndex?.values) checkRowIndex('groupedMatmul', rowIndex.values, spec.rows, rows!.aRows!);
  if (biasSize !== undefined && biasSize !== spec.groups * spec.n) throw new Error(`groupedMatmul: the bias has ${biasSize} values, not groups·n = ${spec.groups * spec.n}`);
}
