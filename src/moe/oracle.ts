/**
 * The correctness oracle for the dispatcher: the naive loop over tokens and,
 * per token, over its chosen experts, in plain float64 arithmetic on the
 * host with no sorting, gathering or batching,
 *
 *   y[t] = b2 + Σ_{(e, g) ∈ routing[t]} c·g · act(x[t]·W1_e + b1_e)·W2_e,
 *
 * c the layer's gate scale (1, or N: gate.ts).
 *
 * It shares nothing with the fast path but the weights and the routing, so
 * agreement between them checks the counting sort, the block slicing and
 * the gated combine. (Attention experts have their own oracle in
 * attention-oracle.ts.)
 */
import type { ActivationName } from '../nn/activations.js';
import type { Routing } from './routing.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The engine's activations, on one number (gelu: the tanh form the kernels use). */
function activate(name: ActivationName, v: number): number {
  switch (name) {
    case 'relu': return Math.max(0, v);
    case 'silu': return v / (1 + Math.exp(-v));
    case 'tanh': return Math.tanh(v);
    case 'gelu': return 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
  }
}

/** An FFN layer's weights on the host (row-major, shapes as in MoEFeedForward). */
export interface FfnHostWeights {
  dModel: number;
  nExperts: number;
  expertHidden: number;
  activation: ActivationName;
  /** Every gate is multiplied by this (gate.ts); 1 when absent. */
  gateScale?: number;
  w1: ArrayLike<number>;
  b1: ArrayLike<number> | null;
  w2: ArrayLike<number>;
  b2: ArrayLike<number> | null;
}

/** Expert e on one token x (length d): a fresh Float64Array of length d. */
export function expertOnToken(w: FfnHostWeights, e: number, x: ArrayLike<number>, xOffset = 0): Float64Array {
  const { dModel: d, nExperts: n, expertHidden: h } = w;
  const out = new Float64Array(d);
  for (let j = e * h; j < (e + 1) * h; j++) {
    let a = w.b1 ? w.b1[j]! : 0;
    for (let i = 0; i < d; i++) a += x[xOffset + i]! * w.w1[i * n * h + j]!;
    const act = activate(w.activation, a);
    for (let o = 0; o < d; o++) out[o]! += act * w.w2[j * d + o]!;
  }
  return out;
}

/** The naive sparse FFN: tokens x (T×d, row-major) under `routing` → T×d. */
export function ffnOracle(w: FfnHostWeights, x: ArrayLike<number>, routing: Routing): Float64Array {
  const d = w.dModel;
  const tokens = routing.experts.length;
  const y = new Float64Array(tokens * d);
  for (let t = 0; t < tokens; t++) {
    for (let o = 0; o < d; o++) y[t * d + o] = w.b2 ? w.b2[o]! : 0;
    routing.experts[t]!.forEach((e, j) => {
      const g = (w.gateScale ?? 1) * routing.gates[t]![j]!;
      const out = expertOnToken(w, e, x, t * d);
      for (let o = 0; o < d; o++) y[t * d + o]! += g * out[o]!;
    });
  }
  return y;
}

/** Reads a layer's weights back to the host for the oracle. */
export async function ffnHostWeights(layer: {
  dModel: number; nExperts: number; expertHidden: number; activation: ActivationName; gateScale?: number;
  w1: { data(): Promise<ArrayLike<number>> }; b1: { data(): Promise<ArrayLike<number>> } | null;
  w2: { data(): Promise<ArrayLike<number>> }; b2: { data(): Promise<ArrayLike<number>> } | null;
}): Promise<FfnHostWeights> {
  const { dModel, nExperts, expertHidden, activation, gateScale } = layer;
  return {
    dModel, nExperts, expertHidden, activation, gateScale,
    w1: await layer.w1.data(),
    b1: layer.b1 ? await layer.b1.data() : null,
    w2: await layer.w2.data(),
    b2: layer.b2 ? await layer.b2.data() : null,
  };
}
