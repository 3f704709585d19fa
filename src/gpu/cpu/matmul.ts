/**
 * Batched matrix multiply on strided operands (matmul-strides.ts): op(A)'s
 * element (i, p) is at i·aRow + p·aCol from its matrix's start, op(B)'s
 * (p, j) at p·bRow + j·bCol. A transpose, a batch broadcast and a view
 * read in place are all just strides here. Two loop orders, chosen so the
 * innermost loop walks memory contiguously where it can:
 *   B's rows contiguous (bCol = 1): i-p-j, row i of C accumulates A[i,p]·row p of B;
 *   otherwise (Bᵀ):                  i-j-p, each C[i,j] a dot product along p.
 * Both sum over p in the same order, in float64, and round once when stored.
 */
import type { MatmulSpec } from '../backend.js';
import { batchOffsets, checkExtent, matmulStrides } from '../matmul-strides.js';
import { arrayFor, dtypeOf, type TypedArray } from '../../base/dtype.js';

export function matmul(a: TypedArray, b: TypedArray, s: MatmulSpec): TypedArray {
  const { batch, m, k, n } = s;
  const st = matmulStrides(s);
  checkExtent('left', a.length, st.batchShape, st.a, m, k);
  checkExtent('right', b.length, st.batchShape, st.b, k, n);
  const aStarts = batchOffsets(st.batchShape, st.a);
  const bStarts = batchOffsets(st.batchShape, st.b);
  const { row: aRow, col: aCol } = st.a;
  const { row: bRow, col: bCol } = st.b;
  const out = arrayFor(dtypeOf(a), batch * m * n);
  const acc = new Float64Array(m * n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = aStarts[bi]!;
    const bo = bStarts[bi]!;
    acc.fill(0);
    if (bCol === 1) {
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) {
          const av = a[ao + i * aRow + p * aCol]!;
          const bStart = bo + p * bRow;
          const cStart = i * n;
          for (let j = 0; j < n; j++) acc[cStart + j]! += av * b[bStart + j]!;
        }
      }
    } else {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) sum += a[ao + i * aRow + p * aCol]! * b[bo + p * bRow + j * bCol]!;
          acc[i * n + j] = sum;
        }
      }
    }
    out.set(acc, bi * m * n);
  }
  return out;
}
