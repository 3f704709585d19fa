/**
 * RMSNorm (Zhang & Sennrich, 2019), the LLaMA normalisation:
 *   y = x / √(mean(x²) + ε) · γ.
 * It drops LayerNorm's centring (and β): rescaling alone carries most of
 * the benefit, at one reduction per row instead of two.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fusedNorm } from '../tensor/ops/fused.js';
import { onesParam } from './init.js';
import { Module } from './module.js';
import { checkEps, checkLastAxis, checkPositiveInt } from './checks.js';
import type { NormOptions } from './layer-norm.js';

export class RMSNorm extends Module {
  readonly weight: Tensor | null;
  readonly eps: number;

  constructor(readonly normalizedShape: number, opts: NormOptions = {}) {
    super();
    checkPositiveInt('RMSNorm', 'size', normalizedShape);
    this.eps = opts.eps ?? 1e-6;
    checkEps('RMSNorm', this.eps);
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? onesParam([normalizedShape], { dtype: opts.dtype ?? 'float32' }) : null;
  }

  forward(x: Tensor): Tensor {
    checkLastAxis('RMSNorm', x, this.normalizedShape);
    const fused = fusedNorm('rms', x, this.eps, this.weight); // inference: one kernel (tensor/ops/fused.ts)
    if (fused) return fused;
    const y = x.mul(x.square().mean(-1, true).add(this.eps).rsqrt());
    return this.weight ? y.mul(this.weight) : y;
  }
}
