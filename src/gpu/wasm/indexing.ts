/**
 * Row gather and scatter-add on the wasm heap, the dispatch primitives of a
 * Mixture of Experts. Rows are moved with block copies straight into the
 * output (no host round trip), and scatter-add folds each source row into
 * its target row with the SIMD add kernel, in increasing source order, so
 * the sums are deterministic exactly as the reference's.
 */
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';

function checkIndex(op: string, idx: Int32Array, rows: number): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (!(v >= 0 && v < rows)) throw new Error(`${op}: index ${v} at position ${i} is out of range for ${rows} rows`);
  }
}

export function gather(dev: WasmDevice, src: WasmBuffer, rows: number, cols: number, idx: WasmBuffer): WasmBuffer {
  const ix = dev.view(idx) as Int32Array;
  checkIndex('gather', ix, rows);
  const out = dev.alloc(src.dtype, ix.length * cols);
  // copyWithin on the whole heap: a block copy per row with no view made per row.
  const heap = dev.heap.f32, from = src.ptr >> 2, to = out.ptr >> 2;
  for (let i = 0; i < ix.length; i++) heap.copyWithin(to + i * cols, from + ix[i]! * cols, from + (ix[i]! + 1) * cols);
  return out;
}

export function scatterAdd(dev: WasmDevice, src: WasmBuffer, cols: number, idx: WasmBuffer, outRows: number): WasmBuffer {
  const ix = dev.view(idx) as Int32Array;
  checkIndex('scatterAdd', ix, outRows);
  const out = dev.alloc(src.dtype, outRows * cols);
  const o = dev.view(out), s = dev.view(src);
  o.fill(0);
  if (src.dtype !== 'float32') {
    for (let i = 0; i < ix.length; i++) for (let c = 0; c < cols; c++) o[ix[i]! * cols + c]! += s[i * cols + c]!;
    return out;
  }
  const add = dev.fn('b_add_vv');
  const rowBytes = cols * 4;
  for (let i = 0; i < ix.length; i++) {
    const dst = out.ptr + ix[i]! * rowBytes;
    add(dst, src.ptr + i * rowBytes, dst, 1, cols, 0, 0);
  }
  return out;
}
