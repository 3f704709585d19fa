/**
 * Top-k without sorting, since a kernel writes only its own cell. Two passes:
 *   rank: each element counts the elements of its row that come before it
 *         in the order (NaN first, then larger first; the lower index
 *         first on ties), so the ranks of a row are a permutation of 0…n-1;
 *   pick: output cell (row, j) finds the element of rank j.
 * O(n²) per row: meant for routers' rows (tens to a few thousand experts).
 */
import type { GpujsBuffer } from './buffer.js';
import { checkIndexable, unflatten } from './index-math.js';
import { kernelSource, type Job } from './job.js';
import { isNaNOf } from './specials.js';

export function rankJob(x: GpujsBuffer, rows: number, n: number): Job {
  checkIndexable('the input of topk', x.size);
  const idx = unflatten('t', [rows, n], 'o');
  const src = kernelSource(['x'], [
    idx.code,
    'const row = o0 * this.constants.n;',
    'const v = x[t];',
    'let rank = 0;',
    'for (let c = 0; c < this.constants.n; c++) {',
    '  const w = x[row + c];',
    // NaN comes first (the reference's order), NaNs and ties by index.
    `  if (${isNaNOf('w')}) { if (!${isNaNOf('v')} || c < o1) { rank = rank + 1; } }`,
    `  else { if (!${isNaNOf('v')}) { if (w > v || (w === v && c < o1)) { rank = rank + 1; } } }`,
    '}',
    'return rank;',
  ]);
  const constants = { ...idx.constants, n };
  return { key: `topk-rank:${rows}x${n}`, spec: () => ({ source: src, constants, size: rows * n, longestLoop: n }), args: [x], size: rows * n, dtype: 'int32' };
}

export function pickJob(ranks: GpujsBuffer, rows: number, n: number, k: number): Job {
  const idx = unflatten('t', [rows, k], 'o');
  const src = kernelSource(['ranks'], [
    idx.code,
    'const row = o0 * this.constants.n;',
    'let at = 0;',
    'for (let c = 0; c < this.constants.n; c++) {',
    '  if (ranks[row + c] === o1) { at = c; }',
    '}',
    'return at;',
  ]);
  const constants = { ...idx.constants, n };
  return { key: `topk-pick:${rows}x${n}x${k}`, spec: () => ({ source: src, constants, size: rows * k, longestLoop: n }), args: [ranks], size: rows * k, dtype: 'int32' };
}
