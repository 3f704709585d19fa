/**
 * Composite ops built from the primitives (so their gradients come for free):
 * softmax, logSoftmax, logsumexp, oneHot, crossEntropy.
 */
import { fmt, normAxis } from '../../base/shape.js';
import type { Tensor } from '../tensor.js';
import { binary, cast, unary, where } from './elementwise.js';
import { lift } from './core.js';
import { reduce } from './reduce.js';
import { reshape } from './movement.js';
import { checkedIndex, gatherAlong } from './indexing.js';
import { arangeOn } from '../create.js';
import { fusedSoftmax } from './fused.js';

/**
 * The row max, detached: subtracting any constant leaves softmax unchanged, so
 * it needs no gradient. A row whose max is ±∞ (say, fully masked with −∞) is
 * shifted by 0 instead, so that −∞ − (−∞) never makes a NaN.
 */
function shift(x: Tensor, axis: number): Tensor {
  // An empty axis has no max; any constant will do (softmax is empty, logsumexp −∞).
  if (x.shape[axis] === 0) return lift('softmax', 0, x);
  const m = reduce('max', x, axis, true).detach();
  return where(binary('lt', unary('abs', m), Infinity), m, 0);
}

/** softmax(x)_i = exp(x_i − m) / Σ_j exp(x_j − m), m = max_j x_j (stable for large |x|). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('softmax', axis, x.rank);
  const fused = fusedSoftmax(x, a); // inference: one kernel (fused.ts)
  if (fused) return fused;
  const e = unary('exp', binary('sub', x, shift(x, a)));
  return binary('div', e, reduce('sum', e, a, true));
}

/** log softmax(x) = x − m − log Σ exp(x − m). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('logSoftmax', axis, x.rank);
  const z = binary('sub', x, shift(x, a));
  return binary('sub', z, unary('log', reduce('sum', unary('exp', z), a, true)));
}

export function logsumexp(x: Tensor, axis = -1, keepDims = false): Tensor {
  const a = normAxis('logsumexp', axis, x.rank);
  const m = shift(x, a);
  const out = binary('add', unary('log', reduce('sum', unary('exp', binary('sub', x, m)), a, true)), m);
  return keepDims ? out : reshape(out, x.shape.filter((_, i) => i !== a));
}

/** int32 class indices [...] → float32 [..., n] of 0/1. */
export function oneHot(index: Tensor, n: number): Tensor {
  if (index.dtype !== 'int32') throw new Error(`oneHot: index must be int32, got ${index.dtype}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`oneHot: number of classes must be a positive integer, got ${n}`);
  // Checked though nothing is read through it: an index past n would make a row of zeros, silently.
  const checked = checkedIndex('oneHot', index, n, `${n} classes`);
  const classes = arangeOn(index.backend, n);
  return cast(binary('eq', reshape(checked, [...index.shape, 1]), classes), 'float32');
}

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Cross-entropy from logits [..., C] and int32 targets [...]:
 * −log softmax(logits)[target], averaged (or summed) over positions.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (targets.dtype !== 'int32') throw new Error(`crossEntropy: targets must be int32 class indices, got ${targets.dtype}`);
  if (logits.rank !== targets.rank + 1 || targets.shape.some((d, i) => d !== logits.shape[i])) {
    throw new Error(`crossEntropy: logits ${fmt(logits.shape)} need targets of shape ${fmt(logits.shape.slice(0, -1))}, got ${fmt(targets.shape)}`);
  }
  const classes = logits.shape[logits.rank - 1]!;
  const logp = logSoftmax(logits, -1);
  // The gather checks the targets, naming crossEntropy (now, or when a pending target is computed).
  const picked = reshape(gatherAlong(logp, logits.rank - 1, reshape(targets, [...targets.shape, 1]), 'crossEntropy', `${classes} classes (logits ${fmt(logits.shape)})`), targets.shape);
  const nll = unary('neg', picked);
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return nll;
  const total = reduce('sum', nll);
  return reduction === 'sum' ? total : binary('div', total, Math.max(targets.size, 1));
}
