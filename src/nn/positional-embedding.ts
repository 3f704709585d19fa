/**
 * Learned absolute positions (GPT-2): position t owns a trained vector P_t
 * that is added to the token embedding, x_t + P_t. Simple, but the model
 * cannot run past the maxLen positions it was built with (rotary can).
 */
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../base/dtype.js';
import { fmt } from '../base/shape.js';
import { Module } from './module.js';
import { normal } from './init.js';

export interface PositionalEmbeddingOptions {
  /** N(0, std²) initialisation; GPT-2 used 0.01–0.02. */
  std?: number;
  dtype?: DType;
}

export class PositionalEmbedding extends Module {
  readonly weight: Tensor;

  constructor(readonly maxLen: number, readonly dim: number, opts: PositionalEmbeddingOptions = {}) {
    super();
    if (!Number.isInteger(maxLen) || !Number.isInteger(dim) || maxLen < 1 || dim < 1) {
      throw new Error(`PositionalEmbedding: sizes must be positive integers, got ${maxLen}×${dim}`);
    }
    this.weight = normal([maxLen, dim], opts.std ?? 0.02, { dtype: opts.dtype ?? 'float32' });
  }

  /** x [..., S, dim] + P[offset … offset+S−1]. */
  forward(x: Tensor, offset = 0): Tensor {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.dim) {
      throw new Error(`PositionalEmbedding(${this.maxLen}, ${this.dim}): expected input [..., S, ${this.dim}], got ${fmt(x.shape)}`);
    }
    const s = x.shape[x.rank - 2]!;
    if (!Number.isInteger(offset) || offset < 0 || offset + s > this.maxLen) {
      throw new Error(`PositionalEmbedding: positions ${offset}…${offset + s - 1} exceed maxLen ${this.maxLen}`);
    }
    return x.add(this.weight.slice(0, offset, offset + s));
  }
}
