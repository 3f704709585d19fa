/**
 * Batched matmul, one output cell per thread: C[b, i, j] = Σ_p A[b, i, p]·B[b, p, j].
 * Transposes, batch broadcasting and views read in place are only strides
 * (matmul-strides.ts), so one kernel source serves every layout: element
 * (i, p) of op(A) sits at base(b) + i·aI + p·aP, with (aI, aP) = (k, 1) for
 * A or (1, m) for Aᵀ, and base(b) = b·aBatch unless the batch strides
 * unevenly (a permuted [B, H, S, D]), when b is split into its axes.
 * The inner dimension k is a constant, never an argument: gpu.js would cut
 * an argument-bounded loop at 1000 iterations.
 */
import type { MatmulSpec, MatmulStrides } from '../backend.js';
import type { GpujsBuffer } from './buffer.js';
import { chunkedCells, type Work } from './chunks.js';
import { checkIndexable, isChunked, offsetExpr, unflatten, type Snippet } from './index-math.js';
import { checkExtent, coalesceBatch, matmulStrides } from '../matmul-strides.js';
import { kernelSource, type Job } from './job.js';

/** `p · stride` in the inner loop, or just `p` on a contiguous axis: one multiply less per step, and WASM can vectorize it. */
function step(name: string, stride: number): string {
  return stride === 1 ? 'p' : `p * this.constants.${name}`;
}

export function matmulJob(a: GpujsBuffer, b: GpujsBuffer, s: MatmulSpec): Work {
  const size = s.batch * s.m * s.n;
  checkIndexable('the left operand of matmul', a.size);
  checkIndexable('the right operand of matmul', b.size);
  const st = coalesceBatch(matmulStrides(s));
  checkExtent('left', a.size, st.batchShape, st.a, s.m, s.k);
  checkExtent('right', b.size, st.batchShape, st.b, s.k, s.n);
  const dims = [s.batch, s.m, s.n];
  // An output past 2^24 cells: one launch per chunk, each finding its cells' indices from its base (chunks.ts).
  if (isChunked(size)) return chunkedCells(dims, 'the output of matmul', (at, chunk, len) => matmulChunk(a, b, s, st, at, `:${chunk}`, len));
  return matmulChunk(a, b, s, st, unflatten('t', dims, 'o'), '', size);
}

/** The kernel computing `size` cells whose indices `idx` declares as o0, o1, o2, with the operands where `st` says. */
function matmulChunk(a: GpujsBuffer, b: GpujsBuffer, s: MatmulSpec, st: MatmulStrides, idx: Snippet, chunk: string, size: number): Job {
  // The batch index o0 split over the batch axes (none when the batch strides evenly: o0 itself, or nothing for one matrix).
  const even = st.batchShape.length <= 1;
  const digits = even ? { code: '', constants: {} } : unflatten('o0', st.batchShape, 'ob');
  const aBase = even ? offsetExpr('aB', 'o', [st.a.batch[0] ?? 0], st.a.offset) : offsetExpr('aB', 'ob', st.a.batch, st.a.offset);
  const bBase = even ? offsetExpr('bB', 'o', [st.b.batch[0] ?? 0], st.b.offset) : offsetExpr('bB', 'ob', st.b.batch, st.b.offset);
  const constants = {
    ...idx.constants,
    ...digits.constants,
    ...aBase.constants,
    ...bBase.constants,
    k: s.k,
    aI: st.a.row,
    aP: st.a.col,
    bP: st.b.row,
    bJ: st.b.col,
  };
  const src = kernelSource(['a', 'b'], [
    idx.code,
    digits.code,
    `const aRow = ${aBase.code} + o1 * this.constants.aI;`,
    `const bCol = ${bBase.code} + o2 * this.constants.bJ;`,
    'let sum = 0.0;',
    'for (let p = 0; p < this.constants.k; p++) {',
    `  sum = sum + a[aRow + ${step('aP', constants.aP)}] * b[bCol + ${step('bP', constants.bP)}];`,
    '}',
    'return sum;',
  ]);
  const layout = `${st.batchShape}|${st.a.offset},${st.a.batch},${st.a.row},${st.a.col}|${st.b.offset},${st.b.batch},${st.b.row},${st.b.col}`;
  // A view read in place brings its source's buffer, whose size the spec does not fix: gpu.js compiles a kernel per input size.
  const key = `matmul:${s.batch}x${s.m}x${s.k}x${s.n}:${layout}:${a.size},${b.size}${chunk}`;
  return { key, spec: () => ({ source: src, constants, size, longestLoop: s.k }), args: [a, b], size, dtype: a.dtype };
}
