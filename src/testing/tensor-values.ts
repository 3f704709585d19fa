/**
 * Tensors as plain values: a shape, a dtype and the elements, row-major.
 * fast-check prints and shrinks these; `toTensor` makes the engine's tensor
 * from one inside the property, on the backend the test chose.
 */
import fc from 'fast-check';
import { toTypedArray, type DType } from '../base/dtype.js';
import { fromData, type TensorOptions } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { shapeArb, sizeOf, type ShapeOptions } from './shapes.js';

export interface TensorValues {
  shape: number[];
  dtype: DType;
  data: number[];
}

export interface ValueOptions {
  /** float64 (default), float32 or int32. */
  dtype?: DType;
  /** Values lie in [min, max] (default [-2, 2]). */
  min?: number;
  max?: number;
  /** Opt in to NaN among the values (never drawn otherwise). */
  nan?: boolean;
  /** Opt in to ±Infinity among the values (never drawn otherwise). */
  infinity?: boolean;
}

/**
 * One element. float32 values are float32 numbers (their bounds rounded
 * inward), so uploading them to a float32 tensor changes nothing; the
 * special values, when opted in, come one draw in ten.
 */
export function scalarArb(opts: ValueOptions = {}): fc.Arbitrary<number> {
  const { dtype = 'float64', min = -2, max = 2, nan = false, infinity = false } = opts;
  if (!(min <= max)) throw new Error(`scalarArb: min=${min} must be ≤ max=${max}`);
  const finite = dtype === 'int32'
    ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    : dtype === 'float32'
      ? fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true }).filter((v) => v >= min && v <= max)
      : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const specials = [...(nan ? [NaN] : []), ...(infinity ? [Infinity, -Infinity] : [])];
  if (dtype === 'int32' && specials.length) throw new Error('scalarArb: int32 has no NaN or Infinity');
  if (!specials.length) return finite;
  return fc.oneof({ weight: 9, arbitrary: finite }, { weight: 1, arbitrary: fc.constantFrom(...specials) });
}

/** A tensor of a given shape. */
export function valuesOfShapeArb(shape: readonly number[], opts: ValueOptions = {}): fc.Arbitrary<TensorValues> {
  const n = sizeOf(shape);
  const dtype = opts.dtype ?? 'float64';
  return fc.array(scalarArb(opts), { minLength: n, maxLength: n }).map((data) => ({ shape: [...shape], dtype, data }));
}

/** A tensor whose shape is drawn too (from `shape`, or shapeArb's options). */
export function tensorValuesArb(opts: ValueOptions & { shape?: fc.Arbitrary<number[]> | ShapeOptions } = {}): fc.Arbitrary<TensorValues> {
  const shapes = opts.shape instanceof fc.Arbitrary ? opts.shape : shapeArb({ maxSize: 64, ...opts.shape });
  return shapes.chain((s) => valuesOfShapeArb(s, opts));
}

/** The engine's tensor holding `v` (cpu unless `opts.backend` says otherwise). */
export function toTensor(v: TensorValues, opts: Omit<TensorOptions, 'dtype'> = {}): Tensor {
  return fromData(toTypedArray(v.data, v.dtype), v.shape, { backend: 'cpu', ...opts });
}
