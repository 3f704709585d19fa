/**
 * Sequential: modules applied one after another, y = f_n(…f_1(x)). The
 * layers sit in an array property, which Module already walks, so their
 * parameters are named 'layers.0.weight', 'layers.1.bias', …
 * (A plain array of modules is the ModuleList: assign one to a property.)
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** A module with a one-tensor-in, one-tensor-out forward. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

export class Sequential extends Module {
  readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }
}
