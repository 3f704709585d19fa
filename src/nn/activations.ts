/**
 * Activation functions as modules, for Sequential stacks. Each is the
 * tensor method of the same name; they hold no parameters.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** max(0, x). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** x·Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel, 2016). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}

/** x·σ(x), also called Swish (Ramachandran et al., 2017). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export const ACTIVATIONS = ['relu', 'gelu', 'silu', 'tanh'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** The activation named by a config string, applied to a tensor. */
export function activation(name: ActivationName, x: Tensor): Tensor {
  switch (name) {
    case 'relu': return x.relu();
    case 'gelu': return x.gelu();
    case 'silu': return x.silu();
    case 'tanh': return x.tanh();
    default: throw new Error(`unknown activation '${String(name)}' (expected relu, gelu, silu or tanh)`);
  }
}
