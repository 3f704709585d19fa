/**
 * Initialisers. All draw from the seeded host generator, so a model built
 * after manualSeed(s) is the same on every backend.
 */
import { ones, rand, randn, zeros, type RandomOptions } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Shape } from '../base/shape.js';
import { noGrad } from '../tensor/grad-mode.js';

/** U(−bound, bound). */
export function uniform(shape: Shape, bound: number, opts: RandomOptions = {}): Tensor {
  return noGrad(() => rand(shape, opts).mul(2 * bound).sub(bound).detach()).requiresGrad_(opts.requiresGrad ?? true);
}

/** N(0, std²). */
export function normal(shape: Shape, std: number, opts: RandomOptions = {}): Tensor {
  return noGrad(() => randn(shape, opts).mul(std).detach()).requiresGrad_(opts.requiresGrad ?? true);
}

/** PyTorch's Linear default: U(−1/√fanIn, 1/√fanIn). */
export function kaimingUniform(shape: Shape, fanIn: number, opts: RandomOptions = {}): Tensor {
  return uniform(shape, 1 / Math.sqrt(fanIn), opts);
}

/** Glorot/Xavier uniform: U(−a, a), a = √(6/(fanIn + fanOut)). */
export function xavierUniform(shape: Shape, fanIn: number, fanOut: number, opts: RandomOptions = {}): Tensor {
  return uniform(shape, Math.sqrt(6 / (fanIn + fanOut)), opts);
}

/** A parameter of zeros (biases). */
export function zerosParam(shape: Shape, opts: RandomOptions = {}): Tensor {
  return zeros(shape, { ...opts, requiresGrad: opts.requiresGrad ?? true });
}

/** A parameter of ones (norm gains: the identity scale). */
export function onesParam(shape: Shape, opts: RandomOptions = {}): Tensor {
  return ones(shape, { ...opts, requiresGrad: opts.requiresGrad ?? true });
}
