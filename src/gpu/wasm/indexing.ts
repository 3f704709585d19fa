/**
 * Row gather and scatter-add on the wasm heap, the dispatch primitives of a
 * Mixture of Experts, as the SIMD kernels of indexing-kernel.ts. The gather
 * is split across threads by output rows; so is the scatter-add, by the rows
 * it writes, each thread folding in its rows' sources in increasing source
 * order — so the sums are deterministic exactly as the reference's, however
 * many threads there are.
 */
import * as ref from '../cpu/indexing.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';
import { partOf } from './matmul.js';
import type { Share } from './threads.js';

/**
 * Bytes moved from which a second thread pays. Rows that sit in cache move
 * at memory speed on one core already (2 MiB: 0.045 ms on one thread or
 * two, on the benchmark machine), and the scatter-add's threads all scan
 * the index, so only transfers well past the cache split: a 16 MiB gather
 * takes 0.52 ms on one thread and 0.32 on two, a 16 MiB scatter-add 0.80
 * and 0.76.
 */
export const PARALLEL_GATHER_BYTES = 1 << 22;
export const PARALLEL_SCATTER_BYTES = 1 << 24;

function checkIndex(op: string, idx: Int32Array, rows: number): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (!(v >= 0 && v < rows)) throw new Error(`${op}: index ${v} at position ${i} is out of range for ${rows} rows`);
  }
}

export function gather(dev: WasmDevice, src: WasmBuffer, rows: number, cols: number, idx: WasmBuffer): WasmBuffer {
  const ix = dev.view(idx) as Int32Array;
  checkIndex('gather', ix, rows);
  const n = ix.length;
  const out = dev.alloc(src.dtype, n * cols);
  if (out.size === 0) return out;
  const parts = dev.shares(4 * n * cols >= PARALLEL_GATHER_BYTES);
  const shares: Share[] = [];
  for (let t = 0; t < parts; t++) {
    const [i0, i1] = partOf(n, parts, t, 1);
    if (i1 > i0) shares.push({ args: [src.ptr, idx.ptr + 4 * i0, out.ptr + 4 * i0 * cols, i1 - i0, cols] });
  }
  dev.run('gather_rows', shares);
  return out;
}

export function scatterAdd(dev: WasmDevice, src: WasmBuffer, cols: number, idx: WasmBuffer, outRows: number): WasmBuffer {
  const ix = dev.view(idx) as Int32Array;
  checkIndex('scatterAdd', ix, outRows);
  if (src.dtype !== 'float32') {
    const out = dev.alloc(src.dtype, outRows * cols);
    dev.view(out).set(ref.scatterAdd(dev.view(src), cols, ix, outRows));
    return out;
  }
  const out = dev.alloc('float32', outRows * cols);
  if (out.size === 0) return out;
  const parts = dev.shares(4 * (ix.length + outRows) * cols >= PARALLEL_SCATTER_BYTES);
  const shares: Share[] = [];
  for (let t = 0; t < parts; t++) {
    const [r0, r1] = partOf(outRows, parts, t, 1);
    if (r1 > r0) shares.push({ args: [src.ptr, idx.ptr, ix.length, out.ptr, cols, r0, r1] });
  }
  dev.run('scatter_add_rows', shares);
  return out;
}
