/**
 * The DS-MoE language model: a decoder-only transformer
 *
 *   ids → token embedding (+ learned positions) → L × block → final norm → h·Eᵀ
 *   block: h += attention(norm(h));  h += ffn(norm(h))
 *
 * with a tied output head (the logits are the final states against the
 * embedding table, so the vocabulary costs parameters once). Which layers
 * sit in a block is what the three kinds of the paper's comparison differ in
 * (see lm-config.ts and lm-block.ts).
 *
 * Training (`forward` + `loss`) is dense: every expert runs and gets
 * gradients, and the routers' auxiliary losses come back explicitly, summed
 * over layers and weighted by the config. Inference (`infer`) runs each MoE
 * layer sparsely in the given mode and reports what that cost.
 */
import { Module } from '../nn/module.js';
import { Embedding } from '../nn/embedding.js';
import { PositionalEmbedding } from '../nn/positional-embedding.js';
import { noGrad } from '../tensor/grad-mode.js';
import { fmt } from '../base/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { freeResults, tidy } from '../tensor/tidy.js';
import { crossEntropy } from '../tensor/ops/functional.js';
import { type LMConfig, validateConfig } from './lm-config.js';
import { dtsTemperature } from './dts-gate.js';
import { Block, makeNorm, type BlockAux, type BlockInfer, type NormLayer } from './lm-block.js';
import { summarizeInfer, type LMInferOptions, type LMStats, type LayerStats } from './lm-stats.js';
import type { Routing } from './routing.js';
import type { DecodeState } from './decode-state.js';
import { fromData } from '../tensor/create.js';
import { canDecodeDirectly, decodeDirect, logitsTensor } from './direct-decode.js';

export interface LMAux {
  /** Per layer, the MI loss of the attention router / FFN router (dsmoe). */
  miAttn: Tensor[];
  miFfn: Tensor[];
  /** Per layer, the Switch load-balancing loss and router z-loss (smoe). */
  balance: Tensor[];
  zLoss: Tensor[];
  /** Per layer, router probabilities [B, S, N] (empty lists for dense layers). */
  ffnScores: Tensor[];
  attnScores: Tensor[];
}

export interface LMLoss {
  /** What backward() is called on: ce + α_ffn·ΣL_MI(ffn) + α_att·ΣL_MI(attn) (+ the smoe terms). */
  loss: Tensor;
  /** The language-model cross-entropy alone, in nats per token. */
  ce: Tensor;
  /** The summed auxiliary terms before weighting (a scalar 0 when a kind has none). */
  miAttn: Tensor;
  miFfn: Tensor;
  balance: Tensor;
  zLoss: Tensor;
}

export interface LMInferResult {
  logits: Tensor;
  /** Per layer: the routing of every token (B·S of them, row-major) in the attention and FFN layers; null where dense. */
  layers: { attn: Routing | null; ffn: Routing | null }[];
  stats: LMStats;
  /** How it ran: as a graph of tensor ops, or (decode, one token per sequence) as direct backend calls (direct-decode.ts). */
  path: 'graph' | 'direct';
}

export class LanguageModel extends Module {
  readonly config: LMConfig;
  readonly embed: Embedding;
  readonly pos: PositionalEmbedding | null;
  readonly blocks: Block[];
  readonly normOut: NormLayer;

  constructor(config: LMConfig) {
    super();
    validateConfig(config);
    this.config = { ...config };
    // GPT-2's 0.02: with a tied head, a unit-variance table would start with huge logits.
    this.embed = new Embedding(config.vocabSize, config.dModel, { std: 0.02 });
    this.pos = config.positions === 'learned' ? new PositionalEmbedding(config.maxSeqLen, config.dModel) : null;
    this.blocks = Array.from({ length: config.nLayers }, () => new Block(config));
    this.normOut = makeNorm(config);
    this.setTrainedSteps(0);
  }

  private trained = 0;

  /** Training steps taken: the DTS gate's schedule sets every router's temperature from it (dts-gate.ts). */
  get trainedSteps(): number {
    return this.trained;
  }

  /**
   * Records that the model has taken `steps` training steps: the trainer
   * after each step, a checkpoint's loader from its step. Under a DTS gate
   * every router's temperature becomes the schedule's at that step; without
   * one it stays 1.
   */
  setTrainedSteps(steps: number): void {
    if (!Number.isSafeInteger(steps) || steps < 0) throw new Error(`LanguageModel.setTrainedSteps: steps must be an integer ≥ 0, got ${steps}`);
    this.trained = steps;
    const tau = this.config.dts ? dtsTemperature(this.config.dts, steps) : 1;
    for (const b of this.blocks) for (const r of b.routers()) r.temperature = tau;
  }

