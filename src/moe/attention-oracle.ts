/**
 * The correctness oracle for sparse MoEAttention: loops over tokens, over
 * each token's chosen experts and over their heads, in float64 on the
 * host. For token t at position p of sequence b, expert e and its head j:
 *
 *   q   = rot_p(x_t·W_q[:, e·hpe·D + j·D …])
 *   k_i = rot_i(x_{b,i}·W_k[:, c·D …]),  v_i = x_{b,i}·W_v[:, c·D …],  c = kvHeadOf(e, j), i ≤ p
 *   a   = Σ_i softmax_i(q·k_i/√D)·v_i
 *   y_t += g · a·W_o[e·hpe·D + j·D …, :]
 *
 * with rot_p rotary's rotation (pairs (i, i + D/2), angle p·base^(−2i/D)).
 */
import type { Positional } from '../nn/multi-head-attention.js';
import type { Routing } from './routing.js';

export interface AttentionHostWeights {
  dModel: number;
  nExperts: number;
  headsPerExpert: number;
  headDim: number;
  nKvHeads: number;
  positional: Positional;
  ropeBase: number;
  /** Every gate is multiplied by this (gate.ts); 1 when absent. */
  gateScale?: number;
  wq: ArrayLike<number>;
  wk: ArrayLike<number>;
  wv: ArrayLike<number>;
  wo: ArrayLike<number>;
}

/** The K/V head read by expert e's local head j (head-major order, GQA grouping). */
export function kvHeadOf(w: AttentionHostWeights, e: number, j: number): number {
  return Math.floor(((j * w.nExperts + e) * w.nKvHeads) / (w.nExperts * w.headsPerExpert));
}

/** x_t·W[:, col … col + D) for token row t of x (T×d). */
function project(x: ArrayLike<number>, t: number, d: number, w: ArrayLike<number>, width: number, col: number, dh: number): Float64Array {
  const out = new Float64Array(dh);
  for (let c = 0; c < dh; c++) {
    let a = 0;
    for (let i = 0; i < d; i++) a += x[t * d + i]! * w[i * width + col + c]!;
    out[c] = a;
  }
  return out;
}

function rotate(w: AttentionHostWeights, v: Float64Array, position: number): Float64Array {
  if (w.positional === 'none') return v;
  const dh = v.length;
  const half = dh / 2;
  const out = new Float64Array(dh);
  for (let i = 0; i < half; i++) {
    const angle = position * Math.pow(w.ropeBase, (-2 * i) / dh);
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    out[i] = v[i]! * c - v[i + half]! * s;
    out[i + half] = v[i + half]! * c + v[i]! * s;
  }
  return out;
}

/**
 * Expert e's output a_e for token t of x (B·S tokens of d features, row-major,
 * sequences of length seqLen, positions starting at 0).
 */
export function attentionExpertOnToken(w: AttentionHostWeights, e: number, x: ArrayLike<number>, t: number, seqLen: number): Float64Array {
  const { dModel: d, nExperts: n, headsPerExpert: hpe, headDim: dh, nKvHeads: hkv } = w;
  const p = t % seqLen;
  const first = t - p;
  const out = new Float64Array(d);
  for (let j = 0; j < hpe; j++) {
    const col = (e * hpe + j) * dh;
    const q = rotate(w, project(x, t, d, w.wq, n * hpe * dh, col, dh), p);
    const c = kvHeadOf(w, e, j);
    const logits = new Float64Array(p + 1);
    const values: Float64Array[] = [];
    for (let i = 0; i <= p; i++) {
      const k = rotate(w, project(x, first + i, d, w.wk, hkv * dh, c * dh, dh), i);
      values.push(project(x, first + i, d, w.wv, hkv * dh, c * dh, dh));
      logits[i] = q.reduce((acc, qi, r) => acc + qi * k[r]!, 0) / Math.sqrt(dh);
    }
    const m = Math.max(...logits);
    const weights = logits.map((l) => Math.exp(l - m));
    const z = weights.reduce((a, b) => a + b, 0);
    const a = new Float64Array(dh);
    values.forEach((v, i) => v.forEach((vi, r) => (a[r]! += (weights[i]! / z) * vi)));
    for (let r = 0; r < dh; r++) for (let o = 0; o < d; o++) out[o]! += a[r]! * w.wo[(col + r) * d + o]!;
  }
  return out;
}

/** The naive sparse MoEAttention: y[t] = Σ_{(e, g) ∈ routing[t]} c·g·a_e(x_t), c the gate scale. */
export function attentionOracle(w: AttentionHostWeights, x: ArrayLike<number>, seqLen: number, routing: Routing): Float64Array {
  const d = w.dModel;
  const y = new Float64Array(routing.experts.length * d);
  routing.experts.forEach((es, t) => es.forEach((e, j) => {
    const a = attentionExpertOnToken(w, e, x, t, seqLen);
    const g = (w.gateScale ?? 1) * routing.gates[t]![j]!;
    for (let o = 0; o < d; o++) y[t * d + o]! += g * a[o]!;
  }));
  return y;
}

/** Reads a layer's weights back to the host for the oracle. */
export async function attentionHostWeights(layer: {
  dModel: number; nExperts: number; headsPerExpert: number; headDim: number; nKvHeads: number;
  positional: Positional; ropeBase: number; gateScale?: number;
  wq: { data(): Promise<ArrayLike<number>> }; wk: { data(): Promise<ArrayLike<number>> };
  wv: { data(): Promise<ArrayLike<number>> }; wo: { data(): Promise<ArrayLike<number>> };
}): Promise<AttentionHostWeights> {
  const { dModel, nExperts, headsPerExpert, headDim, nKvHeads, positional, ropeBase, gateScale } = layer;
  return {
    dModel, nExperts, headsPerExpert, headDim, nKvHeads, positional, ropeBase, gateScale,
    wq: await layer.wq.data(), wk: await layer.wk.data(), wv: await layer.wv.data(), wo: await layer.wo.data(),
  };
}
