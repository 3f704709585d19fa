/**
 * Embedding: a lookup table. Token id i picks row i of W [vocab, d]; the
 * gradient scatters back into the rows that were read (gatherRows's rule),
 * so only the embeddings of tokens in the batch change.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../base/dtype.js';
import { fmt } from '../base/shape.js';
import { gatherRows } from '../tensor/ops/indexing.js';
import { Module } from './module.js';
import { normal } from './init.js';

export interface EmbeddingOptions {
  /** Standard deviation of the N(0, std²) initialisation; PyTorch's default is 1. */
  std?: number;
  dtype?: DType;
}

export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    if (!Number.isInteger(numEmbeddings) || !Number.isInteger(embeddingDim) || numEmbeddings < 1 || embeddingDim < 1) {
      throw new Error(`Embedding: sizes must be positive integers, got ${numEmbeddings}×${embeddingDim}`);
    }
    this.weight = normal([numEmbeddings, embeddingDim], opts.std ?? 1, { dtype: opts.dtype ?? 'float32' });
  }

  /** int32 ids of any shape [...] → [..., embeddingDim]. */
  forward(ids: Tensor): Tensor {
    if (ids.dtype !== 'int32') throw new Error(`Embedding: ids must be int32, got ${ids.dtype} ${fmt(ids.shape)}`);
    const rows = gatherRows(this.weight, ids.reshape([ids.size]), 'Embedding');
    return rows.reshape([...ids.shape, this.embeddingDim]);
  }
}
