/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay,
 * written as PyTorch's torch.optim.AdamW computes it (amsgrad off):
 *   p ← p·(1 − lr·λ)                      decay, outside the gradient
 *   m ← lerp(m, g, 1 − β1)                 first moment
 *   v ← β2·v + (1 − β2)·g²                 second moment
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * The bias corrections undo the zero start of m and v; decoupling the decay
 * keeps it from being rescaled by √v, which is what Adam + L2 got wrong.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { zerosLike } from '../../tensor/create.js';
import { checkHyper, Optimizer, type Params, type UpdateContext } from './optimizer.js';

export interface AdamWOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

/** PyTorch's lerp: a + w·(b − a), or b − (1 − w)·(b − a) when w ≥ ½ (the more accurate form there). */
function lerp(a: Tensor, b: Tensor, w: number): Tensor {
  const d = b.sub(a);
  return w < 0.5 ? a.add(d.mul(w)) : b.sub(d.mul(1 - w));
}

export class AdamW extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;

  constructor(params: Params, opts: AdamWOptions = {}) {
    super('AdamW', params, opts.lr ?? 1e-3, opts.weightDecay ?? 1e-2);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    checkHyper('AdamW: betas[0]', this.betas[0], 0, 1, true);
    checkHyper('AdamW: betas[1]', this.betas[1], 0, 1, true);
    checkHyper('AdamW: eps', this.eps, 0);
  }

  protected update(p: Tensor, g: Tensor, { step, lr, weightDecay, slots }: UpdateContext): Tensor {
    const [b1, b2] = this.betas;
    const decayed = weightDecay !== 0 ? p.mul(1 - lr * weightDecay) : p;
    const m = lerp(slots.get('expAvg') ?? zerosLike(p), g, 1 - b1);
    const v = (slots.get('expAvgSq') ?? zerosLike(p)).mul(b2).add(g.mul(g).mul(1 - b2));
    slots.set('expAvg', m);
    slots.set('expAvgSq', v);
    const stepSize = lr / (1 - Math.pow(b1, step));
    const denom = v.sqrt().div(Math.sqrt(1 - Math.pow(b2, step))).add(this.eps);
    return decayed.sub(m.div(denom).mul(stepSize));
  }
}
