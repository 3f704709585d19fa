/**
 * Batched matmul, one output cell per thread: C[b, i, j] = Σ_p A[b, i, p]·B[b, p, j].
 * Transposes and batch broadcasting are only different strides, so one
 * kernel source serves every layout: element (i, p) of op(A) sits at
 * b·aBatch + i·aI + p·aP, with (aI, aP) = (k, 1) for A or (1, m) for Aᵀ.
 * The inner dimension k is a constant, never an argument: gpu.js would cut
 * an argument-bounded loop at 1000 iterations.
 */
import type { MatmulSpec } from '../backend.js';
import type { GpujsBuffer } from './buffer.js';
import { chunkedCells, type Work } from './chunks.js';
import { checkIndexable, isChunked, unflatten, type Snippet } from './index-math.js';
import { kernelSource, type Job } from './job.js';

/** `p · stride` in the inner loop, or just `p` on a contiguous axis: one multiply less per step, and WASM can vectorize it. */
function step(name: string, stride: number): string {
  return stride === 1 ? 'p' : `p * this.constants.${name}`;
}

export function matmulJob(a: GpujsBuffer, b: GpujsBuffer, s: MatmulSpec): Work {
  const size = s.batch * s.m * s.n;
  checkIndexable('the left operand of matmul', a.size);
  checkIndexable('the right operand of matmul', b.size);
  const dims = [s.batch, s.m, s.n];
  // An output past 2^24 cells: one launch per chunk, each finding its cells' indices from its base (chunks.ts).
  if (isChunked(size)) return chunkedCells(dims, 'the output of matmul', (at, chunk, len) => matmulChunk(a, b, s, at, `:${chunk}`, len));
  return matmulChunk(a, b, s, unflatten('t', dims, 'o'), '', size);
}

/** The kernel computing `size` cells whose indices `idx` declares as o0, o1, o2. */
function matmulChunk(a: GpujsBuffer, b: GpujsBuffer, s: MatmulSpec, idx: Snippet, chunk: string, size: number): Job {
  const constants = {
    ...idx.constants,
    k: s.k,
    aBatch: s.aBatchStride,
    aI: s.transA ? 1 : s.k,
    aP: s.transA ? s.m : 1,
    bBatch: s.bBatchStride,
    bP: s.transB ? 1 : s.n,
    bJ: s.transB ? s.k : 1,
  };
  const src = kernelSource(['a', 'b'], [
    idx.code,
    'const aRow = o0 * this.constants.aBatch + o1 * this.constants.aI;',
    'const bCol = o0 * this.constants.bBatch + o2 * this.constants.bJ;',
    'let sum = 0.0;',
    'for (let p = 0; p < this.constants.k; p++) {',
    `  sum = sum + a[aRow + ${step('aP', constants.aP)}] * b[bCol + ${step('bP', constants.bP)}];`,
    '}',
    'return sum;',
  ]);
  const key = `matmul:${s.batch}x${s.m}x${s.k}x${s.n}:${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}:${s.aBatchStride},${s.bBatchStride}${chunk}`;
  return { key, spec: () => ({ source: src, constants, size, longestLoop: s.k }), args: [a, b], size, dtype: a.dtype };
}
