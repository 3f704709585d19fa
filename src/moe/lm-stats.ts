/**
 * What a sparse forward of the whole model cost: the layers' routing
 * statistics rolled up into the numbers of the paper's Table 3 — active
 * parameters of the model, and the active fraction of the FFN and of the
 * attention. Everything that is not an expert (embeddings, norms, routers,
 * shared K/V) is always active.
 */
import type { Module } from '../nn/module.js';
import type { InferMode } from './routing.js';
import type { RoutingStats } from './stats.js';

export interface LMInferOptions {
  /** The FFN layers' mode. */
  mode: InferMode;
  /**
   * The attention layers' mode: 'follow' uses `mode`; 'dense' runs every
   * attention expert. Default: dense for topK (the paper's TopK keeps
   * attention dense, its utilisation being above 60%), follow otherwise.
   */
  attention?: InferMode | 'follow' | 'dense';
}

/** The attention mode that `opts` implies. */
export function attentionMode(opts: LMInferOptions): InferMode {
  const a = opts.attention ?? (opts.mode.mode === 'topK' ? 'dense' : 'follow');
  if (a === 'follow') return opts.mode;
  if (a === 'dense') return { mode: 'dense' };
  return a;
}

/** One block's layers; a dense layer reports itself fully active. */
export interface LayerStats {
  attn: RoutingStats;
  ffn: RoutingStats;
}

export interface LMStats {
  totalParams: number;
  /** Parameters a token touches on average. */
  activeParams: number;
  activeFraction: number;
  /** Σ active / Σ total over the FFN layers (routers included). */
  ffnActiveFraction: number;
  attnActiveFraction: number;
  /** Mean computing experts per token, over layers (shared and zero-computation experts aside). */
  ffnActiveExperts: number;
  attnActiveExperts: number;
  /** Mean zero-computation experts per token in the FFN layers, over layers. */
  ffnZeroExperts: number;
  /** Matmul FLOPs of the layers plus the output head, for the whole batch. */
  flops: number;
  layers: LayerStats[];
}

export function summarizeInfer(model: Module & { config: { dModel: number; vocabSize: number } }, layers: LayerStats[], tokens: number): LMStats {
  const totalParams = model.numParameters();
  const inactive = layers.reduce((s, l) => s + (l.ffn.totalParams - l.ffn.activeParams) + (l.attn.totalParams - l.attn.activeParams), 0);
  const sumOf = (f: (l: LayerStats) => number): number => layers.reduce((s, l) => s + f(l), 0);
  const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);
  const mean = (f: (l: LayerStats) => number): number => (layers.length ? sumOf(f) / layers.length : 0);
  const headFlops = 2 * tokens * model.config.dModel * model.config.vocabSize;
  return {
    totalParams,
    activeParams: totalParams - inactive,
    activeFraction: ratio(totalParams - inactive, totalParams),
    ffnActiveFraction: ratio(sumOf((l) => l.ffn.activeParams), sumOf((l) => l.ffn.totalParams)),
    attnActiveFraction: ratio(sumOf((l) => l.attn.activeParams), sumOf((l) => l.attn.totalParams)),
    ffnActiveExperts: mean((l) => l.ffn.activeExperts),
    attnActiveExperts: mean((l) => l.attn.activeExperts),
    ffnZeroExperts: mean((l) => l.ffn.zeroExperts),
    flops: sumOf((l) => l.ffn.flops + l.attn.flops) + headFlops,
    layers,
  };
}

/** Stats for a layer with no router: all of it active, one "expert" per token. */
export function denseLayerStats(tokens: number, totalParams: number, macsPerToken: number): RoutingStats {
  return { activeExperts: 1, zeroExperts: 0, sharedExperts: 0, load: [tokens], pairs: tokens, activeParams: totalParams, activeFraction: 1, totalParams, flops: 2 * tokens * macsPerToken, k: null };
}
