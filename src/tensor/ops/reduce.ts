/**
 * Reductions. The primitive reduces one axis and keeps it as size 1, which
 * keeps its gradient a plain broadcast; several axes reduce one at a time,
 * and keepDims=false reshapes the kept axes away at the end.
 */
import type { ArgReduceOp, ReduceOp } from '../../gpu/backend.js';
import { fmt, normAxis, splitAt } from '../../base/shape.js';
import type { Tensor } from '../tensor.js';
import { make } from './core.js';
import { binary } from './elementwise.js';
import { reshape } from './movement.js';

function axesOf(op: string, x: Tensor, axis?: number | readonly number[]): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const norm = list.map((a) => normAxis(op, a, x.rank));
  if (new Set(norm).size !== norm.length) throw new Error(`${op}: repeated axis in ${fmt(list)}`);
  return norm.sort((p, q) => q - p);
}

export function reduce1(op: ReduceOp, x: Tensor, axis: number): Tensor {
  const [outer, n, inner] = splitAt(x.shape, axis);
  if (n === 0 && op !== 'sum') throw new Error(`${op}: cannot reduce an empty axis ${axis} of ${fmt(x.shape)}`);
  const shape = x.shape.map((d, i) => (i === axis ? 1 : d));
  return make({ kind: 'reduce', op, outer, n, inner }, [x], shape, x.dtype, { kind: 'reduce', op, axis });
}

export function reduce(op: ReduceOp, x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const axes = axesOf(op, x, axis);
  let y = x;
  for (const a of axes) y = reduce1(op, y, a);
  return keepDims ? y : reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}

function countOf(x: Tensor, axes: number[]): number {
  return axes.reduce((n, a) => n * x.shape[a]!, 1);
}

export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const n = countOf(x, axesOf('mean', x, axis));
  return binary('div', reduce('sum', x, axis, keepDims), n);
}

/** Population variance (divides by n), as LayerNorm uses. */
export function variance(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const d = binary('sub', x, mean(x, axis, true));
  return mean(binary('mul', d, d), axis, keepDims);
}

export function argReduce(op: ArgReduceOp, x: Tensor, axis?: number, keepDims = false): Tensor {
  const src = axis === undefined ? reshape(x, [x.size]) : x;
  const a = axis === undefined ? 0 : normAxis(op, axis, x.rank);
  const [outer, n, inner] = splitAt(src.shape, a);
  if (n === 0) throw new Error(`${op}: empty axis in ${fmt(x.shape)}`);
  const kept = src.shape.map((d, i) => (i === a ? 1 : d));
  const out = make({ kind: 'argReduce', op, outer, n, inner }, [src], kept, 'int32', null);
  if (keepDims) return axis === undefined ? reshape(out, x.shape.map(() => 1)) : out;
  return reshape(out, axis === undefined ? [] : src.shape.filter((_, i) => i !== a));
}
