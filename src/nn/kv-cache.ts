/**
 * A key/value cache for autoregressive generation. Keys and values of the
 * tokens already seen never change (attention is causal), so each step
 * computes them for the new tokens only and appends them here; the new
 * queries then attend over the whole cache.
 */
import { cat } from '../tensor/ops/movement.js';
import type { Tensor } from '../tensor/tensor.js';

export class KvCache {
  k: Tensor | null = null;
  v: Tensor | null = null;

  /** Positions already cached: the rotary offset of the next token. */
  get length(): number {
    return this.k ? this.k.shape[2]! : 0;
  }

  /** Appends k, v [B, Hkv, S, D] along the sequence axis and returns the whole cache. */
  append(k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    this.k = this.k ? cat([this.k, k], 2) : k;
    this.v = this.v ? cat([this.v, v], 2) : v;
    return { k: this.k, v: this.v! };
  }

  clear(): void {
    this.k = null;
    this.v = null;
  }
}
