/**
 * The strided read (transpose, expand, slice, pad) on the wasm heap. Axes
 * are collapsed where the source steps through them as one (and no padding
 * window cuts them), so a slice of rows or an expand of a row becomes a few
 * long runs along the last axis: contiguous runs are block copies, stride-0
 * runs are fills, padding is zero-filled around the valid part of a run.
 */
import type { ViewSpec } from '../backend.js';
import { sizeOf } from '../../base/shape.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';

/** One axis after collapsing: its size, source stride and valid window [lo, hi). */
interface Axis {
  size: number;
  stride: number;
  lo: number;
  hi: number;
}

/** Runs shorter than this are copied element by element (a subarray costs an allocation). */
const BLOCK_COPY = 32;

function collapse(spec: ViewSpec): Axis[] {
  const axes: Axis[] = [];
  spec.shape.forEach((size, i) => {
    const [lo, hi] = spec.window?.[i] ?? [0, size];
    const whole = lo <= 0 && hi >= size;
    const last = axes[axes.length - 1];
    if (size === 1 && whole) return;
    if (last && whole && last.lo <= 0 && last.hi >= last.size && last.stride === spec.strides[i]! * size) {
      last.size *= size;
      last.stride = spec.strides[i]!;
      last.hi = last.size;
    } else {
      axes.push({ size, stride: spec.strides[i]!, lo: Math.max(0, lo), hi: Math.min(size, hi) });
    }
  });
  if (axes.length === 0) axes.push({ size: 1, stride: 1, lo: 0, hi: 1 });
  return axes;
}

export function view(dev: WasmDevice, x: WasmBuffer, spec: ViewSpec): WasmBuffer {
  const out = dev.alloc(x.dtype, sizeOf(spec.shape));
  if (out.size === 0) return out;
  const src = dev.view(x), dst = dev.view(out);
  const axes = collapse(spec);
  const r = axes.length;
  const { size: len, stride: step, lo, hi } = axes[r - 1]!;
  const outer = axes.slice(0, -1);
  const idx = new Array<number>(r - 1).fill(0);
  // How many outer axes currently sit outside their window: the run is all zeros unless none.
  let outside = outer.filter((a) => a.lo > 0 || a.hi <= 0).length;
  let off = spec.offset;
  const runs = out.size / len;
  for (let run = 0, o = 0; run < runs; run++, o += len) {
    if (outside > 0 || hi <= lo) {
      dst.fill(0, o, o + len);
    } else {
      if (lo > 0) dst.fill(0, o, o + lo);
      const s0 = off + lo * step, n = hi - lo;
      if (step === 0) dst.fill(src[s0]!, o + lo, o + hi);
      else if (step === 1 && n >= BLOCK_COPY) dst.set(src.subarray(s0, s0 + n), o + lo);
      else for (let i = 0, s = s0; i < n; i++, s += step) dst[o + lo + i] = src[s]!;
      if (hi < len) dst.fill(0, o + hi, o + len);
    }
    // Odometer over the outer axes, keeping the source offset and the outside count.
    for (let d = r - 2; d >= 0; d--) {
      const a = outer[d]!;
      const was = idx[d]! < a.lo || idx[d]! >= a.hi;
      idx[d]!++;
      off += a.stride;
      let now: boolean;
      if (idx[d]! < a.size) {
        now = idx[d]! < a.lo || idx[d]! >= a.hi;
        outside += Number(now) - Number(was);
        break;
      }
      off -= a.stride * a.size;
      idx[d] = 0;
      now = a.lo > 0 || a.hi <= 0;
      outside += Number(now) - Number(was);
    }
  }
  return out;
}
