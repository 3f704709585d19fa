/**
 * Causal multi-head self-attention with grouped-query K/V (Ainslie et al.,
 * 2023). The model dimension is projected to nHeads query heads and to
 * nKvHeads key and value heads of headDim each; every group of
 * nHeads/nKvHeads query heads shares one K/V head. nKvHeads = nHeads is
 * standard multi-head attention, nKvHeads = 1 is multi-query attention.
 *   q, k, v = x·Wq, x·Wk, x·Wv   (split into heads, rotated if rotary)
 *   y       = concat_h(softmax(q_h·k_hᵀ/√D + M)·v_h) · Wo
 */
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../base/dtype.js';
import { fmt } from '../base/shape.js';
import { Module } from './module.js';
import { checkPositiveInt } from './checks.js';
import { Linear } from './linear.js';
import { applyRotary } from './rotary.js';
import { causalAttention, splitHeads } from './attention-core.js';
import type { KvCache } from './kv-cache.js';

export type Positional = 'rotary' | 'none';

export interface MultiHeadAttentionOptions {
  dModel: number;
  nHeads: number;
  /** Key/value heads; must divide nHeads. Default nHeads. */
  nKvHeads?: number;
  /** Default dModel / nHeads. */
  headDim?: number;
  /** Default 'rotary'. Learned absolute positions live outside, in PositionalEmbedding. */
  positional?: Positional;
  /** Biases on the four projections; default false (as in LLaMA). */
  bias?: boolean;
  /** The rotary wavelength base; default 10000. */
  ropeBase?: number;
  dtype?: DType;
}

function checkConfig(o: MultiHeadAttentionOptions): { nKvHeads: number; headDim: number } {
  const positiveInt = (name: string, v: number): void => checkPositiveInt('MultiHeadAttention', name, v);
  positiveInt('dModel', o.dModel);
  positiveInt('nHeads', o.nHeads);
  const nKvHeads = o.nKvHeads ?? o.nHeads;
  positiveInt('nKvHeads', nKvHeads);
  if (o.nHeads % nKvHeads !== 0) throw new Error(`MultiHeadAttention: nKvHeads ${nKvHeads} must divide nHeads ${o.nHeads}`);
  if (o.headDim === undefined && o.dModel % o.nHeads !== 0) {
    throw new Error(`MultiHeadAttention: dModel ${o.dModel} is not divisible by nHeads ${o.nHeads}; give headDim explicitly`);
  }
  const headDim = o.headDim ?? o.dModel / o.nHeads;
  positiveInt('headDim', headDim);
  const positional = o.positional ?? 'rotary';
  if (positional !== 'rotary' && positional !== 'none') throw new Error(`MultiHeadAttention: positional must be 'rotary' or 'none', got '${String(positional)}'`);
  if (positional === 'rotary' && headDim % 2 !== 0) throw new Error(`MultiHeadAttention: rotary needs an even headDim, got ${headDim}`);
  return { nKvHeads, headDim };
}

export class MultiHeadAttention extends Module {
  readonly dModel: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly positional: Positional;
  readonly ropeBase: number;
  readonly wq: Linear;
  readonly wk: Linear;
  readonly wv: Linear;
  readonly wo: Linear;

  constructor(opts: MultiHeadAttentionOptions) {
    super();
    const { nKvHeads, headDim } = checkConfig(opts);
    this.dModel = opts.dModel;
    this.nHeads = opts.nHeads;
    this.nKvHeads = nKvHeads;
    this.headDim = headDim;
    this.positional = opts.positional ?? 'rotary';
    this.ropeBase = opts.ropeBase ?? 10000;
    const lin = { bias: opts.bias ?? false, dtype: opts.dtype };
    this.wq = new Linear(this.dModel, this.nHeads * headDim, lin);
    this.wk = new Linear(this.dModel, nKvHeads * headDim, lin);
    this.wv = new Linear(this.dModel, nKvHeads * headDim, lin);
    this.wo = new Linear(this.nHeads * headDim, this.dModel, lin);
  }

  private rotate(t: Tensor, offset: number): Tensor {
    return this.positional === 'rotary' ? applyRotary(t, offset, { base: this.ropeBase }) : t;
  }

  /**
   * x [B, S, dModel] → [B, S, dModel]. With a cache, x holds only the new
   * tokens: their keys and values are appended and they attend to all.
   */
  forward(x: Tensor, cache?: KvCache): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dModel) {
      throw new Error(`MultiHeadAttention(dModel=${this.dModel}): expected input [B, S, ${this.dModel}], got ${fmt(x.shape)}`);
    }
    const [b, s] = x.shape as [number, number];
    const offset = cache?.length ?? 0;
    const q = this.rotate(splitHeads(this.wq.forward(x), this.nHeads, this.headDim), offset);
    let k = this.rotate(splitHeads(this.wk.forward(x), this.nKvHeads, this.headDim), offset);
    let v = splitHeads(this.wv.forward(x), this.nKvHeads, this.headDim);
    if (cache) ({ k, v } = cache.append(k, v)); // [B, Hkv, capacity, D], positions < offset + S filled
    const heads = causalAttention(q, k, v, { past: offset }); // [B, H, S, D]
    return this.wo.forward(heads.transpose(1, 2).reshape([b, s, this.nHeads * this.headDim]));
  }
}
