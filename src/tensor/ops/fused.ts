/**
 * Fused row kernels: softmax (with attention's scale and causal mask),
 * RMSNorm/LayerNorm and rotary as one backend call each, where the
 * composite spelling is a chain of 7–10 primitives. Each function here
 * returns the fused op, or null when it does not apply, and the caller then
 * builds its composite — the same value (to float rounding).
 *
 * It applies when the backend has the kernel (cpu, wasm; gpu.js runs the
 * composite) and the dtype is a float. Softmax and the norms are for
 * inference: they apply only when no gradient is wanted (autograd off, or
 * no input requires one), record none, and training differentiates their
 * composite. Rotary is the exception, because its gradient is as simple as
 * itself: a rotation by θ is undone by the rotation by −θ, so the backward
 * pass is the same kernel with sin negated (autograd/rules.ts). Training
 * runs it too, and so skips the composite's copies of the two halves and
 * its concatenation (two slices, two pads and six elementwise ops).
 */
import type { NormRowsSpec, RotaryRowsSpec, SoftmaxRowsSpec } from '../../gpu/backend.js';
import { isFloat } from '../../base/dtype.js';
import { isGradEnabled } from '../grad-mode.js';
import type { Tensor } from '../tensor.js';
import { make } from './core.js';

/**
 * True when the fused kernel named may stand in for the composite over these
 * inputs: none of them may want a gradient, except x where the kernel has a
 * backward rule of its own (`differentiable`).
 */
function fusable(kernel: 'softmaxRows' | 'normRows' | 'rotaryRows', x: Tensor, others: readonly Tensor[] = [], differentiable = false): boolean {
  if (!x.backend[kernel] || !isFloat(x.dtype) || x.size === 0) return false;
  if (others.some((t) => t.dtype !== x.dtype || t.backend !== x.backend)) return false;
  return !(isGradEnabled() && (differentiable ? others : [x, ...others]).some((t) => t.requiresGrad));
}

/** softmax over the last axis of x, fused; null where it does not apply. */
export function fusedSoftmax(x: Tensor, axis: number): Tensor | null {
  if (axis !== x.rank - 1 || !fusable('softmaxRows', x)) return null;
  const n = x.shape[axis]!;
  return make({ kind: 'softmaxRows', spec: { rows: x.size / n, n } }, [x], x.shape, x.dtype, null);
}

/**
 * Attention's softmax(scale·S + M) over the last axis of the scores S
 * [..., Sk], whose rows are queries cycling through `queries` positions
 * past … past + queries − 1, M their causal mask (attention-core.ts's
 * causalMask): the scale, the mask and the softmax in one kernel, the
 * masked entries never exponentiated. null where it does not apply.
 */
export function fusedCausalSoftmax(scores: Tensor, scale: number, queries: number, past: number): Tensor | null {
  if (!fusable('softmaxRows', scores) || !(scale > 0) || scores.rank < 1) return null;
  const n = scores.shape[scores.rank - 1]!;
  const spec: SoftmaxRowsSpec = { rows: scores.size / n, n, scale, causal: { period: queries, past } };
  return make({ kind: 'softmaxRows', spec }, [scores], scores.shape, scores.dtype, null);
}

/** RMSNorm or LayerNorm over the last axis of x, with weight [n] and bias [n] where given; null where it does not apply. */
export function fusedNorm(kind: NormRowsSpec['kind'], x: Tensor, eps: number, weight: Tensor | null, bias: Tensor | null = null): Tensor | null {
  const extra = [weight, bias].filter((t): t is Tensor => t !== null);
  if (!fusable('normRows', x, extra)) return null;
  const n = x.shape[x.rank - 1]!;
  const spec: NormRowsSpec = { kind, rows: x.size / n, n, eps };
  return make({ kind: 'normRows', spec, weight: weight !== null, bias: bias !== null }, [x, ...extra], x.shape, x.dtype, null);
}

/**
 * Rotate-half rotary of x [..., D] with tables cos, sin [..., D/2] that
 * broadcast against x's half-rows. Fused when the tables' leading axes
 * are 1s, then a run of x's own axes (the table rows), then 1s (each table
 * row repeated): [S, D/2] against [B, H, S, D] (a row per position), or
 * [M, 1, D/2] against [M, H, D] (a row per token, repeated over its heads).
 */
export function fusedRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor | null {
  if (!fusable('rotaryRows', x, [cos, sin], true) || cos.rank > x.rank || sin.rank !== cos.rank) return null;
  const d = x.shape[x.rank - 1]!;
  const lead = x.shape.slice(0, -1);
  const table = [...Array<number>(x.rank - cos.rank).fill(1), ...cos.shape.slice(0, -1)];
  if (cos.shape[cos.rank - 1] !== d / 2 || cos.shape.some((v, i) => v !== sin.shape[i])) return null;
  // Axes [lo, hi) of x are the table's (its first and last axes above 1); elsewhere the table has 1s.
  const big = table.map((v, i) => (v !== 1 ? i : -1)).filter((i) => i >= 0);
  const lo = big[0] ?? lead.length, hi = (big.at(-1) ?? lead.length - 1) + 1;
  for (let i = lo; i < hi; i++) if (table[i] !== lead[i]) return null;
  const prod = (a: readonly number[]): number => a.reduce((p, v) => p * v, 1);
  const spec = { rows: x.size / d, d, period: prod(lead.slice(lo, hi)), repeat: prod(lead.slice(hi)) };
  return rotaryRows(x, cos, sin, spec);
}

/** The rotaryRows node; differentiable in x (the tables are constants). */
export function rotaryRows(x: Tensor, cos: Tensor, sin: Tensor, spec: RotaryRowsSpec): Tensor {
  return make({ kind: 'rotaryRows', spec }, [x, cos, sin], x.shape, x.dtype, { kind: 'rotary', spec });
}
