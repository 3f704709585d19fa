/**
 * The strided read (transpose, expand, slice) on the wasm heap. Axes are
 * collapsed where the source steps through them as one, so a slice of rows
 * or an expand of a row becomes a few long runs: contiguous runs are block
 * copies, stride-0 runs are fills. A padding window takes the reference path.
 */
import type { ViewSpec } from '../backend.js';
import * as ref from '../cpu/view.js';
import { sizeOf } from '../../tensor/shape.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';

export function view(dev: WasmDevice, x: WasmBuffer, spec: ViewSpec): WasmBuffer {
  const out = dev.alloc(x.dtype, sizeOf(spec.shape));
  if (out.size === 0) return out;
  const src = dev.view(x), dst = dev.view(out);
  if (spec.window) {
    dst.set(ref.view(src, spec));
    return out;
  }
  const dims: number[] = [], strides: number[] = [];
  spec.shape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === spec.strides[i]! * d) {
      dims[last]! *= d;
      strides[last] = spec.strides[i]!;
    } else {
      dims.push(d);
      strides.push(spec.strides[i]!);
    }
  });
  if (dims.length === 0) dims.push(1), strides.push(1);
  const r = dims.length;
  const len = dims[r - 1]!, step = strides[r - 1]!;
  const runs = out.size / len;
  const idx = new Array<number>(r - 1).fill(0);
  let off = spec.offset;
  for (let run = 0, o = 0; run < runs; run++, o += len) {
    if (step === 1) dst.set(src.subarray(off, off + len), o);
    else if (step === 0) dst.fill(src[off]!, o, o + len);
    else for (let i = 0, s = off; i < len; i++, s += step) dst[o + i] = src[s]!;
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < dims[d]!) break;
      off -= strides[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
