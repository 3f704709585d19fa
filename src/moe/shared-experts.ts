/**
 * Shared experts (DeepSeekMoE, Dai et al. 2024): experts outside the router
 * that every token uses, so the routed experts need not each relearn what
 * all tokens need. Here they are one dense block of s·h hidden units, the
 * s experts side by side as the routed ones are in MoEFeedForward's W1 and
 * W2, added to the layer's output ungated (gate 1, as DeepSeekMoE's):
 *
 *   shared(x) = act(x·W1_s + b1_s)·W2_s        W1_s [d, s·h], W2_s [s·h, d]
 *
 * It has no output bias: the layer's b2 is added once, for the shared and
 * the routed experts together. Training and every inference mode run it
 * the same way, on every token; the router's loads never include it.
 */
import { activation, type ActivationName } from '../nn/activations.js';
import { checkPositiveInt } from '../nn/checks.js';
import { kaimingUniform } from '../nn/init.js';
import { Module } from '../nn/module.js';
import type { DType } from '../base/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

export class SharedExperts extends Module {
  /** [dModel, s·h]. */
  readonly w1: Tensor;
  /** [s·h] or null. */
  readonly b1: Tensor | null;
  /** [s·h, dModel]. */
  readonly w2: Tensor;

  constructor(readonly dModel: number, readonly count: number, readonly expertHidden: number, readonly activation: ActivationName, opts: { bias?: boolean; dtype?: DType } = {}) {
    super();
    checkPositiveInt('SharedExperts', 'count', count);
    const width = count * expertHidden;
    const dtype = opts.dtype;
    // A standard FFN of their joint width: W2's fan-in is s·h.
    this.w1 = kaimingUniform([dModel, width], dModel, { dtype });
    this.b1 = (opts.bias ?? true) ? kaimingUniform([width], dModel, { dtype }) : null;
    this.w2 = kaimingUniform([width, dModel], width, { dtype });
  }

  /** x2 [T, d] → [T, d]. */
  forward(x2: Tensor): Tensor {
    let hidden = x2.matmul(this.w1);
    if (this.b1) hidden = hidden.add(this.b1);
    return activation(this.activation, hidden).matmul(this.w2);
  }

  /** Parameters, all used by every token. */
  params(): number {
    const width = this.count * this.expertHidden;
    return 2 * this.dModel * width + (this.b1 ? width : 0);
  }

  /** Multiply-adds per token. */
  macsPerToken(): number {
    return 2 * this.dModel * this.count * this.expertHidden;
  }
}
