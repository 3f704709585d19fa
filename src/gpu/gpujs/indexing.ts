/**
 * Row gather and scatter-add, the dispatch primitives of a Mixture of Experts.
 *
 * Gather is natural on a GPU: output row i reads row idx[i].
 * Scatter-add is not: kernels have no atomics and write only their own cell.
 * So it is computed gather-style: the host sorts the source
 * rows by destination into CSR form — `offsets[r] … offsets[r+1]` delimit
 * the entries of `order` that land in row r, in increasing i — and each
 * output cell sums its own list in that fixed order. That is deterministic
 * and sums in the same order as the cpu reference.
 */
import type { GpujsBuffer } from './buffer.js';
import { chunkedCells, type Work } from './chunks.js';
import { checkIndexable, isChunked, unflatten, type Snippet } from './index-math.js';
import { kernelSource, type Job } from './job.js';

export function checkIndices(op: string, idx: Int32Array, rows: number): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (!(v >= 0 && v < rows)) throw new Error(`${op}: index ${v} at position ${i} is out of range for ${rows} rows`);
  }
}

export function gatherJob(src: GpujsBuffer, rows: number, cols: number, idx: GpujsBuffer): Work {
  const size = idx.size * cols;
  checkIndexable('the source of gather', src.size);
  checkIndexable('the indices of gather', idx.size);
  const dims = [idx.size, cols];
  // An output past 2^24 cells: one launch per chunk (chunks.ts).
  if (isChunked(size)) return chunkedCells(dims, 'the output of gather', (at, chunk, len) => gatherChunk(src, rows, cols, idx, at, `:${chunk}`, len));
  return gatherChunk(src, rows, cols, idx, unflatten('t', dims, 'o'), '', size);
}

function gatherChunk(src: GpujsBuffer, rows: number, cols: number, idx: GpujsBuffer, at: Snippet, chunk: string, size: number): Job {
  const source = kernelSource(['src', 'idx'], [at.code, 'return src[idx[o0] * this.constants.cols + o1];']);
  const constants = { ...at.constants, cols };
  return { key: `gather:${rows}x${cols}:${idx.size}${chunk}`, spec: () => ({ source, constants, size }), args: [src, idx], size, dtype: src.dtype };
}

/** The CSR form of `idx`: for each destination row, the source rows landing there, in increasing order. */
export function csr(idx: Int32Array, outRows: number): { offsets: Float32Array; order: Float32Array; longest: number } {
  const offsets = new Float32Array(outRows + 1);
  for (const r of idx) offsets[r + 1]!++;
  let longest = 0;
  for (let r = 0; r < outRows; r++) {
    longest = Math.max(longest, offsets[r + 1]!);
    offsets[r + 1]! += offsets[r]!;
  }
  const order = new Float32Array(idx.length);
  const fill = offsets.slice(0, outRows);
  for (let i = 0; i < idx.length; i++) order[fill[idx[i]!]!++] = i;
  return { offsets, order, longest };
}

/**
 * Each cell sums over its row's slice of `order`. That loop's bound comes from
 * an argument, which gpu.js caps at loopMaxIterations, so the kernel is built
 * with that cap at idx.size (no row can receive more), not the default 1000.
 */
export function scatterAddJob(src: GpujsBuffer, cols: number, idx: Int32Array, outRows: number): Work {
  const size = outRows * cols;
  checkIndexable('the source of scatterAdd', src.size);
  checkIndexable('the row offsets of scatterAdd', outRows + 1);
  const lists = csr(idx, outRows);
  const dims = [outRows, cols];
  // An output past 2^24 cells: one launch per chunk (chunks.ts), all reading the same CSR lists.
  if (isChunked(size)) return chunkedCells(dims, 'the output of scatterAdd', (at, chunk, len) => scatterChunk(src, cols, idx, outRows, lists, at, `:${chunk}`, len));
  return scatterChunk(src, cols, idx, outRows, lists, unflatten('t', dims, 'o'), '', size);
}

function scatterChunk(src: GpujsBuffer, cols: number, idx: Int32Array, outRows: number, lists: { offsets: Float32Array; order: Float32Array }, at: Snippet, chunk: string, size: number): Job {
  const { offsets, order } = lists;
  const source = kernelSource(['src', 'offsets', 'order'], [
    at.code,
    'const start = offsets[o0];',
    'const count = offsets[o0 + 1] - start;',
    'let sum = 0.0;',
    // An integer counter from 0: WGSL cannot increment a float loop variable.
    'for (let j = 0; j < count; j++) {',
    '  sum = sum + src[order[start + j] * this.constants.cols + o1];',
    '}',
    'return sum;',
  ]);
  const constants = { ...at.constants, cols };
  const key = `scatterAdd:${idx.length}x${cols}->${outRows}${chunk}`;
  return { key, spec: () => ({ source, constants, size, longestLoop: idx.length }), args: [src, offsets, order], size, dtype: src.dtype };
}
