/**
 * Grouped matmul (backend.ts, GroupedMatmulSpec) as plain loops: each group
 * is an ordinary matmul on its own row range, so this is matmul.ts's loop
 * orders with the group's offsets added in. Accumulation is in float64 and
 * rounds once when stored, as in matmul.ts.
 */
import type { GroupedMatmulSpec } from '../backend.js';
import { checkFusedOperands, checkGroupOffsets } from '../grouped-layout.js';
import { arrayFor, dtypeOf, type TypedArray } from '../../base/dtype.js';

/** The fused operands of 'rows' (backend.ts, GroupedMatmulExtras), as host arrays. */
export interface HostExtras {
  rowIndex?: Int32Array;
  bias?: TypedArray;
}

export function groupedMatmul(a: TypedArray, b: TypedArray, offsets: Int32Array, s: GroupedMatmulSpec, extras: HostExtras = {}): TypedArray {
  checkGroupOffsets('groupedMatmul', offsets, s.groups, s.rows);
  checkFusedOperands(s, extras.rowIndex && { values: extras.rowIndex }, extras.bias?.length);
  return s.kind === 'rows' ? byRows(a, b, offsets, s, extras) : byInner(a, b, offsets, s);
}

/**
 * C[r] = A[src(r)]·op(B_g) (+ bias_g) for the rows r of group g, row by row
 * (the i-p-j order of matmul.ts); src(r) = rowIndex[r] for a gathered A, else r.
 */
function byRows(a: TypedArray, b: TypedArray, offsets: Int32Array, s: Extract<GroupedMatmulSpec, { kind: 'rows' }>, extras: HostExtras): TypedArray {
  const { groups, rows, k, n } = s;
  const [sg, sp, sj] = s.bStrides;
  const { rowIndex, bias } = extras;
  const out = arrayFor(dtypeOf(a), rows * n);
  const acc = new Float64Array(n);
  for (let g = 0; g < groups; g++) {
    for (let r = offsets[g]!; r < offsets[g + 1]!; r++) {
      if (bias) for (let j = 0; j < n; j++) acc[j] = bias[g * n + j]!;
      else acc.fill(0);
      const src = rowIndex ? rowIndex[r]! : r;
      for (let p = 0; p < k; p++) {
        const av = a[src * k + p]!;
        const bRow = g * sg + p * sp;
        for (let j = 0; j < n; j++) acc[j]! += av * b[bRow + j * sj]!;
      }
      out.set(acc, r * n);
    }
  }
  return out;
}

/** C_g = Σ_{r in group g} A[r]ᵀ·B[r]: a sum of outer products of rows, in increasing r. */
function byInner(a: TypedArray, b: TypedArray, offsets: Int32Array, s: Extract<GroupedMatmulSpec, { kind: 'inner' }>): TypedArray {
  const { groups, m, n } = s;
  const out = arrayFor(dtypeOf(a), groups * m * n);
  const acc = new Float64Array(m * n);
  for (let g = 0; g < groups; g++) {
    acc.fill(0);
    for (let r = offsets[g]!; r < offsets[g + 1]!; r++) {
      for (let i = 0; i < m; i++) {
        const av = a[r * m + i]!;
        for (let j = 0; j < n; j++) acc[i * n + j]! += av * b[r * n + j]!;
      }
    }
    out.set(acc, g * m * n);
  }
  return out;
}
