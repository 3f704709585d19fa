/**
 * A ScatterMoE-style gradient check (Tan et al. 2024 test their kernels the
 * same way): a sparse top-k FFN MoE's gradients for the input, the router
 * and both expert weight sets (and the biases) against the per-token loop
 * reference, on sizes that are no multiple of any tile (odd, ≥ 3, so not of
 * 2, 4, 8, 16 …) and k ∈ {2, 3, 4}.
 *
 * The reference is oracle.ts's loop with S = softmax(x·W_r), the gates of
 * the chosen experts read from S; its derivative is taken by central
 * differences in float64, with the chosen experts held fixed at the drawn
 * point (top-k is piecewise constant: the gradient flows through the gates,
 * not the choice). The layer's derivative is its own autograd's. So the
 * check shares nothing with the layer but the weights.
 */
import fc from 'fast-check';
import { grad } from '../autograd/backward.js';
import { toTypedArray } from '../base/dtype.js';
import type { ActivationName } from '../nn/activations.js';
import { ffnOracle } from '../moe/oracle.js';
import { fromData } from '../tensor/create.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { ensure, InvariantError, list } from './check-error.js';
import { specRanking } from './routing-spec.js';
import { assertAsync, type RunOptions } from './run-options.js';

/** One drawn layer and batch; every array row-major, float64. */
export interface MoEGradCase {
  tokens: number;
  dModel: number;
  nExperts: number;
  expertHidden: number;
  k: number;
  activation: ActivationName;
  /** Every gate is multiplied by it: 1 (convex) or N (scaled), gate.ts. */
  gateScale: number;
  /** T×d */
  x: Float64Array;
  /** d×N: the router's logits are x·W_r (a linear router without bias). */
  router: Float64Array;
  /** d×(N·h), expert e owning columns e·h … (e+1)·h − 1 */
  w1: Float64Array;
  /** N·h, or null without biases */
  b1: Float64Array | null;
  /** (N·h)×d, expert e owning rows e·h … (e+1)·h − 1 */
  w2: Float64Array;
  /** d, shared and ungated, or null */
  b2: Float64Array | null;
}

/** The layer's output for a case and the tensors that hold each weight (the gradients are taken with respect to these). */
export interface MoEGradRun {
  y: Tensor;
  x: Tensor;
  router: Tensor;
  w1: Tensor;
  b1: Tensor | null;
  w2: Tensor;
  b2: Tensor | null;
}

/**
 * The layer under test on one case: top-k routing with the case's k, in
 * float64 (its output is compared with the loop's to 1e-6 relative, and its
 * gradients to central differences taken at ε = 1e-6).
 */
export type SparseMoEForward = (c: MoEGradCase) => MoEGradRun | Promise<MoEGradRun>;

export interface MoEGradcheckOptions extends RunOptions {
  activation?: ActivationName;
  /** 1 (default) or N: pass the layer's gateScale. 'scaled' stands for N. */
  gateScale?: number | 'scaled';
  bias?: boolean;
  ks?: readonly number[];
  eps?: number;
  atol?: number;
  rtol?: number;
}

const PARAMS = ['x', 'router', 'w1', 'b1', 'w2', 'b2'] as const;
type Param = (typeof PARAMS)[number];

/** Sizes and a weight seed: tokens 5..13, d 3..7, h 3..5, N 5 or 7 (all odd), k from `ks`. */
function caseArb(opts: MoEGradcheckOptions): fc.Arbitrary<MoEGradCase> {
  const ks = opts.ks ?? [2, 3, 4];
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1 || k > 5)) throw new Error(`moeGradcheck: ks=${list(ks)} must be integers in [1, 5] (N is 5 or 7)`);
  const odd = (min: number, max: number) => fc.integer({ min: (min - 1) / 2, max: (max - 1) / 2 }).map((i) => 2 * i + 1);
  return fc.record({ tokens: odd(5, 13), dModel: odd(3, 7), expertHidden: odd(3, 5), nExperts: fc.constantFrom(5, 7), k: fc.constantFrom(...ks), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }) })
    .map(({ seed, ...s }) => drawWeights(s, seed, opts));
}

function drawWeights(s: { tokens: number; dModel: number; nExperts: number; expertHidden: number; k: number }, seed: number, opts: MoEGradcheckOptions): MoEGradCase {
  const g = new Generator(seed);
  const normal = (n: number, scale: number) => Float64Array.from({ length: n }, () => g.normal() * scale);
  const { tokens: t, dModel: d, nExperts: n, expertHidden: h } = s;
  const bias = opts.bias ?? true;
  const gateScale = opts.gateScale === 'scaled' ? n : (opts.gateScale ?? 1);
  return {
    ...s, activation: opts.activation ?? 'gelu', gateScale,
    x: normal(t * d, 1), router: normal(d * n, 1), w1: normal(d * n * h, 1 / Math.sqrt(d)), b1: bias ? normal(n * h, 0.1) : null,
    w2: normal(n * h * d, 1 / Math.sqrt(h)), b2: bias ? normal(d, 0.1) : null,
  };
}

