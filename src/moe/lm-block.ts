/**
 * One transformer block of the language model, pre-norm:
 *
 *   h = h + attention(norm1(h))
 *   h = h + ffn(norm2(h))
 *
 * The config's kind picks the layers (lm-config.ts):
 *   dsmoe  MoEAttention + MoEFeedForward, both trained densely, MI losses;
 *   smoe   dense attention + MoEFeedForward trained with top-k routing and
 *          the Switch load-balancing loss (and the router z-loss);
 *   dense  dense attention + DenseFeedForward, no routers.
 */
import { Dropout } from '../nn/dropout.js';
import type { KvCache } from '../nn/kv-cache.js';
import { LayerNorm } from '../nn/layer-norm.js';
import { Module } from '../nn/module.js';
import { MultiHeadAttention } from '../nn/multi-head-attention.js';
import { RMSNorm } from '../nn/rms-norm.js';
import { noGrad } from '../tensor/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { freeResults, tidy } from '../tensor/tidy.js';
import { DenseFeedForward } from './dense-ffn.js';
import type { LMConfig } from './lm-config.js';
import { attentionMode, denseLayerStats, type LayerStats, type LMInferOptions } from './lm-stats.js';
import { MoEAttention } from './moe-attention.js';
import { MoEFeedForward } from './moe-ffn.js';
import { inferAllExperts } from './dense-mode.js';
import type { InferMode, Routing } from './routing.js';
import type { RoutingStats } from './stats.js';

export type NormLayer = RMSNorm | LayerNorm;

export function makeNorm(c: LMConfig): NormLayer {
  return c.norm === 'rms' ? new RMSNorm(c.dModel) : new LayerNorm(c.dModel);
}

/** A block's auxiliary terms; absent where the block has no such router. */
export interface BlockAux {
  miAttn?: Tensor;
  miFfn?: Tensor;
  balance?: Tensor;
  zLoss?: Tensor;
  ffnScores?: Tensor;
  attnScores?: Tensor;
}

export interface BlockInfer {
  h: Tensor;
  attnRouting: Routing | null;
  ffnRouting: Routing | null;
  stats: LayerStats;
}

/** A topK that follows the FFN's may ask for more experts than attention has: then it uses them all. */
function clampK(mode: InferMode, nExperts: number): InferMode {
  return mode.mode === 'topK' && mode.k > nExperts ? { mode: 'topK', k: nExperts } : mode;
}

export class Block extends Module {
  readonly norm1: NormLayer;
  readonly norm2: NormLayer;
  readonly attn: MoEAttention | MultiHeadAttention;
  readonly ffn: MoEFeedForward | DenseFeedForward;
  readonly drop: Dropout;

  constructor(readonly config: LMConfig) {
    super();
    const c = config;
    this.norm1 = makeNorm(c);
    this.norm2 = makeNorm(c);
    const positional = c.positions === 'rotary' ? 'rotary' : 'none';
    this.attn = c.kind === 'dsmoe'
      ? new MoEAttention({
        dModel: c.dModel, nExperts: c.attnExperts, headsPerExpert: c.nHeads / c.attnExperts, headDim: c.headDim,
        nKvHeads: c.nKvHeads, positional, router: c.router, routerHidden: c.routerHidden, gate: c.attnGate,
      })
      : new MultiHeadAttention({ dModel: c.dModel, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, positional });
    const width = c.nExperts * c.expertHidden;
    this.ffn = c.kind === 'dense'
      ? new DenseFeedForward(c.dModel, width, c.activation)
      : new MoEFeedForward({
        dModel: c.dModel, nExperts: c.nExperts, expertHidden: c.expertHidden, activation: c.activation,
        router: c.router, routerHidden: c.routerHidden, gate: c.ffnGate,
        training: c.kind === 'smoe' ? { mode: 'topK', k: c.smoeTopK } : { mode: 'dense' },
      });
    this.drop = new Dropout(c.dropout);
  }

