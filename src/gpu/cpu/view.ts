/** The strided, zero-padded read that implements every movement op. */
import type { ViewSpec } from '../backend.js';
import { arrayFor, dtypeOf, type TypedArray } from '../../base/dtype.js';
import { sizeOf } from '../../base/shape.js';

export function view(x: TypedArray, spec: ViewSpec): TypedArray {
  const { shape, strides, offset, window } = spec;
  const rank = shape.length;
  const out = arrayFor(dtypeOf(x), sizeOf(shape));
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = offset;
    let inside = true;
    for (let d = 0; d < rank; d++) {
      const i = idx[d]!;
      if (window && (i < window[d]![0] || i >= window[d]![1])) inside = false;
      src += i * strides[d]!;
    }
    out[o] = inside ? x[src]! : 0;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
