/**
 * Dropout (Srivastava et al., 2014), inverted: in training each element is
 * kept with probability 1 − p and scaled by 1/(1 − p), so E[y] = x and
 * evaluation is the identity with no rescaling. The mask is drawn on the
 * host from a seeded Generator (the default one unless given), so a run is
 * reproducible on every backend.
 */
import type { Tensor } from '../tensor/tensor.js';
import { rand } from '../tensor/create.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Module } from './module.js';

export interface DropoutOptions {
  generator?: Generator;
}

export class Dropout extends Module {
  private readonly generator: Generator;

  constructor(readonly p = 0.5, opts: DropoutOptions = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.generator = opts.generator ?? defaultGenerator;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    const u = rand(x.shape, { dtype: x.dtype, backend: x.backend, generator: this.generator });
    // keep = [u ≥ p] has mean 1 − p; dividing by it keeps the expectation.
    const keep = u.ge(this.p);
    return x.mul(keep).mul(1 / (1 - this.p));
  }
}
