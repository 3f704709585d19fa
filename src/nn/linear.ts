/**
 * Linear: y = x·W + b. W is stored [in, out] (the transpose of PyTorch's
 * [out, in]) so the forward pass is the untransposed GEMM, the fastest
 * layout on every backend.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../base/dtype.js';
import { fmt } from '../base/shape.js';
import { Module } from './module.js';
import { kaimingUniform } from './init.js';

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 1 || outFeatures < 1) {
      throw new Error(`Linear: sizes must be positive integers, got ${inFeatures}×${outFeatures}`);
    }
    const dtype = opts.dtype ?? 'float32';
    this.weight = kaimingUniform([inFeatures, outFeatures], inFeatures, { dtype });
    this.bias = opts.bias === false ? null : kaimingUniform([outFeatures], inFeatures, { dtype });
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}→${this.outFeatures}): input has last axis ${x.shape[x.rank - 1]} (shape ${fmt(x.shape)})`);
    }
    const y = x.matmul(this.weight);
    return this.bias ? y.add(this.bias) : y;
  }
}
