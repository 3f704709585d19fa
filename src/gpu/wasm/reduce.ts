/**
 * Reductions on the wasm heap. Over the last axis (inner = 1) each row is
 * one SIMD horizontal reduce; over a middle axis the output row starts as
 * the first input row and the others are folded into it with the binary
 * kernel (add, max or min), which is SIMD along the contiguous inner axis.
 * Sums accumulate in float32 (the reference uses float64), so results agree
 * to float32 rounding of the partial sums.
 */
import type { ArgReduceOp, ReduceOp } from '../backend.js';
import * as ref from '../cpu/reduce.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';
import { partOf } from './matmul.js';
import type { Share } from './threads.js';

/** As for elementwise ops: a reduction is bound by memory, so only long ones are split. */
const PARALLEL_ELEMENTS = 1 << 20;
/** Narrower inner axes cost more in kernel calls than the plain loop. */
const MIN_SIMD_INNER = 16;

export function reduce(dev: WasmDevice, op: ReduceOp, x: WasmBuffer, outer: number, n: number, inner: number): WasmBuffer {
  const out = dev.alloc(x.dtype, outer * inner);
  if (out.size === 0) return out;
  if (x.dtype !== 'float32' || n === 0 || (inner > 1 && inner < MIN_SIMD_INNER)) {
    dev.view(out).set(ref.reduce(op, dev.view(x), outer, n, inner));
  } else if (inner === 1) {
    const parts = dev.shares(x.size >= PARALLEL_ELEMENTS && outer > 1);
    const shares: Share[] = [];
    for (let t = 0; t < parts; t++) {
      const [r0, r1] = partOf(outer, parts, t, 1);
      if (r1 > r0) shares.push({ args: [x.ptr + r0 * n * 4, out.ptr + r0 * 4, r1 - r0, n] });
    }
    dev.run(`r_${op}_rows`, shares);
  } else {
    const fold = dev.fn(`b_${op === 'sum' ? 'add' : op}_vv`);
    const o32 = dev.view(out), x32 = dev.view(x);
    const rowBytes = inner * 4;
    for (let o = 0; o < outer; o++) {
      const dst = out.ptr + o * rowBytes;
      const src = x.ptr + o * n * rowBytes;
      o32.set(x32.subarray(o * n * inner, o * n * inner + inner), o * inner);
      for (let j = 1; j < n; j++) fold(dst, src + j * rowBytes, dst, 1, inner, 0, 0);
    }
  }
  return out;
}

export function argReduce(dev: WasmDevice, op: ArgReduceOp, x: WasmBuffer, outer: number, n: number, inner: number): WasmBuffer {
  return dev.fromArray(ref.argReduce(op, dev.view(x), outer, n, inner));
}
