/**
 * Stochastic gradient descent with momentum, as torch.optim.SGD computes it:
 *   g ← g + λ·p                                  L2 weight decay (coupled)
 *   b ← g on the first step, else μ·b + (1 − τ)·g   momentum buffer (τ: dampening)
 *   g ← g + μ·b if nesterov, else b
 *   p ← p − lr·g
 * Momentum averages gradients over ~1/(1 − μ) steps, damping oscillation
 * across a valley while accumulating speed along it; Nesterov's variant
 * looks one step ahead along the buffer.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { checkHyper, Optimizer, type Params, type UpdateContext } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: Params, opts: SGDOptions = {}) {
    super('SGD', params, opts.lr ?? 1e-3, opts.weightDecay ?? 0);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    checkHyper('SGD: momentum', this.momentum, 0);
    checkHyper('SGD: dampening', this.dampening, 0, 1);
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0)) {
      throw new Error(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
  }

  protected update(p: Tensor, g: Tensor, { lr, weightDecay, slots }: UpdateContext): Tensor {
    let d = weightDecay !== 0 ? g.add(p.mul(weightDecay)) : g;
    if (this.momentum !== 0) {
      const prev = slots.get('momentumBuffer');
      const buf = prev ? prev.mul(this.momentum).add(d.mul(1 - this.dampening)) : d;
      slots.set('momentumBuffer', buf);
      d = this.nesterov ? d.add(buf.mul(this.momentum)) : buf;
    }
    return p.sub(d.mul(lr));
  }
}
