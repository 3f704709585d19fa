/**
 * LayerNorm over the last axis (Ba, Kiros & Hinton, 2016):
 *   y = (x − μ) / √(σ² + ε) · γ + β,
 * μ and σ² the mean and population variance of each row. Centring and
 * scaling make a layer's input statistics independent of the layers before
 * it; γ and β give the scale and shift back as parameters.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fusedNorm } from '../tensor/ops/fused.js';
import type { DType } from '../base/dtype.js';
import { Module } from './module.js';
import { checkEps, checkLastAxis, checkPositiveInt } from './checks.js';
import { onesParam, zerosParam } from './init.js';

export interface NormOptions {
  eps?: number;
  /** Learn γ (and β for LayerNorm); default true. */
  elementwiseAffine?: boolean;
  dtype?: DType;
}

export interface LayerNormOptions extends NormOptions {
  /** Learn β; default true. */
  bias?: boolean;
}

export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(readonly normalizedShape: number, opts: LayerNormOptions = {}) {
    super();
    checkPositiveInt('LayerNorm', 'size', normalizedShape);
    this.eps = opts.eps ?? 1e-5;
    checkEps('LayerNorm', this.eps);
    const dtype = opts.dtype ?? 'float32';
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? onesParam([normalizedShape], { dtype }) : null;
    this.bias = affine && opts.bias !== false ? zerosParam([normalizedShape], { dtype }) : null;
  }

  forward(x: Tensor): Tensor {
    checkLastAxis('LayerNorm', x, this.normalizedShape);
    const fused = fusedNorm('layer', x, this.eps, this.weight, this.bias); // inference: one kernel (tensor/ops/fused.ts)
    if (fused) return fused;
    const centred = x.sub(x.mean(-1, true));
    const invStd = centred.square().mean(-1, true).add(this.eps).rsqrt();
    let y = centred.mul(invStd);
    if (this.weight) y = y.mul(this.weight);
    if (this.bias) y = y.add(this.bias);
    return y;
  }
}
