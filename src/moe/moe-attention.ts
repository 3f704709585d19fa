/**
 * MoEAttention: DS-MoE's attention experts (mixture of attention heads,
 * MoA, Zhang et al. 2022, as in ModuleFormer). Each of the N experts owns
 * headsPerExpert query heads, i.e. a column block of W_q and the matching
 * row block of W_o; keys and values are computed once per token and shared
 * by every expert (grouped-query attention). For a token x at position p,
 *
 *   a_e(x) = concat_j softmax(q_{e,j}(x)·K_{≤p}ᵀ/√D)·V_{≤p} · W_o,e
 *   y(x)   = Σ_e S_e(x)·a_e(x),        S = softmax(router(x))
 *
 * (or N·S_e, the 'scaled' gate of gate.ts: a uniform router then gives
 * exactly the dense attention of the same heads).
 *
 * Training (forward) is dense: all N·hpe heads in one causal attention, the
 * heads' outputs scaled by their expert's score, then one GEMM with W_o,
 *   Y = (A ⊙ repeat(S, hpe·D))·W_o.
 * Inference (infer) is sparse through the shared dispatcher: K and V are
 * computed for every token (they are shared), but a token computes queries,
 * attention and output projection only for the heads of its chosen experts.
 *
 * Head layout. Expert e's query heads are columns e·hpe·D … of W_q (local
 * head j at offset j·D), so one expert is one contiguous block. Inside the
 * attention the heads are ordered head-major, global head g = j·N + e, and
 * g reads K/V head ⌊g·Hkv/(N·hpe)⌋ as in causalAttention's GQA. When Hkv
 * divides hpe (the default Hkv = hpe included) that is ⌊j·Hkv/hpe⌋ for every
 * expert: all experts read the same K/V heads, MoA's sharing. Hkv = N·hpe
 * gives each head its own K/V (plain multi-head attention cut into experts).
 *
 * No biases on the projections (as in LLaMA). Positions: rotary (applied to
 * q and k at their absolute positions) or none (learned positions, if any,
 * are added by the model before the block). A KvCache may be passed for
 * generation: x then holds only the new tokens, whose keys and values are
 * appended and whose positions continue from the cache's length.
 */
import { checkPositiveInt } from '../nn/checks.js';
import { kaimingUniform } from '../nn/init.js';
import type { KvCache } from '../nn/kv-cache.js';
import { Module } from '../nn/module.js';
import type { Positional } from '../nn/multi-head-attention.js';
import { applyRotary, rotaryTables, rotateHalves } from '../nn/rotary.js';
import { attend, causalAttention, splitHeads } from '../nn/attention-core.js';
import { fromData } from '../tensor/create.js';
import { noGrad } from '../tensor/grad-mode.js';
import { gatherRows } from '../tensor/ops/indexing.js';
import { groupedMatmul } from '../tensor/ops/grouped-matmul.js';
import type { DType } from '../base/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/tidy.js';
import { fmt } from '../base/shape.js';
import { routerZLoss } from './balance-loss.js';
import { dispatchGrouped, sortByExpert, type ExpertGroups } from './dispatch.js';
import { attentionSlots } from './attention-slots.js';
import { checkGateScale, gateFactor, outputFanIn, type GateScale } from './gate.js';
import { miLoss } from './mi-loss.js';
import type { MoEForwardOutput, MoEInferOutput } from './moe-ffn.js';
import { Router, type RouterKind } from './router.js';
import { checkMode, route, type InferMode, type Routing } from './routing.js';
import { routingStats, type CostModel } from './stats.js';

/** MoEAttention's positions: the same choice as MultiHeadAttention's. */
export type AttentionPositional = Positional;

export interface MoEAttentionOptions {
  dModel: number;
  nExperts: number;
  headsPerExpert: number;
  /** Default dModel / (nExperts·headsPerExpert). */
  headDim?: number;
  /** Shared K/V heads; must divide nExperts·headsPerExpert. Default headsPerExpert. */
  nKvHeads?: number;
  router?: RouterKind;
  /** Hidden width of the 'mlp' router (default dModel). */
  routerHidden?: number;
  /** Default 'rotary'. */
  positional?: AttentionPositional;
  /** The rotary wavelength base; default 10000. */
  ropeBase?: number;
  /** How the experts' outputs are weighed (gate.ts): 'convex' (default) or 'scaled' (N·S_e). */
  gate?: GateScale;
  /** Parameter dtype (default float32; float64 runs on the cpu backend). */
  dtype?: DType;
}

function positiveInt(what: string, v: number): void {
  checkPositiveInt('MoEAttention', what, v);
}