/** Σ_t,o y[t, o]·r[t, o] of the loop reference, the experts of each token fixed to `chosen`. */
function referenceLoss(c: MoEGradCase, chosen: readonly number[][], r: Float64Array): number {
  const y = referenceOutput(c, chosen);
  return y.reduce((s, v, i) => s + v * r[i]!, 0);
}

function referenceOutput(c: MoEGradCase, chosen: readonly number[][]): Float64Array {
  const { dModel: d, nExperts: n } = c;
  const gates = chosen.map((es, t) => {
    const logits = Array.from({ length: n }, (_, e) => { let z = 0; for (let i = 0; i < d; i++) z += c.x[t * d + i]! * c.router[i * n + e]!; return z; });
    const m = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
    return es.map((e) => Math.exp(logits[e]! - m) / z);
  });
  return ffnOracle(c, c.x, { experts: chosen.map((es) => [...es]), gates });
}

/** The spec's top-k of the reference's own scores. */
function topK(c: MoEGradCase): number[][] {
  const { tokens, dModel: d, nExperts: n } = c;
  return Array.from({ length: tokens }, (_, t) => {
    const row = Array.from({ length: n }, (_, e) => { let z = 0; for (let i = 0; i < d; i++) z += c.x[t * d + i]! * c.router[i * n + e]!; return z; });
    return specRanking(row).slice(0, c.k); // softmax keeps the order of the logits
  });
}

/** Which token or expert an element of a weight belongs to, for the message. */
function owner(c: MoEGradCase, p: Param, i: number): string {
  const { dModel: d, nExperts: n, expertHidden: h } = c;
  switch (p) {
    case 'x': return `x[token ${Math.floor(i / d)}, ${i % d}]`;
    case 'router': return `router[${Math.floor(i / n)}, expert ${i % n}]`;
    case 'w1': return `w1[${Math.floor(i / (n * h))}, ${i % (n * h)}] (expert ${Math.floor((i % (n * h)) / h)})`;
    case 'b1': return `b1[${i}] (expert ${Math.floor(i / h)})`;
    case 'w2': return `w2[${Math.floor(i / d)}, ${i % d}] (expert ${Math.floor(Math.floor(i / d) / h)})`;
    case 'b2': return `b2[${i}] (shared)`;
  }
}

async function checkCase(forward: SparseMoEForward, c: MoEGradCase, opts: MoEGradcheckOptions): Promise<void> {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-5 } = opts;
  const chosen = topK(c);
  const run = await forward(c);
  const yRef = referenceOutput(c, chosen);
  const y = await run.y.data();
  const what = `T=${c.tokens} d=${c.dModel} N=${c.nExperts} h=${c.expertHidden} k=${c.k}`;
  for (let i = 0; i < yRef.length; i++) {
    ensure(Math.abs(y[i]! - yRef[i]!) <= 1e-9 + 1e-6 * Math.abs(yRef[i]!), 'sparse MoE output', () =>
      `${what}: token ${Math.floor(i / c.dModel)} (experts ${list(chosen[Math.floor(i / c.dModel)]!)}), output ${i % c.dModel}: got ${y[i]}, the loop gives ${yRef[i]}`);
  }
  const g = new Generator(c.tokens * 7919 + c.k);
  const r = Float64Array.from({ length: yRef.length }, () => (g.uniform() < 0.5 ? -1 : 1) * (0.5 + g.uniform()));
  const rt = fromData(toTypedArray(r, run.y.dtype), run.y.shape, { backend: run.y.backend });
  const present = PARAMS.filter((p) => run[p] !== null && c[p] !== null);
  const grads = grad(run.y.mul(rt).sum(), present.map((p) => run[p]!));
  // Moved one element at a time in a copy: the layer may still hold the case's arrays.
  const probe: MoEGradCase = { ...c, x: c.x.slice(), router: c.router.slice(), w1: c.w1.slice(), b1: c.b1?.slice() ?? null, w2: c.w2.slice(), b2: c.b2?.slice() ?? null };
  let worst: { score: number; text: string } = { score: -1, text: '' };
  for (const [j, p] of present.entries()) {
    const analytic = grads[j] ? await grads[j]!.data() : new Float64Array(c[p]!.length);
    const values = probe[p]!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      values[i] = v + eps;
      const up = referenceLoss(probe, chosen, r);
      values[i] = v - eps;
      const down = referenceLoss(probe, chosen, r);
      values[i] = v;
      const numeric = (up - down) / (2 * eps);
      const score = Math.abs(analytic[i]! - numeric) / (atol + rtol * Math.abs(numeric));
      if (!(score <= worst.score)) worst = { score: Number.isNaN(score) ? Infinity : score, text: `∂/∂${owner(c, p, i)}: autograd ${analytic[i]}, the loop's finite difference ${numeric}` };
    }
  }
  if (worst.score > 1) throw new InvariantError('sparse MoE gradient', `${what}: ${worst.text}`);
}

/** Asserts the layer's output and gradients match the loop reference on drawn sizes, weights and k. */
export async function moeGradcheck(forward: SparseMoEForward, opts: MoEGradcheckOptions = {}): Promise<void> {
  await assertAsync(caseArb(opts), (c) => checkCase(forward, c, opts), opts, 6);
}
