/**
 * The argument checks that layers share, so every layer words the same
 * mistake the same way and names itself (`owner`) in the message.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../base/shape.js';

/** Throws "<owner>: <what> must be a positive integer, got v" unless v is one. */
export function checkPositiveInt(owner: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${owner}: ${what} must be a positive integer, got ${v}`);
}

/** Checks that the last axis of x is `dim`. */
export function checkLastAxis(owner: string, x: Tensor, dim: number): void {
  if (x.rank === 0 || x.shape[x.rank - 1] !== dim) {
    throw new Error(`${owner}(${dim}): input's last axis must be ${dim}, got shape ${fmt(x.shape)}`);
  }
}

/** A normalisation's ε: positive and finite. */
export function checkEps(owner: string, eps: number): void {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${owner}: eps must be a positive number, got ${eps}`);
}