export class MoEAttention extends Module {
  readonly dModel: number;
  readonly nExperts: number;
  readonly headsPerExpert: number;
  readonly headDim: number;
  readonly nKvHeads: number;
  readonly positional: AttentionPositional;
  readonly ropeBase: number;
  readonly gate: GateScale;
  /** gateFactor(gate, N): every gate S_e is multiplied by it. */
  readonly gateScale: number;
  readonly router: Router;
  /** [dModel, N·hpe·D]: expert e owns columns e·hpe·D … (e+1)·hpe·D − 1. */
  readonly wq: Tensor;
  /** [dModel, Hkv·D], shared. */
  readonly wk: Tensor;
  /** [dModel, Hkv·D], shared. */
  readonly wv: Tensor;
  /** [N·hpe·D, dModel]: expert e owns rows e·hpe·D … (e+1)·hpe·D − 1. */
  readonly wo: Tensor;

  constructor(opts: MoEAttentionOptions) {
    super();
    const { dModel, nExperts, headsPerExpert } = opts;
    positiveInt('dModel', dModel);
    positiveInt('nExperts', nExperts);
    positiveInt('headsPerExpert', headsPerExpert);
    const heads = nExperts * headsPerExpert;
    if (opts.headDim === undefined && dModel % heads !== 0) {
      throw new Error(`MoEAttention: dModel ${dModel} is not divisible by nExperts·headsPerExpert = ${heads}; give headDim explicitly`);
    }
    const headDim = opts.headDim ?? dModel / heads;
    positiveInt('headDim', headDim);
    const nKvHeads = opts.nKvHeads ?? headsPerExpert;
    positiveInt('nKvHeads', nKvHeads);
    if (heads % nKvHeads !== 0) throw new Error(`MoEAttention: nKvHeads ${nKvHeads} must divide nExperts·headsPerExpert = ${heads}`);
    const positional = opts.positional ?? 'rotary';
    if (positional !== 'rotary' && positional !== 'none') throw new Error(`MoEAttention: positional must be 'rotary' or 'none', got '${String(positional)}'`);
    if (positional === 'rotary' && headDim % 2 !== 0) throw new Error(`MoEAttention: rotary needs an even headDim, got ${headDim}`);
    this.dModel = dModel;
    this.nExperts = nExperts;
    this.headsPerExpert = headsPerExpert;
    this.headDim = headDim;
    this.nKvHeads = nKvHeads;
    this.positional = positional;
    this.ropeBase = opts.ropeBase ?? 10000;
    this.gate = opts.gate ?? 'convex';
    checkGateScale('MoEAttention', this.gate);
    this.gateScale = gateFactor(this.gate, nExperts);
    const dtype = opts.dtype;
    this.router = new Router({ dModel, nExperts, kind: opts.router ?? 'linear', hidden: opts.routerHidden, dtype });
    this.wq = kaimingUniform([dModel, heads * headDim], dModel, { dtype });
    this.wk = kaimingUniform([dModel, nKvHeads * headDim], dModel, { dtype });
    this.wv = kaimingUniform([dModel, nKvHeads * headDim], dModel, { dtype });
    // Each expert's W_o block has its own fan-in hpe·D under convex gates, all N experts' under scaled ones (gate.ts).
    this.wo = kaimingUniform([heads * headDim, dModel], outputFanIn(this.gate, nExperts, headsPerExpert * headDim), { dtype });
  }

  /** [B, S, d] as it is, [S, d] as one sequence. */
  private sequences(x: Tensor): Tensor {
    if (x.rank < 2 || x.rank > 3 || x.shape[x.rank - 1] !== this.dModel) {
      throw new Error(`MoEAttention: expected input [B, S, ${this.dModel}] or [S, ${this.dModel}], got ${fmt(x.shape)}`);
    }
    return x.rank === 3 ? x : x.reshape([1, ...x.shape]);
  }

  /** The K/V head read by expert e's local head j (see the head layout above). */
  kvHeadOf(e: number, j: number): number {
    const heads = this.nExperts * this.headsPerExpert;
    return Math.floor(((j * this.nExperts + e) * this.nKvHeads) / heads);
  }

  /**
   * Shared keys and values of the new tokens (rotated), [B, Hkv, S, D]; with
   * a cache, written into it and the whole cache returned, [B, Hkv, capacity, D]
   * (readers mask past each query's position, which hides the unfilled tail).
   */
  private keysValues(x3: Tensor, offset: number, cache?: KvCache): { k: Tensor; v: Tensor } {
    let k = splitHeads(x3.matmul(this.wk), this.nKvHeads, this.headDim);
    if (this.positional === 'rotary') k = applyRotary(k, offset, { base: this.ropeBase });
    const v = splitHeads(x3.matmul(this.wv), this.nKvHeads, this.headDim);
    return cache ? cache.append(k, v) : { k, v };
  }

