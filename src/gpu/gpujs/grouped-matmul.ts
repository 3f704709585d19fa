/**
 * Grouped matmul (backend.ts, GroupedMatmulSpec), one output cell per thread.
 * The groups come from offsets that change every step (they are the
 * router's choices), so nothing about them may be compiled in: a kernel is
 * keyed by shapes alone, and the offsets reach it as kernel arguments.
 *
 *   'rows'   C[r, j] = Σ_p A[r, p]·op(B_g)[p, j], g the group of row r. The
 *            host finds each row's g once (a per-row array, an argument); k
 *            bounds the loop as a constant, as in matmul.ts. Fused: row r
 *            of a gathered A is A[idx[r]] (the index an argument too), and a
 *            bias starts the sum at bias[g, j].
 *   'inner'  C[g, i, j] = Σ_{o_g ≤ r < o_{g+1}} A[r, i]·B[r, j], in increasing
 *            r as the cpu reference sums. The loop bound comes from the
 *            offsets, an argument, which gpu.js caps at loopMaxIterations:
 *            the kernel is built with that cap at `rows`, the longest any
 *            group can be, so one compiled kernel is right for every offsets.
 */
import type { GroupedMatmulSpec } from '../backend.js';
import type { GpujsBuffer } from './buffer.js';
import { chunkedCells, type Work } from './chunks.js';
import { checkIndexable, isChunked, unflatten, type Snippet } from './index-math.js';
import { kernelSource, type Job } from './job.js';

type RowsSpec = Extract<GroupedMatmulSpec, { kind: 'rows' }>;
type InnerSpec = Extract<GroupedMatmulSpec, { kind: 'inner' }>;

/** The fused operands of 'rows' (backend.ts, GroupedMatmulExtras) on this backend. */
export interface FusedBuffers {
  rowIndex?: GpujsBuffer;
  bias?: GpujsBuffer;
}

/** `offsets` are the checked host values (group-offsets.ts) of the device buffer `offsetsBuf`. */
export function groupedMatmulJob(a: GpujsBuffer, b: GpujsBuffer, offsetsBuf: GpujsBuffer, offsets: ArrayLike<number>, s: GroupedMatmulSpec, fused: FusedBuffers = {}): Work {
  checkIndexable('the left operand of groupedMatmul', a.size);
  checkIndexable('the right operand of groupedMatmul', b.size);
  if (s.kind === 'rows') {
    checkIndexable('the row groups of groupedMatmul', s.rows);
    const group = groupOfRows(offsets, s.groups, s.rows);
    return cells([s.rows, s.n], (at, chunk, size) => rowsChunk(a, b, group, fused, s, at, chunk, size));
  }
  checkIndexable('the offsets of groupedMatmul', s.groups + 1);
  return cells([s.groups, s.m, s.n], (at, chunk, size) => innerChunk(a, b, offsetsBuf, s, at, chunk, size));
}

/** One launch over the output `dims`, or past 2^24 cells one per chunk (chunks.ts). */
function cells(dims: number[], make: (at: Snippet, chunk: string, size: number) => Job): Work {
  const size = dims.reduce((n, d) => n * d, 1);
  if (isChunked(size)) return chunkedCells(dims, 'the output of groupedMatmul', (at, chunk, len) => make(at, `:${chunk}`, len));
  return make(unflatten('t', dims, 'o'), '', size);
}

/** group[r] = the g with o_g ≤ r < o_{g+1}; an empty group owns no row. */
function groupOfRows(offsets: ArrayLike<number>, groups: number, rows: number): Float32Array {
  const group = new Float32Array(rows);
  for (let g = 0; g < groups; g++) group.fill(g, offsets[g], offsets[g + 1]);
  return group;
}

/** Cells (o0, o1) = (r, j): row r of A (or row idx[r]) against column j of op(B_g), wherever bStrides place it. */
function rowsChunk(a: GpujsBuffer, b: GpujsBuffer, group: Float32Array, fused: FusedBuffers, s: RowsSpec, at: Snippet, chunk: string, size: number): Job {
  const [bGroup, bP, bJ] = s.bStrides;
  const constants = { ...at.constants, k: s.k, n: s.n, bGroup, bP, bJ };
  // Element (p, j) of op(B_g) is at g·bGroup + p·bP + j·bJ; a contiguous p saves the multiply, as in matmul.ts.
  const step = bP === 1 ? 'p' : 'p * this.constants.bP';
  const names = ['a', 'b', 'group', ...(fused.rowIndex ? ['idx'] : []), ...(fused.bias ? ['bias'] : [])];
  const source = kernelSource(names, [
    at.code,
    `const aRow = ${fused.rowIndex ? 'idx[o0]' : 'o0'} * this.constants.k;`,
    'const bCol = group[o0] * this.constants.bGroup + o1 * this.constants.bJ;',
    `let sum = ${fused.bias ? 'bias[group[o0] * this.constants.n + o1]' : '0.0'};`,
    'for (let p = 0; p < this.constants.k; p++) {',
    `  sum = sum + a[aRow + p] * b[bCol + ${step}];`,
    '}',
    'return sum;',
  ]);
  // A gathered A's row count is not the spec's `rows`: it goes in the key, as every argument's size must (a kernel is built for its arguments' sizes).
  const flags = `${fused.rowIndex ? `:gathered from ${s.aRows}` : ''}${fused.bias ? ':bias' : ''}`;
  const key = `groupedMatmul:rows:${s.groups}x${s.rows}x${s.k}x${s.n}:${s.bStrides.join(',')}${flags}${chunk}`;
  const args = [a, b, group, ...(fused.rowIndex ? [fused.rowIndex] : []), ...(fused.bias ? [fused.bias] : [])];
  return { key, spec: () => ({ source, constants, size, longestLoop: s.k }), args, size, dtype: a.dtype };
}

/** Cells (o0, o1, o2) = (g, i, j): column i of A_g against column j of B_g, over the rows of group g. */
function innerChunk(a: GpujsBuffer, b: GpujsBuffer, offsets: GpujsBuffer, s: InnerSpec, at: Snippet, chunk: string, size: number): Job {
  const constants = { ...at.constants, m: s.m, n: s.n };
  const source = kernelSource(['a', 'b', 'offsets'], [
    at.code,
    'const start = offsets[o0];',
    'const count = offsets[o0 + 1] - start;',
    'let sum = 0.0;',
    // An integer counter from 0: WGSL cannot increment a float loop variable.
    'for (let q = 0; q < count; q++) {',
    '  const r = start + q;',
    '  sum = sum + a[r * this.constants.m + o1] * b[r * this.constants.n + o2];',
    '}',
    'return sum;',
  ]);
  const key = `groupedMatmul:inner:${s.groups}x${s.rows}x${s.m}x${s.n}${chunk}`;
  return { key, spec: () => ({ source, constants, size, longestLoop: s.rows }), args: [a, b, offsets], size, dtype: a.dtype };
}

/** The most rows one group holds: the longest loop an 'inner' cell runs. */
export function longestGroup(offsets: ArrayLike<number>): number {
  let most = 0;
  for (let g = 0; g + 1 < offsets.length; g++) most = Math.max(most, offsets[g + 1]! - offsets[g]!);
  return most;
}
