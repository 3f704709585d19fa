/**
 * The bound check of an int32 index, on the host, in the words of the op
 * the user called: "crossEntropy: index 7 at position 3 is out of range for
 * 5 classes", never a kernel's "gather: index -1 … for 6 rows".
 *
 * The op layer runs it at the op when the index is on the host, and
 * otherwise puts it in the graph as an 'indexCheck' node (lazy.ts) that
 * realize runs when the index has been computed (ops/indexing.ts says why).
 * For PyTorch-style gather / scatterAdd the node also turns the checked
 * index into flat offsets, so the kernel downstream gets host values.
 */
import type { TypedArray } from '../base/dtype.js';
import { stridesOf, type Shape } from '../base/shape.js';

export interface IndexCheck {
  /** The op the user called, first in the message. */
  readonly op: string;
  /** Valid values are 0 … size − 1. */
  readonly size: number;
  /** What `size` counts, for the message: 'axis 1 of [2, 3]', '5 classes'. */
  readonly what: string;
  /**
   * gather / scatterAdd along `axis` of a tensor of shape `target`: the
   * result is the flat offset of each index position, [index.size], i.e.
   * base(position) + value·stride(axis), where the index has shape `shape`.
   */
  readonly flat?: { readonly target: Shape; readonly axis: number; readonly shape: Shape };
}

/** Throws for the first value outside [0, size), naming it, its position and the op; else the values (or flat offsets). */
export function applyIndexCheck(values: TypedArray, check: IndexCheck): Int32Array {
  const { op, size, what } = check;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < size)) throw new Error(`${op}: index ${v} at position ${i} is out of range for ${what}`);
  }
  if (!check.flat) return values instanceof Int32Array ? values : Int32Array.from(values);
  const { target, axis, shape } = check.flat;
  const stride = stridesOf(target)[axis]!;
  const flat = flatBases(target, axis, shape);
  for (let p = 0; p < flat.length; p++) flat[p]! += values[p]! * stride;
  return flat;
}

/** For each position of an index of `shape` (row-major), the flat offset in `target` of its coordinates with `axis` set to 0. */
export function flatBases(target: Shape, axis: number, shape: Shape): Int32Array {
  const strides = stridesOf(target);
  const size = shape.reduce((a, b) => a * b, 1);
  const base = new Int32Array(size);
  const at = new Array<number>(shape.length).fill(0);
  for (let p = 0; p < size; p++) {
    let off = 0;
    for (let d = 0; d < at.length; d++) if (d !== axis) off += at[d]! * strides[d]!;
    base[p] = off;
    for (let d = at.length - 1; d >= 0; d--) {
      if (++at[d]! < shape[d]!) break;
      at[d] = 0;
    }
  }
  return base;
}