  /** Training forward: all experts' heads, gated by the router's scores. */
  forward(x: Tensor, cache?: KvCache): MoEForwardOutput {
    const x3 = this.sequences(x);
    const logits = this.router.forward(x3);
    const scores = logits.softmax(-1);
    const y = this.mixAll(x3, scores, cache).reshape(x.shape);
    const lead = x.shape.slice(0, -1);
    return {
      y,
      scores: scores.reshape([...lead, this.nExperts]),
      logits: logits.reshape([...lead, this.nExperts]),
      aux: { mi: miLoss(scores, { logits }), z: routerZLoss(logits) },
    };
  }

  /** The router's probabilities S [B, S, N] for x3 [B, S, d]. */
  scoresOf(x3: Tensor): Tensor {
    return this.router.forward(x3).softmax(-1);
  }

  /**
   * Every expert's heads in one causal attention, each head's output scaled
   * by its expert's gate (gates [B, S, N], times the gate scale; null: every
   * gate 1, a sole expert's score), then one GEMM with W_o: [B, S, d] →
   * [B, S, d]. With a cache, x3 holds the new tokens only and their keys and
   * values join it.
   */
  mixAll(x3: Tensor, gates: Tensor | null, cache?: KvCache): Tensor {
    const [b, s] = x3.shape as [number, number];
    const [n, hpe, dh] = [this.nExperts, this.headsPerExpert, this.headDim];
    const offset = cache?.length ?? 0;
    const { k, v } = this.keysValues(x3, offset, cache);
    // [B, S, N·hpe·D] → head-major [B, hpe·N, S, D]
    let q = x3.matmul(this.wq).reshape([b, s, n, hpe, dh]).permute([0, 3, 2, 1, 4]).reshape([b, hpe * n, s, dh]);
    if (this.positional === 'rotary') q = applyRotary(q, offset, { base: this.ropeBase });
    const heads = causalAttention(q, k, v, { past: offset }).reshape([b, hpe, n, s, dh]).permute([0, 3, 2, 1, 4]); // [B, S, N, hpe, D]
    const g = gates === null || this.gateScale === 1 ? gates : gates.mul(this.gateScale);
    const gated = (g ? heads.mul(g.reshape([b, s, n, 1, 1])) : heads).reshape([b, s, n * hpe * dh]);
    return gated.matmul(this.wo);
  }

  /**
   * Sparse inference's output for x3 [B, S, d], routed on the host (one
   * routing per token, B·S of them): keys and values of every token (they
   * are shared, and join the cache), queries, attention and W_o only for
   * each token's experts, through the dispatcher. [B, S, d].
   */
  routed(x3: Tensor, routing: Routing, cache?: KvCache): Tensor {
    const [b, s] = x3.shape as [number, number];
    const x2 = x3.reshape([b * s, this.dModel]);
    const offset = cache?.length ?? 0;
    const kv = this.keysValues(x3, offset, cache);
    const pairs = sortByExpert(routing, this.nExperts);
    return dispatchGrouped(x2, pairs, this.dModel, (g) => this.experts(g, kv, s, offset), { gateScale: this.gateScale }).reshape(x3.shape);
  }

  /** Rotates rows q [M, H, D] at the given absolute positions (rotary's tables, gathered per row). */
  private rotateRows(q: Tensor, positions: Int32Array): Tensor {
    const dh = this.headDim;
    const longest = positions.reduce((m, p) => Math.max(m, p), 0) + 1;
    const { cos, sin } = rotaryTables(longest, dh, 0, q.dtype, q.backend, this.ropeBase);
    const at = fromData(positions, [positions.length], { backend: q.backend });
    const c = gatherRows(cos, at).reshape([positions.length, 1, dh / 2]);
    const sn = gatherRows(sin, at).reshape([positions.length, 1, dh / 2]);
    return rotateHalves(q, c, sn);
  }

  /** −∞ where key j lies after the query's position: [rows, Sk] for one query per row. */
  private slotMask(positions: Int32Array, keys: number, like: Tensor): Tensor {
    const data = like.dtype === 'float64' ? new Float64Array(positions.length * keys) : new Float32Array(positions.length * keys);
    positions.forEach((p, i) => data.fill(-Infinity, i * keys + p + 1, (i + 1) * keys));
    return fromData(data, [positions.length, keys], { backend: like.backend });
  }

