/**
 * The dense feed-forward layer of the Dense baseline: y = act(x·W1 + b1)·W2 + b2.
 * It has the same W1 [d, N·h] and W2 [N·h, d] as MoEFeedForward, so the
 * Dense model is exactly the DS-MoE model with the routers taken away (the
 * paper's "the only parameter difference … arises from the router").
 */
import { kaimingUniform, zerosParam } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { fmt } from '../base/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { activation, type ActivationName } from '../nn/activations.js';

export class DenseFeedForward extends Module {
  readonly w1: Tensor;
  readonly b1: Tensor;
  readonly w2: Tensor;
  readonly b2: Tensor;

  constructor(readonly dModel: number, readonly hidden: number, readonly activation: ActivationName = 'gelu') {
    super();
    this.w1 = kaimingUniform([dModel, hidden], dModel);
    this.b1 = kaimingUniform([hidden], dModel);
    this.w2 = kaimingUniform([hidden, dModel], hidden);
    this.b2 = zerosParam([dModel]);
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.dModel) throw new Error(`DenseFeedForward: expected last axis ${this.dModel}, got ${fmt(x.shape)}`);
    return activation(this.activation, x.matmul(this.w1).add(this.b1)).matmul(this.w2).add(this.b2);
  }

  /** Multiply-adds per token. */
  macsPerToken(): number {
    return 2 * this.dModel * this.hidden;
  }
}
