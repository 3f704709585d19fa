/**
 * Element types. Floating tensors are float32 (the default) or float64 (the
 * cpu backend's gradcheck precision); int32 holds indices (argmax, topk,
 * gather/scatter) and never requires a gradient.
 */
export type DType = 'float32' | 'float64' | 'int32';

export type TypedArray = Float32Array | Float64Array | Int32Array;
export type FloatArray = Float32Array | Float64Array;

export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
  }
}

/** Copies (and converts) `values` into a fresh array of `dtype`. */
export function toTypedArray(values: ArrayLike<number>, dtype: DType): TypedArray {
  const out = arrayFor(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'float32';
}
