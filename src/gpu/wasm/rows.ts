/**
 * The fused row kernels on the wasm heap. Softmax is one SIMD kernel
 * (softmax-kernel.ts), its rows split across the threads when large. Small
 * norms (a decoding step's rows) run the reference loops on views of the
 * heap: one pass, no kernel calls; large ones chain the SIMD kernels inside
 * the backend — the same passes as the composite, but without a tensor, a
 * graph node or a scheduled launch per step. Rotary is always the loop:
 * two multiply-adds per element, nothing for SIMD to win over a strided
 * walk of the halves.
 */
import type { NormRowsSpec, RotaryRowsSpec, SoftmaxRowsSpec } from '../backend.js';
import { partOf } from './matmul.js';
import type { Share } from './threads.js';
import * as ref from '../cpu/rows.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';
import * as ew from './elementwise.js';
import * as red from './reduce.js';

/** Elements below which the reference loop beats a chain of kernel calls (Math.exp costs ~12 ns; a call ~1 µs). */
const LOOP_ELEMENTS = 2048;

function f32(dev: WasmDevice, b: WasmBuffer): Float32Array {
  return dev.view(b) as Float32Array;
}

/** Rows below which one thread does the whole softmax (a share's wake-up outweighs the exps). */
const PARALLEL_SOFTMAX = 1 << 16;

/** One kernel (softmax-kernel.ts), its rows split across the threads when there are enough of them. */
export function softmaxRows(dev: WasmDevice, x: WasmBuffer, spec: SoftmaxRowsSpec): WasmBuffer {
  const { rows, n } = spec;
  const out = dev.alloc('float32', x.size);
  if (x.size === 0) return out;
  const scaleBits = new Int32Array(new Float32Array([spec.scale ?? 1]).buffer)[0]!;
  const [period, past] = spec.causal ? [spec.causal.period, spec.causal.past] : [0, 0];
  const parts = dev.shares(x.size >= PARALLEL_SOFTMAX);
  const shares: Share[] = [];
  for (let t = 0; t < parts; t++) {
    const [r0, r1] = partOf(rows, parts, t, 1);
    if (r1 > r0) shares.push({ args: [x.ptr + r0 * n * 4, out.ptr + r0 * n * 4, r1 - r0, n, scaleBits, period, past, r0] });
  }
  dev.run('softmax_rows', shares);
  return out;
}

export function normRows(dev: WasmDevice, x: WasmBuffer, spec: NormRowsSpec, w?: WasmBuffer, b?: WasmBuffer): WasmBuffer {
  const { rows, n, eps } = spec;
  if (x.size <= LOOP_ELEMENTS) {
    const out = dev.alloc('float32', x.size);
    ref.normRows(f32(dev, x), spec, f32(dev, out), w && f32(dev, w), b && f32(dev, b));
    return out;
  }
  const shape = [rows, n], col = [rows, 1], row = [n];
  const temps: WasmBuffer[] = [];
  let c = x;
  if (spec.kind === 'layer') {
    const mean = red.reduce(dev, 'sum', x, rows, n, 1);
    const mv = f32(dev, mean);
    for (let r = 0; r < rows; r++) mv[r] = mv[r]! / n;
    c = ew.binary(dev, 'sub', x, shape, mean, col, shape);
    temps.push(mean, c);
  }
  const sq = ew.binary(dev, 'mul', c, shape, c, shape, shape);
  const inv = red.reduce(dev, 'sum', sq, rows, n, 1);
  const iv = f32(dev, inv);
  for (let r = 0; r < rows; r++) iv[r] = 1 / Math.sqrt(iv[r]! / n + eps);
  temps.push(sq, inv);
  let y = ew.binary(dev, 'mul', c, shape, inv, col, shape);
  if (w) {
    temps.push(y);
    y = ew.binary(dev, 'mul', y, shape, w, row, shape);
  }
  if (b) {
    temps.push(y);
    y = ew.binary(dev, 'add', y, shape, b, row, shape);
  }
  for (const t of temps) dev.free(t);
  return y;
}

export function rotaryRows(dev: WasmDevice, x: WasmBuffer, cos: WasmBuffer, sin: WasmBuffer, spec: RotaryRowsSpec): WasmBuffer {
  const out = dev.alloc('float32', x.size);
  ref.rotaryRows(f32(dev, x), f32(dev, cos), f32(dev, sin), spec, f32(dev, out));
  return out;
}