  forward(h: Tensor): { h: Tensor; aux: BlockAux } {
    const aux: BlockAux = {};
    const xa = this.norm1.forward(h);
    if (this.attn instanceof MoEAttention) {
      const a = this.attn.forward(xa);
      aux.miAttn = a.aux.mi;
      aux.attnScores = a.scores;
      h = h.add(this.drop.forward(a.y));
    } else {
      h = h.add(this.drop.forward(this.attn.forward(xa)));
    }
    const xf = this.norm2.forward(h);
    if (this.ffn instanceof MoEFeedForward) {
      const f = this.ffn.forward(xf);
      aux.ffnScores = f.scores;
      if (this.config.kind === 'smoe') {
        aux.balance = f.aux.switch;
        aux.zLoss = f.aux.z;
      } else {
        aux.miFfn = f.aux.mi;
      }
      h = h.add(this.drop.forward(f.y));
    } else {
      h = h.add(this.drop.forward(this.ffn.forward(xf)));
    }
    return { h, aux };
  }

  /**
   * Sparse inference of the block: routing decided on the host, layer by
   * layer. Each stage runs in a tidy and its result is freed once the next
   * stage has used it, so a call leaves only the new residual stream h on
   * the device (h itself is the caller's to free).
   */
  async infer(h: Tensor, opts: LMInferOptions, cache?: KvCache): Promise<BlockInfer> {
    const x1 = await tidy(() => noGrad(() => this.norm1.forward(h)));
    const attn = await this.inferAttention(x1, opts, cache);
    const h1 = await tidy(() => noGrad(() => h.add(attn.y)));
    freeResults(x1, attn.y, attn.scores);
    const x2 = await tidy(() => noGrad(() => this.norm2.forward(h1)));
    const ffn = await this.inferFfn(x2, opts);
    const h2 = await tidy(() => noGrad(() => h1.add(ffn.y)));
    freeResults(x2, h1, ffn.y, ffn.scores);
    return { h: h2, attnRouting: attn.routing, ffnRouting: ffn.routing, stats: { attn: attn.stats, ffn: ffn.stats } };
  }

  /**
   * The attention layer on the normed states x [B, S, d]: its output, routing
   * (null when dense) and cost. With a cache (decoding), x holds the new
   * tokens only, at positions cache.length …
   */
  private async inferAttention(x: Tensor, opts: LMInferOptions, cache?: KvCache): Promise<LayerInfer> {
    const tokens = x.size / this.config.dModel;
    const attn = this.attn;
    if (!(attn instanceof MoEAttention)) {
      // Multiply-adds per token of the projections (the score and value products depend on position).
      return { y: await tidy(() => noGrad(() => attn.forward(x, cache))), routing: null, stats: denseLayerStats(tokens, attn.numParameters(), attn.numParameters()) };
    }
    const mode = clampK(attentionMode(opts), attn.nExperts);
    const offset = cache?.length ?? 0;
    if (mode.mode === 'dense') return inferAllExperts(() => attn.forward(x, cache), attn.costModel(tokens, x.shape[1]!, offset));
    return attn.infer(x, mode, { cache });
  }

  /** The FFN layer on the normed states x [B, S, d]: its output, routing (null when dense) and cost. */
  private async inferFfn(x: Tensor, opts: LMInferOptions): Promise<LayerInfer> {
    const tokens = x.size / this.config.dModel;
    const ffn = this.ffn;
    if (!(ffn instanceof MoEFeedForward)) {
      return { y: await tidy(() => noGrad(() => ffn.forward(x))), routing: null, stats: denseLayerStats(tokens, ffn.numParameters(), ffn.macsPerToken()) };
    }
    return ffn.infer(x, opts.mode); // dense mode included: the layer runs it as its training forward
  }
}

/** One layer's part of a block's sparse inference: its output and router scores realized, for the block to free. */
interface LayerInfer {
  y: Tensor;
  scores?: Tensor;
  routing: Routing | null;
  stats: RoutingStats;
}
