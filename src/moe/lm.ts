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
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { freeResults, tidy } from '../tensor/tidy.js';
import { crossEntropy } from '../tensor/ops/functional.js';
import { type LMConfig, validateConfig } from './lm-config.js';
import { Block, makeNorm, type BlockAux, type BlockInfer, type NormLayer } from './lm-block.js';
import { summarizeInfer, type LMInferOptions, type LMStats, type LayerStats } from './lm-stats.js';
import type { Routing } from './routing.js';

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
  async infer(ids: Tensor, opts: LMInferOptions): Promise<LMInferResult> {
    // Every stage in a tidy, each residual stream freed once the next block has read it:
    // a call leaves only the logits on the device, and a serving loop never waits for the collector.
    let h = await tidy(() => noGrad(() => this.embedIds(ids)));
    const layers: LMInferResult['layers'] = [];
    const stats: LayerStats[] = [];
    for (const block of this.blocks) {
      const out: BlockInfer = await block.infer(h, opts);
      freeResults(h);
      h = out.h;
      layers.push({ attn: out.attnRouting, ffn: out.ffnRouting });
      stats.push(out.stats);
    }
    const logits = await tidy(() => noGrad(() => this.head(h)));
    freeResults(h);
    return { logits, layers, stats: summarizeInfer(this, stats, ids.size) };
  }

  private embedIds(ids: Tensor): Tensor {
    if (ids.dtype !== 'int32' || ids.rank !== 2) throw new Error(`LanguageModel: ids must be int32 [B, S], got ${ids.dtype} ${fmt(ids.shape)}`);
    const s = ids.shape[1]!;
    if (s > this.config.maxSeqLen) throw new Error(`LanguageModel: sequence length ${s} exceeds maxSeqLen ${this.config.maxSeqLen}`);
    const x = this.embed.forward(ids);
    return this.pos ? this.pos.forward(x) : x;
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
