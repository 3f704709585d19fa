/**
 * The safetensors element types and the typed arrays that hold them.
 * 16-bit floats and 8-bit floats/bools are kept as their raw bits (Uint16Array
 * / Uint8Array): JavaScript has no such number types, and keeping bits means
 * a file read and written again is byte-identical.
 */
export type SafetensorsDType =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export type SafetensorsArray =
  | Float64Array | Float32Array | BigInt64Array | BigUint64Array
  | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

type ArrayCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): SafetensorsArray; BYTES_PER_ELEMENT: number };

const CTOR: Readonly<Record<SafetensorsDType, ArrayCtor>> = {
  F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, F8_E4M3: Uint8Array, F8_E5M2: Uint8Array,
  I64: BigInt64Array, I32: Int32Array, I16: Int16Array, I8: Int8Array,
  U64: BigUint64Array, U32: Uint32Array, U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array,
};

export const SAFETENSORS_DTYPES = Object.freeze(Object.keys(CTOR) as SafetensorsDType[]);

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(CTOR, s);
}

export function bytesPerElement(dtype: SafetensorsDType): number {
  return CTOR[dtype].BYTES_PER_ELEMENT;
}

/** Does `data` have the array type that stores `dtype`? */
export function arrayMatches(dtype: SafetensorsDType, data: SafetensorsArray): boolean {
  return data.constructor === CTOR[dtype];
}

/** The dtype a typed array stands for when none is given (Uint16Array is ambiguous: F16, BF16 or U16). */
export function dtypeOfArray(data: SafetensorsArray): SafetensorsDType {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  throw new Error('a Uint16Array may hold F16, BF16 or U16 values: give the dtype explicitly');
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * A typed array over a fresh copy of `bytes` (little-endian in the file).
 * Copying makes it aligned whatever the offset in the file was, and lets the
 * caller drop the file buffer.
 */
export function arrayFromLittleEndian(dtype: SafetensorsDType, bytes: Uint8Array): SafetensorsArray {
  const size = bytesPerElement(dtype);
  if (bytes.length === 0) return new CTOR[dtype](new ArrayBuffer(0), 0, 0);
  const copy = new Uint8Array(bytes); // a real copy (a Node Buffer's slice() would be a view into a shared pool)
  if (!LITTLE_ENDIAN_HOST) swapBytes(copy, size);
  return new CTOR[dtype](copy.buffer, 0, copy.length / size);
}

/** The little-endian bytes of `data` (a view on little-endian hosts, a swapped copy otherwise). */
export function littleEndianBytes(data: SafetensorsArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return view;
  const copy = new Uint8Array(view);
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) b.subarray(i, i + size).reverse();
}