  /** The routers' temperature now (1 without a DTS gate). */
  get gateTemperature(): number {
    return this.config.dts ? dtsTemperature(this.config.dts, this.trained) : 1;
  }

  private paramCount: number | undefined;

  /** Counted once: the config fixes the parameters, and every inference call reports the count (lm-stats.ts). */
  override numParameters(): number {
    return (this.paramCount ??= super.numParameters());
  }

  /** Dense training forward: ids [B, S] int32 → logits [B, S, vocab] and every router's auxiliary terms. */
  forward(ids: Tensor): { logits: Tensor; aux: LMAux } {
    let h = this.embedIds(ids);
    const aux: LMAux = { miAttn: [], miFfn: [], balance: [], zLoss: [], ffnScores: [], attnScores: [] };
    for (const block of this.blocks) {
      const out = block.forward(h);
      h = out.h;
      collect(aux, out.aux);
    }
    return { logits: this.head(h), aux };
  }

  /** The training objective for next-token prediction: ids [B, S] and targets [B, S] (ids shifted by one). */
  loss(ids: Tensor, targets: Tensor): LMLoss & { logits: Tensor; aux: LMAux } {
    const { logits, aux } = this.forward(ids);
    const ce = crossEntropy(logits, targets);
    const c = this.config;
    const miAttn = sum(aux.miAttn, ce);
    const miFfn = sum(aux.miFfn, ce);
    const balance = sum(aux.balance, ce);
    const zLoss = sum(aux.zLoss, ce);
    let loss = ce;
    if (aux.miFfn.length && c.alphaFfn > 0) loss = loss.add(miFfn.mul(c.alphaFfn));
    if (aux.miAttn.length && c.alphaAttn > 0) loss = loss.add(miAttn.mul(c.alphaAttn));
    if (aux.balance.length && c.balanceWeight > 0) loss = loss.add(balance.mul(c.balanceWeight));
    if (aux.zLoss.length && c.zLossWeight > 0) loss = loss.add(zLoss.mul(c.zLossWeight));
    return { loss, ce, miAttn, miFfn, balance, zLoss, logits, aux };
  }

  /**
   * Sparse inference: each MoE layer in `opts.mode`; attention follows
   * `opts.attention` ('dense' by default for topK, as the paper's TopK runs
   * attention densely, and the FFN's mode otherwise). No gradients.
   */
  infer(ids: Tensor, opts: LMInferOptions): Promise<LMInferResult> {
    return this.pass(ids, opts);
  }

  /**
   * The inference pass over ids at positions offset …, through the state's
   * caches when decoding. Every stage in a tidy, each residual stream freed
   * once the next block has read it: a call leaves only the logits on the
   * device, and a serving loop never waits for the collector.
   */
  private async pass(ids: Tensor, opts: LMInferOptions, state?: DecodeState): Promise<LMInferResult> {
    let h = await tidy(() => noGrad(() => this.embedIds(ids, state?.length ?? 0)));
    const layers: LMInferResult['layers'] = [];
    const stats: LayerStats[] = [];
    for (const [i, block] of this.blocks.entries()) {
      const out: BlockInfer = await block.infer(h, opts, state?.cache(i));
      freeResults(h);
      h = out.h;
      layers.push({ attn: out.attnRouting, ffn: out.ffnRouting });
      stats.push(out.stats);
    }
    const logits = await tidy(() => noGrad(() => this.head(h)));
    freeResults(h);
    return { logits, layers, stats: summarizeInfer(this, stats, ids.size), path: 'graph' };
  }

