/**
 * Elementwise kernels in plain loops. Broadcasting is done with "aligned
 * strides": an input's stride is 0 along any axis it is broadcast over, so one
 * odometer walk over the output shape yields every input's offset.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import type { Shape } from '../../base/shape.js';
import { alignedStrides, sameShape, sizeOf } from '../../base/shape.js';
import { arrayFor, dtypeOf, type DType, type TypedArray } from '../../base/dtype.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (as GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

export function sigmoid(x: number): number {
  // Split by sign so exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x > 0 ? x : 0),
  gelu,
  silu: (x) => x * sigmoid(x),
  sign: Math.sign,
  sin: Math.sin,
  cos: Math.cos,
};

export const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  // JavaScript's (IEEE 754-2019 maximum/minimum): NaN if either is NaN, and −0 < +0, so the
  // result does not depend on the operands' order, and a reduction on any schedule agrees.
  max: Math.max,
  min: Math.min,
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
};

export function unary(op: UnaryOp, x: TypedArray): TypedArray {
  const f = UNARY[op];
  const out = arrayFor(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

/**
 * Calls visit(outIndex, offsets...) for every output element, keeping one
 * running offset per input: the odometer carries like decimal addition.
 */
export function forEachBroadcast(outShape: Shape, inputs: Shape[], visit: (o: number, offs: number[]) => void): void {
  const rank = outShape.length;
  const strides = inputs.map((s) => alignedStrides(s, outShape));
  const idx = new Array<number>(rank).fill(0);
  const offs = new Array<number>(inputs.length).fill(0);
  const total = sizeOf(outShape);
  for (let o = 0; o < total; o++) {
    visit(o, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < offs.length; j++) offs[j]! += strides[j]![d]!;
      if (idx[d]! < outShape[d]!) break;
      for (let j = 0; j < offs.length; j++) offs[j]! -= strides[j]![d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

export function binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape, dtype: DType): TypedArray {
  const f = BINARY[op];
  const out = arrayFor(dtype, sizeOf(outShape));
  if (sameShape(aShape, outShape) && sameShape(bShape, outShape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i]!, b[i]!);
  } else if (sameShape(aShape, outShape) && b.length === 1) {
    const s = b[0]!;
    for (let i = 0; i < out.length; i++) out[i] = f(a[i]!, s);
  } else {
    forEachBroadcast(outShape, [aShape, bShape], (o, [ia, ib]) => {
      out[o] = f(a[ia!]!, b[ib!]!);
    });
  }
  return out;
}

export function where(c: TypedArray, cShape: Shape, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape, dtype: DType): TypedArray {
  const out = arrayFor(dtype, sizeOf(outShape));
  forEachBroadcast(outShape, [cShape, aShape, bShape], (o, [ic, ia, ib]) => {
    out[o] = c[ic!] !== 0 ? a[ia!]! : b[ib!]!;
  });
  return out;
}
