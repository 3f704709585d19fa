/** Making tensors: from values, constants, ranges and seeded random draws. */
import type { Backend } from '../gpu/backend.js';
import { backendNamed, getBackend } from '../gpu/registry.js';
import { arrayFor, dtypeOf, toTypedArray, type DType, type TypedArray } from '../base/dtype.js';
import { LazyBuffer } from './lazy.js';
import { defaultGenerator, type Generator } from './random.js';
import { checkShape, fmt, sizeOf, type Shape } from '../base/shape.js';
import { Tensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** A started backend or its name; the current backend by default. */
  backend?: Backend | string;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export type NestedNumbers = number | readonly NestedNumbers[];

function backendOf(opts: TensorOptions): Backend {
  if (opts.backend === undefined) return getBackend();
  return typeof opts.backend === 'string' ? backendNamed(opts.backend) : opts.backend;
}

/**
 * Wraps host data (already of the right dtype) as a realized tensor. The
 * array is not copied (on the cpu backend it becomes the buffer): do not
 * write to it afterwards. `tensor()` copies.
 */
export function fromData(data: TypedArray, shape: Shape, opts: TensorOptions = {}): Tensor {
  checkShape('fromData', shape);
  const be = backendOf(opts);
  const dtype = dtypeOf(data);
  if (!be.dtypes.includes(dtype)) {
    throw new Error(`backend ${be.name} does not support ${dtype}${dtype === 'float64' ? ' (float64 runs on the cpu backend only)' : ''}`);
  }
  if (sizeOf(shape) !== data.length) throw new Error(`tensor: shape ${fmt(shape)} needs ${sizeOf(shape)} values, got ${data.length}`);
  return new Tensor(LazyBuffer.realized(be, Object.freeze([...shape]), be.upload(data)), opts.requiresGrad ?? false);
}

function flattenNested(values: NestedNumbers): { flat: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedNumbers = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = (probe as readonly NestedNumbers[])[0] ?? 0;
    if ((probe as unknown) === undefined) break;
  }
  const flat: number[] = [];
  const walk = (v: NestedNumbers, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new Error(`tensor: expected a number at ${path || 'top level'}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new Error(`tensor: ragged nested array at ${path || 'top level'}: expected length ${shape[depth]}, got ${Array.isArray(v) ? v.length : typeof v}`);
    }
    (v as readonly NestedNumbers[]).forEach((x, i) => walk(x, depth + 1, `${path}[${i}]`));
  };
  walk(values, 0, '');
  return { flat, shape };
}

/**
 * tensor(values, { shape?, dtype?, requiresGrad?, backend? }) from a number,
 * nested arrays or a typed array (a typed array's dtype is kept unless given).
 */
export function tensor(values: NestedNumbers | TypedArray | readonly number[], opts: TensorOptions & { shape?: Shape } = {}): Tensor {
  let flat: ArrayLike<number>;
  let shape: Shape;
  let dtype = opts.dtype;
  if (ArrayBuffer.isView(values)) {
    flat = values;
    shape = opts.shape ?? [values.length];
    dtype ??= dtypeOf(values);
  } else {
    const f = flattenNested(values as NestedNumbers);
    flat = f.flat;
    shape = opts.shape ?? f.shape;
  }
  checkShape('tensor', shape);
  dtype ??= 'float32';
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isInteger(flat[i])) throw new Error(`tensor: int32 tensor got a non-integer value ${flat[i]} at position ${i}`);
    }
  }
  return fromData(toTypedArray(flat, dtype), shape, opts);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  if (opts.dtype === 'int32' && !Number.isInteger(value)) throw new Error(`full: int32 tensor got a non-integer value ${value}`);
  const data = arrayFor(opts.dtype ?? 'float32', sizeOf(shape));
  data.fill(value);
  return fromData(data, shape, opts);
}

export const zeros = (shape: Shape, opts: TensorOptions = {}): Tensor => full(shape, 0, opts);
export const ones = (shape: Shape, opts: TensorOptions = {}): Tensor => full(shape, 1, opts);

function like(t: Tensor, opts: TensorOptions): TensorOptions {
  return { dtype: t.dtype, backend: t.backend, ...opts };
}
export const zerosLike = (t: Tensor, opts: TensorOptions = {}): Tensor => full(t.shape, 0, like(t, opts));
export const onesLike = (t: Tensor, opts: TensorOptions = {}): Tensor => full(t.shape, 1, like(t, opts));
export const fullLike = (t: Tensor, value: number, opts: TensorOptions = {}): Tensor => full(t.shape, value, like(t, opts));

/** start, start+step, … below end (int32 unless a dtype is given). */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new Error(`arange: bad range (${lo}, ${hi}, step ${step})`);
  }
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const dtype = opts.dtype ?? (Number.isInteger(lo) && Number.isInteger(step) ? 'int32' : 'float32');
  const data = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return fromData(data, [n], { ...opts, dtype });
}

export function arangeOn(backend: Backend, n: number): Tensor {
  return arange(0, n, 1, { backend, dtype: 'int32' });
}

function randomTensor(shape: Shape, opts: RandomOptions, draw: (g: Generator) => number): Tensor {
  checkShape('random', shape);
  const dtype = opts.dtype ?? 'float32';
  if (dtype === 'int32') throw new Error('rand/randn: dtype must be float32 or float64');
  const g = opts.generator ?? defaultGenerator;
  const data = arrayFor(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return fromData(data, shape, opts);
}

/** Uniform in [0, 1). */
export const rand = (shape: Shape, opts: RandomOptions = {}): Tensor => randomTensor(shape, opts, (g) => g.uniform());
/** Standard normal. */
export const randn = (shape: Shape, opts: RandomOptions = {}): Tensor => randomTensor(shape, opts, (g) => g.normal());
export const randLike = (t: Tensor, opts: RandomOptions = {}): Tensor => rand(t.shape, { dtype: t.dtype, backend: t.backend, ...opts });
export const randnLike = (t: Tensor, opts: RandomOptions = {}): Tensor => randn(t.shape, { dtype: t.dtype, backend: t.backend, ...opts });
