/**
 * The fused row kernels on the wasm heap. Small calls (a decoding step's
 * rows) run the reference loops on views of the heap: one pass, no kernel
 * calls. Large ones (a prefill's attention scores) chain the SIMD kernels
 * inside the backend — the same passes as the composite, but without a
 * tensor, a graph node or a scheduled launch per step. Rotary is always the
 * loop: two multiply-adds per element, nothing for SIMD to win over a
 * strided walk of the halves.
 */
import type { NormRowsSpec, RotaryRowsSpec } from '../backend.js';
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

export function softmaxRows(dev: WasmDevice, x: WasmBuffer, rows: number, n: number): WasmBuffer {
  if (x.size <= LOOP_ELEMENTS) {
    const out = dev.alloc('float32', x.size);
    ref.softmaxRows(f32(dev, x), rows, n, f32(dev, out));
    return out;
  }
  const shape = [rows, n], col = [rows, 1];
  const m = red.reduce(dev, 'max', x, rows, n, 1);
  const mv = f32(dev, m);
  for (let r = 0; r < rows; r++) if (!Number.isFinite(mv[r]!)) mv[r] = 0; // the composite's guard: −∞ − (−∞) is NaN
  const z = ew.binary(dev, 'sub', x, shape, m, col, shape);
  const e = ew.unary(dev, 'exp', z);
  const s = red.reduce(dev, 'sum', e, rows, n, 1);
  const y = ew.binary(dev, 'div', e, shape, s, col, shape);
  for (const t of [m, z, e, s]) dev.free(t);
  return y;
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
