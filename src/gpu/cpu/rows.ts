/**
 * The fused row kernels (backend.ts's NormRowsSpec) as plain loops: one
 * pass per row for what the composite spells as a chain of primitives.
 * Sums accumulate in float64, as the reference reduce does. The wasm
 * backend runs the same loops on views of its heap where they are cheaper
 * than its SIMD kernels (rotary, small norms).
 */
import type { NormRowsSpec, RotaryRowsSpec, SoftmaxRowsSpec } from '../backend.js';
import type { FloatArray } from '../../base/dtype.js';

/** The columns row r of a softmax sees: all n, or the causal prefix (SoftmaxRowsSpec). */
export function visibleColumns(spec: SoftmaxRowsSpec, r: number): number {
  const c = spec.causal;
  return c ? Math.min(spec.n, c.past + (r % c.period) + 1) : spec.n;
}

/**
 * y = softmax(scale·x) of each row of x [rows, n] over its visible columns,
 * 0 past them; a row whose max is ±∞ is shifted by 0, as the composite's
 * guard does.
 */
export function softmaxRows(x: FloatArray, spec: SoftmaxRowsSpec, y: FloatArray): void {
  const { rows, n } = spec;
  const scale = spec.scale ?? 1;
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    const len = visibleColumns(spec, r);
    let m = -Infinity;
    for (let j = 0; j < len; j++) if (x[o + j]! > m) m = x[o + j]!;
    if (!Number.isFinite(m)) m = 0;
    let s = 0;
    for (let j = 0; j < len; j++) {
      const e = Math.exp(scale * (x[o + j]! - m));
      y[o + j] = e;
      s += e;
    }
    for (let j = 0; j < len; j++) y[o + j] = y[o + j]! / s;
    for (let j = len; j < n; j++) y[o + j] = 0;
  }
}

/** RMSNorm or LayerNorm of each row (spec.kind), then ·w and +b where given. */
export function normRows(x: FloatArray, spec: NormRowsSpec, y: FloatArray, w?: FloatArray, b?: FloatArray): void {
  const { rows, n, eps } = spec;
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    let mean = 0;
    if (spec.kind === 'layer') {
      for (let j = 0; j < n; j++) mean += x[o + j]!;
      mean /= n;
    }
    let sq = 0;
    for (let j = 0; j < n; j++) sq += (x[o + j]! - mean) ** 2;
    const inv = 1 / Math.sqrt(sq / n + eps);
    for (let j = 0; j < n; j++) {
      let v = (x[o + j]! - mean) * inv;
      if (w) v *= w[j]!;
      if (b) v += b[j]!;
      y[o + j] = v;
    }
  }
}

/** Rotate-half rotary of each row of d features with table row ⌊r / repeat⌋ mod period. */
export function rotaryRows(x: FloatArray, cos: FloatArray, sin: FloatArray, spec: RotaryRowsSpec, y: FloatArray): void {
  const { rows, d, repeat, period } = spec;
  const half = d / 2;
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    const t = (Math.floor(r / repeat) % period) * half;
    for (let i = 0; i < half; i++) {
      const x1 = x[o + i]!, x2 = x[o + half + i]!, c = cos[t + i]!, s = sin[t + i]!;
      y[o + i] = x1 * c - x2 * s;
      y[o + half + i] = x2 * c + x1 * s;
    }
  }
}
