/** Elementwise ops: unary, binary with broadcasting, where, clamp, cast. */
import { BINARY_OPS, type BinaryOp, type UnaryOp } from '../../gpu/backend.js';
import type { DType } from '../../base/dtype.js';
import { isFloat } from '../../base/dtype.js';
import { broadcastShapes, fmt } from '../../base/shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { lift, make, sameBackend } from './core.js';

const COMPARISONS: readonly BinaryOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

export function unary(op: UnaryOp, x: Tensor): Tensor {
  if (!isFloat(x.dtype) && op !== 'neg' && op !== 'abs' && op !== 'sign') {
    throw new Error(`${op}: needs a floating-point tensor, got ${x.dtype} (cast with .float())`);
  }
  return make({ kind: 'unary', op }, [x], x.shape, x.dtype, { kind: 'unary', op });
}

export function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  if (!BINARY_OPS.includes(op)) throw new Error(`unknown binary op ${op}`);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new Error(`${op}: at least one operand must be a tensor`);
  const ta = a instanceof Tensor ? a : lift(op, a, b as Tensor);
  const tb = lift(op, b, ta);
  sameBackend(op, ta, tb);
  if (ta.dtype !== tb.dtype) throw new Error(`${op}: dtypes differ (${ta.dtype} ${fmt(ta.shape)} and ${tb.dtype} ${fmt(tb.shape)}); cast one first`);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const grad = COMPARISONS.includes(op) ? null : ({ kind: 'binary', op } as const);
  return make({ kind: 'binary', op }, [ta, tb], shape, ta.dtype, grad);
}

/** cond ≠ 0 ? a : b, all three broadcast together. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = a instanceof Tensor ? a : b instanceof Tensor ? lift('where', a, b) : lift('where', a, cond.dtype === 'int32' ? cond.float() : cond);
  const tb = lift('where', b, ta);
  sameBackend('where', cond, ta, tb);
  if (ta.dtype !== tb.dtype) throw new Error(`where: dtypes differ (${ta.dtype} and ${tb.dtype})`);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  return make({ kind: 'where' }, [cond, ta, tb], shape, ta.dtype, { kind: 'where' });
}

export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min !== undefined && Number.isNaN(min)) throw new Error('clamp: min is NaN');
  if (max !== undefined && Number.isNaN(max)) throw new Error('clamp: max is NaN');
  if (min !== undefined && max !== undefined && min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  let y = x;
  if (min !== undefined) y = binary('max', y, lift('clamp', min, x));
  if (max !== undefined) y = binary('min', y, lift('clamp', max, x));
  return y;
}

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  if (!x.backend.dtypes.includes(to)) throw new Error(`cast: backend ${x.backend.name} has no ${to}`);
  return make({ kind: 'cast', to }, [x], x.shape, to, isFloat(to) ? { kind: 'cast' } : null);
}
