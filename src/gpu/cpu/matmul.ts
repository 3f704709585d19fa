/**
 * Batched matrix multiply in three loop orders, one per layout, each chosen
 * so the innermost loop walks memory contiguously:
 *   A·B   : i-p-j  (row i of C accumulates A[i,p]·row p of B)
 *   A·Bᵀ  : i-j-p  (a dot product of two contiguous rows)
 *   Aᵀ·B  : p-i-j  (row p of A and row p of B are both contiguous)
 * Accumulation is in float64 and rounds once when stored.
 */
import type { MatmulSpec } from '../backend.js';
import { arrayFor, dtypeOf, type TypedArray } from '../../base/dtype.js';

export function matmul(a: TypedArray, b: TypedArray, s: MatmulSpec): TypedArray {
  const { batch, m, k, n } = s;
  const out = arrayFor(dtypeOf(a), batch * m * n);
  const acc = new Float64Array(m * n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * s.aBatchStride;
    const bo = bi * s.bBatchStride;
    acc.fill(0);
    if (!s.transA && !s.transB) {
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) {
          const av = a[ao + i * k + p]!;
          const bRow = bo + p * n;
          const cRow = i * n;
          for (let j = 0; j < n; j++) acc[cRow + j]! += av * b[bRow + j]!;
        }
      }
    } else if (!s.transA && s.transB) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          const aRow = ao + i * k;
          const bRow = bo + j * k;
          for (let p = 0; p < k; p++) sum += a[aRow + p]! * b[bRow + p]!;
          acc[i * n + j] = sum;
        }
      }
    } else if (s.transA && !s.transB) {
      for (let p = 0; p < k; p++) {
        for (let i = 0; i < m; i++) {
          const av = a[ao + p * m + i]!;
          const bRow = bo + p * n;
          const cRow = i * n;
          for (let j = 0; j < n; j++) acc[cRow + j]! += av * b[bRow + j]!;
        }
      }
    } else {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) sum += a[ao + p * m + i]! * b[bo + j * k + p]!;
          acc[i * n + j] = sum;
        }
      }
    }
    out.set(acc, bi * m * n);
  }
  return out;
}
