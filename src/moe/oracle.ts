/**
 * The correctness oracle for the dispatcher: the naive loop over tokens and,
 * per token, over its chosen experts, in plain float64 arithmetic on the
 * host with no sorting, gathering or batching,
 *
 *   y[t] = b2 + shared(x[t]) + Σ_{(e, g) ∈ routing[t]} c·g · E_e(x[t]),
 *
 * c the layer's gate scale (1, or N: gate.ts), E_e the FFN expert
 * act(x·W1_e + b1_e)·W2_e for e < N and the zero-computation expert
 * e − N (0, x or its constant: zero-experts.ts) after them, shared(x) the
 * shared experts' dense block where the layer has one (shared-experts.ts).
 *
 * It shares nothing with the fast path but the weights and the routing, so
 * agreement between them checks the counting sort, the block slicing and
 * the gated combine. (Attention experts have their own oracle in
 * attention-oracle.ts.)
 */
import type { ActivationName } from '../nn/activations.js';
import type { Routing } from './routing.js';
import type { ZeroExpertKind } from './zero-experts.js';

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
  /** The shared experts' block (W1 d×(s·h), b1, W2 (s·h)×d, s·h = `hidden`), used by every token ungated; absent or null when none. */
  shared?: { hidden: number; w1: ArrayLike<number>; b1: ArrayLike<number> | null; w2: ArrayLike<number> } | null;
  /** Zero-computation experts, router choices N, N + 1, … in this order (default none). */
  zeroExperts?: readonly ZeroExpertKind[];
  /** The constant experts' vectors, Z_c×d row-major in their order. */
  constants?: ArrayLike<number> | null;
}

/** The router's choices: the N FFN experts, then the zero-computation ones. */
export function choicesOf(w: FfnHostWeights): number {
  return w.nExperts + (w.zeroExperts?.length ?? 0);
}

/** act(x·W1 + b1)·W2 over hidden units `from` … `to` − 1 of a block whose W1 is `width` wide. */
function hiddenUnits(w: { dModel: number; activation: ActivationName }, w1: ArrayLike<number>, b1: ArrayLike<number> | null, w2: ArrayLike<number>, width: number, from: number, to: number, x: ArrayLike<number>, xOffset: number): Float64Array {
  const d = w.dModel;
  const out = new Float64Array(d);
  for (let j = from; j < to; j++) {
    let a = b1 ? b1[j]! : 0;
    for (let i = 0; i < d; i++) a += x[xOffset + i]! * w1[i * width + j]!;
    const act = activate(w.activation, a);
    for (let o = 0; o < d; o++) out[o]! += act * w2[j * d + o]!;
  }
  return out;
}

/** Router choice e on one token x (length d): an FFN expert, or a zero-computation one for e ≥ N. A fresh Float64Array of length d. */
export function expertOnToken(w: FfnHostWeights, e: number, x: ArrayLike<number>, xOffset = 0): Float64Array {
  const { dModel: d, nExperts: n, expertHidden: h } = w;
  if (e < n) return hiddenUnits(w, w.w1, w.b1, w.w2, n * h, e * h, (e + 1) * h, x, xOffset);
  const kinds = w.zeroExperts ?? [];
  const kind = kinds[e - n];
  if (kind === undefined) throw new Error(`expertOnToken: choice ${e} is out of range for ${n} experts and ${kinds.length} zero-computation ones`);
  if (kind === 'zero') return new Float64Array(d);
  if (kind === 'copy') return Float64Array.from({ length: d }, (_, o) => x[xOffset + o]!);
  const row = kinds.slice(0, e - n).filter((k) => k === 'constant').length;
  return Float64Array.from({ length: d }, (_, o) => w.constants![row * d + o]!);
}

/** The shared experts on one token, or null when the layer has none. */
export function sharedOnToken(w: FfnHostWeights, x: ArrayLike<number>, xOffset = 0): Float64Array | null {
  const s = w.shared;
  return s ? hiddenUnits(w, s.w1, s.b1, s.w2, s.hidden, 0, s.hidden, x, xOffset) : null;
}

/** The naive sparse FFN: tokens x (T×d, row-major) under `routing` → T×d. */
export function ffnOracle(w: FfnHostWeights, x: ArrayLike<number>, routing: Routing): Float64Array {
  const d = w.dModel;
  const tokens = routing.experts.length;
  const y = new Float64Array(tokens * d);
  for (let t = 0; t < tokens; t++) {
    for (let o = 0; o < d; o++) y[t * d + o] = w.b2 ? w.b2[o]! : 0;
    const shared = sharedOnToken(w, x, t * d);
    if (shared) for (let o = 0; o < d; o++) y[t * d + o]! += shared[o]!;
    routing.experts[t]!.forEach((e, j) => {
      const g = (w.gateScale ?? 1) * routing.gates[t]![j]!;
      const out = expertOnToken(w, e, x, t * d);
      for (let o = 0; o < d; o++) y[t * d + o]! += g * out[o]!;
    });
  }
  return y;
}

type HostTensor = { data(): Promise<ArrayLike<number>> };

/** Reads a layer's weights back to the host for the oracle. */
export async function ffnHostWeights(layer: {
  dModel: number; nExperts: number; expertHidden: number; activation: ActivationName; gateScale?: number;
  w1: HostTensor; b1: HostTensor | null; w2: HostTensor; b2: HostTensor | null;
  shared?: { count: number; w1: HostTensor; b1: HostTensor | null; w2: HostTensor } | null;
  zeroExperts?: readonly ZeroExpertKind[];
  constants?: HostTensor | null;
}): Promise<FfnHostWeights> {
  const { dModel, nExperts, expertHidden, activation, gateScale } = layer;
  const s = layer.shared;
  return {
    dModel, nExperts, expertHidden, activation, gateScale,
    w1: await layer.w1.data(),
    b1: layer.b1 ? await layer.b1.data() : null,
    w2: await layer.w2.data(),
    b2: layer.b2 ? await layer.b2.data() : null,
    shared: s ? { hidden: s.count * expertHidden, w1: await s.w1.data(), b1: s.b1 ? await s.b1.data() : null, w2: await s.w2.data() } : null,
    zeroExperts: layer.zeroExperts ?? [],
    constants: layer.constants ? await layer.constants.data() : null,
  };
}
