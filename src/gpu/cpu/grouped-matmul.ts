/**
 * Grouped matmul (backend.ts, GroupedMatmulSpec) as plain loops: each group
 * is an ordinary matmul on its own row range, so this is matmul.ts's loop
 * orders with the group's offsets added in. Accumulation is in float64 and
 * rounds once when stored, as in matmul.ts.
 */
import type { GroupedMatmulSpec } from '../backend.js';
import { checkGroupOffsets } from '../grouped-layout.js';
import { arrayFor, dtypeOf, type TypedArray } from '../../tensor/dtype.js';

export function groupedMatmul(a: TypedArray, b: TypedArray, offsets: Int32Array, s: GroupedMatmulSpec): TypedArray {
  checkGroupOffsets('groupedMatmul', offsets, s.groups, s.rows);
  return s.kind === 'rows' ? byRows(a, b, offsets, s) : byInner(a, b, offsets, s);
}

/** C[r] = A[r]·op(B_g) for the rows r of group g, row by row (the i-p-j order of matmul.ts). */
function byRows(a: TypedArray, b: TypedArray, offsets: Int32Array, s: Extract<GroupedMatmulSpec, { kind: 'rows' }>): TypedArray {
  const { groups, rows, k, n } = s;
  const [sg, sp, sj] = s.bStrides;
  const out = arrayFor(dtypeOf(a), rows * n);
  const acc = new Float64Array(n);
  for (let g = 0; g < groups; g++) {
    for (let r = offsets[g]!; r < offsets[g + 1]!; r++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const av = a[r * k + p]!;
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
