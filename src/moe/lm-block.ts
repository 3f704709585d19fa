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
import type { Router } from './router.js';
import { keepsEvery, route, routeSole, type InferMode, type Routing } from './routing.js';
import { routingStats } from './stats.js';

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
        // The shared experts are nExperts' first: the FFN stays nExperts·expertHidden wide in every kind.
        dModel: c.dModel, nExperts: c.nExperts - c.sharedExperts, expertHidden: c.expertHidden, activation: c.activation,
        router: c.router, routerHidden: c.routerHidden, gate: c.ffnGate,
        training: c.kind === 'smoe' ? { mode: 'topK', k: c.smoeTopK } : { mode: 'dense' },
        sharedExperts: c.sharedExperts, zeroExperts: c.zeroExperts,
      });
    this.drop = new Dropout(c.dropout);
  }

  /** The routers of this block (FFN and attention, where they have one). */
  routers(): Router[] {
    const out: Router[] = [];
    if (this.attn instanceof MoEAttention) out.push(this.attn.router);
    if (this.ffn instanceof MoEFeedForward) out.push(this.ffn.router);
    return out;
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
   * Sparse inference of the block. The device work runs in as few passes as
   * the host's routing decisions allow: a pass ends only where a router's
   * scores must be read to route (a sparse mode); dense layers and dense
   * modes stay inside the pass around them. So a decoding step of a block
   * with dense attention and a routed FFN is two passes — norm, attention,
   * residual, norm and the FFN router's scores; then the chosen experts and
   * the residual — where a pass per layer and per stage was six. Each pass
   * is a tidy (its intermediates freed at once), and what a pass returns is
   * freed once the next has read it: a call leaves only the new residual
   * stream h (the caller's to free).
   */
  async infer(h: Tensor, opts: LMInferOptions, cache?: KvCache): Promise<BlockInfer> {
    const [b, s, d] = h.shape as [number, number, number];
    const tokens = b * s;
    const offset = cache?.length ?? 0;
    const { attn, ffn } = this;
    const aMode = attn instanceof MoEAttention ? clampK(attentionMode(opts), attn.nExperts) : null;
    const fMode = opts.mode;
    const passes = new Passes();

    // Attention's routing, where the host decides it before the attention runs. A sole expert's
    // score is 1 (softmax of one logit), so its router need not run; otherwise pass 1 computes the scores.
    let aRouting: HostRouting | null = null;
    let x1: Tensor | undefined, aScores: Tensor | null = null;
    if (attn instanceof MoEAttention && attn.nExperts === 1) {
      aRouting = routeSole(tokens, aMode!);
    } else if (attn instanceof MoEAttention && aMode!.mode !== 'dense') {
      const p = await passes.run(() => {
        const x = this.norm1.forward(h);
        return { x, scores: attn.scoresOf(x) };
      });
      [x1, aScores] = [p.x, p.scores!];
      aRouting = route(await aScores.data(), tokens, attn.nExperts, aMode!);
    }

    // Pass 2: attention and its residual, then on to the FFN's routing decision — or through the FFN when it needs none.
    const ffnOnDevice = !(ffn instanceof MoEFeedForward) || ffn.mixesOnDevice(fMode);
    const p2 = await passes.run(() => {
      const x = x1 ?? this.norm1.forward(h);
      const out: Record<string, Tensor> = {};
      let ya: Tensor;
      if (!(attn instanceof MoEAttention)) ya = attn.forward(x, cache);
      else if (!aRouting) ya = attn.mixAll(x, (out.aScores = attn.scoresOf(x)), cache);
      else if (keepsEvery(aRouting, attn.nExperts)) ya = attn.mixAll(x, aScores, cache);
      else ya = attn.routed(x, aRouting, cache);
      const h1 = h.add(ya);
      const xf = this.norm2.forward(h1).reshape([tokens, d]);
      if (!(ffn instanceof MoEFeedForward)) return { ...out, h: h1.add(ffn.forward(xf).reshape([b, s, d])) };
      out.fScores = ffn.scoresOf(xf);
      if (ffnOnDevice) return { ...out, h: h1.add(ffn.mixAll(xf, out.fScores).reshape([b, s, d])) };
      return { ...out, h: h1, xf };
    });
    if (p2.aScores) aRouting = route(await p2.aScores.data(), tokens, (attn as MoEAttention).nExperts, aMode!);
    const fRouting = p2.fScores ? route(await p2.fScores.data(), tokens, (ffn as MoEFeedForward).nChoices, fMode) : null;

    // Pass 3, only where the FFN routes on the host: the chosen experts and the residual.
    let out = p2.h!;
    if (!ffnOnDevice) {
      const [h1, xf, sf, r, moe] = [p2.h!, p2.xf!, p2.fScores!, fRouting!, ffn as MoEFeedForward];
      const y = (): Tensor => (keepsEvery(r, moe.nChoices) ? moe.mixAll(xf, sf) : moe.routed(xf, r));
      out = (await passes.run(() => ({ h: h1.add(y().reshape([b, s, d])) }))).h!;
    }
    passes.freeAllBut(out);
    return {
      h: out,
      attnRouting: publicRouting(aRouting),
      ffnRouting: publicRouting(fRouting),
      stats: {
        attn: attn instanceof MoEAttention ? routingStats(aRouting!, attn.costModel(tokens, s, offset)) : denseLayerStats(tokens, attn.numParameters(), attn.numParameters()),
        ffn: ffn instanceof MoEFeedForward ? routingStats(fRouting!, ffn.costModel(tokens)) : denseLayerStats(tokens, ffn.numParameters(), ffn.macsPerToken()),
      },
    };
  }
}

/** The host's routing of one layer, with the K it used (routing.ts). */
type HostRouting = Routing & { k: number | null };

function publicRouting(r: HostRouting | null): Routing | null {
  return r ? { experts: r.experts, gates: r.gates } : null;
}

/**
 * The device passes of one block's inference: each a tidy without
 * gradients returning named tensors (realized), all of which the block
 * frees at the end but the one it hands on.
 */
class Passes {
  private readonly results: Tensor[] = [];

  async run(fn: () => Record<string, Tensor>): Promise<Partial<Record<string, Tensor>>> {
    let names: string[] = [];
    const list = await tidy(() => noGrad(() => {
      const named = fn();
      names = Object.keys(named);
      return names.map((k) => named[k]!);
    }));
    this.results.push(...list);
    return Object.fromEntries(names.map((k, i) => [k, list[i]!]));
  }

  freeAllBut(keep: Tensor): void {
    freeResults(...this.results.filter((t) => t !== keep));
  }
}