  /**
   * Incremental decoding: ids [B, S] are the *new* tokens of the state's B
   * sequences; their keys and values join the state's caches and the result
   * holds their logits [B, S, vocab] only. The first call is the prefill (the
   * prompts), each later one usually a single token. Routing is the new
   * tokens' own, in `opts.mode`, attention experts included. When the window
   * is full the state slides it (decode-state.ts) and the kept tokens are
   * encoded again before the new ones; the logits are those of a full
   * recompute over the tokens held.
   */
  async decode(state: DecodeState, ids: Tensor, opts: LMInferOptions): Promise<LMInferResult> {
    if (ids.dtype !== 'int32') throw new Error(`LanguageModel.decode: ids must be int32 [B, S], got ${ids.dtype} ${fmt(ids.shape)}`);
    state.check(this, ids.shape);
    const [b, s] = ids.shape as [number, number];
    const fresh = Array.from(await ids.data());
    const kept = state.slide(s);
    if (kept && kept[0]!.length > 0) {
      // Re-encode the kept window and the new tokens in one pass; only the new tokens' logits are returned.
      const all = Int32Array.from(kept.flatMap((row, i) => [...row, ...fresh.slice(i * s, (i + 1) * s)]));
      const r = await this.step(state, fromData(all, [b, kept[0]!.length + s], { backend: ids.backend }), all, opts);
      return this.lastPositions(r, s);
    }
    if (s === 1 && state.length > 0 && canDecodeDirectly(ids.backend)) return this.stepDirect(state, Int32Array.from(fresh), opts);
    return this.step(state, ids, fresh, opts);
  }

  /** One token per sequence through the backend's primitives, no graph (direct-decode.ts); the same values as step(). */
  private async stepDirect(state: DecodeState, ids: Int32Array, opts: LMInferOptions): Promise<LMInferResult> {
    const caches = this.blocks.map((_, i) => state.cache(i));
    const r = await decodeDirect(this, caches, ids, opts);
    state.record(ids, 1);
    const logits = logitsTensor(this.embed.weight.backend, r.logits, ids.length, this.config.vocabSize);
    return { logits, layers: r.layers, stats: summarizeInfer(this, r.stats, ids.length), path: 'direct' };
  }

  /** One cached pass over ids [B, S] (`host`: the same ids, read) at positions state.length …; records them in the state. */
  private async step(state: DecodeState, ids: Tensor, host: ArrayLike<number>, opts: LMInferOptions): Promise<LMInferResult> {
    const r = await this.pass(ids, opts, state);
    state.record(host, ids.shape[1]!);
    return r;
  }

  /** The logits and routing of the last s positions of each sequence (after a slide re-encoded the kept ones); the stats stay the whole pass's, the cost actually paid. */
  private async lastPositions(r: LMInferResult, s: number): Promise<LMInferResult> {
    const [b, total] = r.logits.shape as [number, number];
    const logits = await tidy(() => r.logits.slice(1, total - s, total));
    freeResults(r.logits);
    const rows = (x: Routing | null): Routing | null => {
      if (!x) return null;
      const pick = <T>(a: readonly T[]): T[] => Array.from({ length: b }, (_, i) => a.slice(i * total + total - s, (i + 1) * total)).flat();
      return { experts: pick(x.experts), gates: pick(x.gates) };
    };
    return { logits, layers: r.layers.map((l) => ({ attn: rows(l.attn), ffn: rows(l.ffn) })), stats: r.stats, path: r.path };
  }

  private embedIds(ids: Tensor, offset = 0): Tensor {
    if (ids.dtype !== 'int32' || ids.rank !== 2) throw new Error(`LanguageModel: ids must be int32 [B, S], got ${ids.dtype} ${fmt(ids.shape)}`);
    const s = ids.shape[1]!;
    if (offset + s > this.config.maxSeqLen) throw new Error(`LanguageModel: sequence length ${offset + s} exceeds maxSeqLen ${this.config.maxSeqLen}`);
    const x = this.embed.forward(ids);
    return this.pos ? this.pos.forward(x, offset) : x;
  }

  /** Final norm, then the tied head: logits = h·Eᵀ. */
  private head(h: Tensor): Tensor {
    return this.normOut.forward(h).matmul(this.embed.weight.transpose(0, 1));
  }
}

function collect(into: LMAux, a: BlockAux): void {
  if (a.miAttn) into.miAttn.push(a.miAttn);
  if (a.miFfn) into.miFfn.push(a.miFfn);
  if (a.balance) into.balance.push(a.balance);
  if (a.zLoss) into.zLoss.push(a.zLoss);
  if (a.ffnScores) into.ffnScores.push(a.ffnScores);
  if (a.attnScores) into.attnScores.push(a.attnScores);
}

/** Σ of the per-layer terms; a 0 built from `like` when there are none (so callers can always read it). */
function sum(terms: Tensor[], like: Tensor): Tensor {
  if (terms.length === 0) return like.detach().mul(0);
  return terms.reduce((a, b) => a.add(b));
}