  /**
   * Every expert on its pairs at once, as the FFN's grouped GEMM pair
   * (moe-ffn.ts's experts), with the attention between: queries of each
   * pair's heads from its expert's W_q block (a grouped GEMM reading the
   * tokens through the pairs' index), rotated at the token's position; all
   * heads of all sequences in one batched attention over the shared K/V
   * (attention-slots.ts); the gate; each pair's W_o block (a grouped GEMM).
   * [T, d] → [P, d], row i = g_i·a_e(x_t) for pair i = (t, e).
   */
  private experts(g: ExpertGroups, kv: { k: Tensor; v: Tensor }, seqLen: number, offset: number): Tensor {
    const [n, hpe, dh, hkv] = [this.nExperts, this.headsPerExpert, this.headDim, this.nKvHeads];
    const [b, , sk] = kv.k.shape as [number, number, number, number];
    const p = g.pairs.token.length;
    const on = { backend: g.x.backend };
    let q = groupedMatmul(g.x, this.wq, g.offsets, { rowIndex: g.token }).reshape([p, hpe, dh]); // [P, hpe, D]
    if (this.positional === 'rotary') q = this.rotateRows(q, g.pairs.token.map((t) => offset + (t % seqLen)));
    const slots = attentionSlots({
      token: g.pairs.token, expert: g.pairs.expert, batch: b, seqLen, offset,
      headsPerExpert: hpe, nKvHeads: hkv, kvHeadOf: (e, j) => this.kvHeadOf(e, j),
    });
    const r = slots.rows;
    const qs = gatherRows(q.reshape([p * hpe, dh]), fromData(slots.source, [b * hkv * r], on)).reshape([b * hkv, r, dh]);
    const mask = this.slotMask(slots.position, sk, q).reshape([b * hkv, r, sk]);
    const att = attend(qs, kv.k.reshape([b * hkv, sk, dh]), kv.v.reshape([b * hkv, sk, dh]), mask); // [B·Hkv, R, D]
    const heads = gatherRows(att.reshape([b * hkv * r, dh]), fromData(slots.slot, [p * hpe], on)).reshape([p, hpe * dh]);
    return groupedMatmul(heads.mul(g.gates), this.wo.reshape([n, hpe * dh, this.dModel]), g.offsets);
  }

  /**
   * Inference in any of the four modes (routing.ts): the router's scores,
   * the routing decided on the host, then routed(); dense mode is mixAll
   * under the scores, in one pass with them. Scores and output come back
   * realized, everything else the call built is freed at once (tidy; a
   * cache's buffers live outside every tidy).
   */
  async infer(x: Tensor, mode: InferMode, opts: { cache?: KvCache } = {}): Promise<MoEInferOutput> {
    const x3 = this.sequences(x);
    const [b, s] = x3.shape as [number, number];
    const cost = this.costModel(b * s, s, opts.cache?.length ?? 0);
    const lead = x.shape.slice(0, -1);
    checkMode(mode, this.nExperts);
    let y: Tensor, scores: Tensor, routing: Routing & { k: number | null };
    if (mode.mode === 'dense') {
      [y, scores] = await tidy(() => noGrad(() => {
        const sc = this.scoresOf(x3);
        return [this.mixAll(x3, sc, opts.cache).reshape(x.shape), sc.reshape([...lead, this.nExperts])] as const;
      }));
      routing = route(await scores.data(), b * s, this.nExperts, mode);
    } else {
      scores = await tidy(() => noGrad(() => this.scoresOf(x3).reshape([...lead, this.nExperts])));
      routing = route(await scores.data(), b * s, this.nExperts, mode);
      const r = routing;
      y = await tidy(() => noGrad(() => this.routed(x3, r, opts.cache).reshape(x.shape)));
    }
    return { y, scores, routing: { experts: routing.experts, gates: routing.gates }, stats: routingStats(routing, cost) };
  }

  /**
   * Router, W_k and W_v always on; each expert d·hpe·D (W_q) + hpe·D·d (W_o).
   * A pair's multiply-adds: its projections plus, per head, q·Kᵀ and A·V over
   * the p + 1 keys a token at position p sees.
   */
  costModel(tokens: number, seqLen: number, offset = 0): CostModel {
    const [d, hpe, dh, hkv] = [this.dModel, this.headsPerExpert, this.headDim, this.nKvHeads];
    return {
      nExperts: this.nExperts,
      sharedParams: this.router.numParameters() + 2 * d * hkv * dh,
      paramsPerExpert: 2 * d * hpe * dh,
      sharedMacs: tokens * (this.router.macsPerToken() + 2 * d * hkv * dh),
      macsPerPair: (t) => 2 * d * hpe * dh + hpe * 2 * dh * (offset + (t % seqLen) + 1),
    };
  }
}
