/**
 * The Tensor: a handle on a LazyBuffer (its value), plus what autograd needs
 * (requiresGrad, grad, and the GradNode recording how it was made). Methods
 * are thin: each op's forward lives in src/tensor/ops, its backward rule in
 * src/autograd/rules.ts.
 */
import type { Backend } from '../gpu/backend.js';
import { backendNamed } from '../gpu/registry.js';
import type { DType, TypedArray } from '../base/dtype.js';
import { isFloat } from '../base/dtype.js';
import type { GradOp } from './grad-op.js';
import { LazyBuffer } from './lazy.js';
import { realizeBuffers, realizeBuffersSync } from './realize.js';
import { fmt, sizeOf, type Shape } from '../base/shape.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as mv from './ops/movement.js';
import * as mm from './ops/matmul.js';
import * as ix from './ops/indexing.js';
import * as fn from './ops/functional.js';

/** How a non-leaf tensor was made: the primitive and its inputs (at the versions they had). */
export interface GradNode {
  readonly op: GradOp;
  readonly inputs: readonly Tensor[];
  readonly versions: readonly number[];
}

export type Scalar = number;
export type TensorLike = Tensor | number;

let nextTensorId = 0;

/** Set by src/autograd/backward.ts: the tensor layer records, the autograd layer differentiates. */
type BackwardImpl = (root: Tensor, grad: Tensor | undefined, opts: { createGraph?: boolean }) => void;
let backwardImpl: BackwardImpl | null = null;
export function installBackward(impl: BackwardImpl): void {
  backwardImpl = impl;
}

export class Tensor {
  readonly id = nextTensorId++;
  /** The value. Swapped (never mutated) by assign(). */
  lazy: LazyBuffer;
  requiresGrad: boolean;
  /** The accumulated gradient, after backward(). A lazy tensor like any other. */
  grad: Tensor | null = null;
  /** null for leaves (created by the user, or made with gradients off). */
  gradNode: GradNode | null = null;
  /** Bumped by assign(): backward refuses to use an input that changed after it was used. */
  version = 0;

  constructor(lazy: LazyBuffer, requiresGrad = false) {
    this.lazy = lazy;
    this.requiresGrad = requiresGrad;
    if (requiresGrad && !isFloat(lazy.dtype)) throw new Error(`only floating-point tensors can require gradients (got ${lazy.dtype})`);
  }

  get shape(): Shape {
    return this.lazy.shape;
  }
  get dtype(): DType {
    return this.lazy.dtype;
  }
  get backend(): Backend {
    return this.lazy.backend;
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  get isLeaf(): boolean {
    return this.gradNode === null;
  }

  // ---- reading values -------------------------------------------------------

  /** Runs whatever is pending and reads the values back: Float32Array, Float64Array or Int32Array. */
  async data(): Promise<TypedArray> {
    await realizeBuffers([this.lazy]);
    return this.backend.read(this.lazy.buffer);
  }
  /** Synchronous read, on backends that allow it (cpu and the synchronous gpu.js modes). */
  dataSync(): TypedArray {
    realizeBuffersSync([this.lazy]);
    const read = this.backend.readSync;
    if (!read) throw new Error(`backend ${this.backend.name} has no synchronous readback: use await t.data()`);
    return read.call(this.backend, this.lazy.buffer);
  }
  /** Nested arrays (a number for a scalar). */
  async toArray(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return (await this.data())[0]!;
  }
  itemSync(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return this.dataSync()[0]!;
  }
  toString(): string {
    return `Tensor(shape=${fmt(this.shape)}, dtype=${this.dtype}, backend=${this.backend.name}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- autograd -------------------------------------------------------------

  /** Accumulates d(this)/d(leaf) into every leaf's .grad. Needs a scalar, or an explicit gradient. */
  backward(grad?: Tensor, opts: { createGraph?: boolean } = {}): void {
    if (!backwardImpl) throw new Error('autograd is not loaded: import from the dsmoe package entry');
    backwardImpl(this, grad, opts);
  }
  /** Same value, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.lazy, false);
  }
  requiresGrad_(on = true): this {
    if (on && !isFloat(this.dtype)) throw new Error(`only floating-point tensors can require gradients (got ${this.dtype})`);
    this.requiresGrad = on;
    return this;
  }
  /**
   * Replaces this tensor's value with `v`'s (same shape and dtype): how
   * optimizers update parameters. Graphs built earlier keep the old value.
   */
  assign(v: Tensor): this {
    if (v.dtype !== this.dtype || v.shape.length !== this.shape.length || v.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`assign: expected ${this.dtype} ${fmt(this.shape)}, got ${v.dtype} ${fmt(v.shape)}`);
    }
    if (v.backend !== this.backend) throw new Error(`assign: value is on ${v.backend.name}, tensor on ${this.backend.name}`);
    this.lazy = v.lazy;
    this.version++;
    return this;
  }
  /**
   * Frees the device memory now instead of at garbage collection. The value
   * is gone for every tensor sharing it (detach() and reshape views share
   * it): using any of them afterwards throws.
   */
  dispose(): void {
    this.lazy.dispose();
  }
  /** This tensor on another (started) backend, e.g. t.to('cpu'). Differentiable. */
  to(backend: string | Backend): Tensor {
    const be = typeof backend === 'string' ? backendNamed(backend) : backend;
    return mv.transfer(this, be);
  }

  // ---- elementwise ----------------------------------------------------------
  add(o: TensorLike): Tensor { return ew.binary('add', this, o); }
  sub(o: TensorLike): Tensor { return ew.binary('sub', this, o); }
  mul(o: TensorLike): Tensor { return ew.binary('mul', this, o); }
  div(o: TensorLike): Tensor { return ew.binary('div', this, o); }
  pow(o: TensorLike): Tensor { return ew.binary('pow', this, o); }
  maximum(o: TensorLike): Tensor { return ew.binary('max', this, o); }
  minimum(o: TensorLike): Tensor { return ew.binary('min', this, o); }
  eq(o: TensorLike): Tensor { return ew.binary('eq', this, o); }
  ne(o: TensorLike): Tensor { return ew.binary('ne', this, o); }
  lt(o: TensorLike): Tensor { return ew.binary('lt', this, o); }
  le(o: TensorLike): Tensor { return ew.binary('le', this, o); }
  gt(o: TensorLike): Tensor { return ew.binary('gt', this, o); }
  ge(o: TensorLike): Tensor { return ew.binary('ge', this, o); }
  neg(): Tensor { return ew.unary('neg', this); }
  exp(): Tensor { return ew.unary('exp', this); }
  log(): Tensor { return ew.unary('log', this); }
  sqrt(): Tensor { return ew.unary('sqrt', this); }
  abs(): Tensor { return ew.unary('abs', this); }
  tanh(): Tensor { return ew.unary('tanh', this); }
  sigmoid(): Tensor { return ew.unary('sigmoid', this); }
  relu(): Tensor { return ew.unary('relu', this); }
  gelu(): Tensor { return ew.unary('gelu', this); }
  silu(): Tensor { return ew.unary('silu', this); }
  sign(): Tensor { return ew.unary('sign', this); }
  sin(): Tensor { return ew.unary('sin', this); }
  cos(): Tensor { return ew.unary('cos', this); }
  square(): Tensor { return ew.binary('mul', this, this); }
  rsqrt(): Tensor { return ew.unary('sqrt', this).reciprocal(); }
  reciprocal(): Tensor { return ew.binary('div', 1, this); }
  clamp(min?: number, max?: number): Tensor { return ew.clamp(this, min, max); }
  /** cond ≠ 0 ? this : other (PyTorch's x.where(cond, y)). */
  where(cond: Tensor, other: TensorLike): Tensor { return ew.where(cond, this, other); }
  cast(dtype: DType): Tensor { return ew.cast(this, dtype); }
  float(): Tensor { return ew.cast(this, 'float32'); }
  double(): Tensor { return ew.cast(this, 'float64'); }
  int(): Tensor { return ew.cast(this, 'int32'); }

  // ---- reductions -----------------------------------------------------------
  sum(axis?: number | readonly number[], keepDims = false): Tensor { return red.reduce('sum', this, axis, keepDims); }
  max(axis?: number | readonly number[], keepDims = false): Tensor { return red.reduce('max', this, axis, keepDims); }
  min(axis?: number | readonly number[], keepDims = false): Tensor { return red.reduce('min', this, axis, keepDims); }
  mean(axis?: number | readonly number[], keepDims = false): Tensor { return red.mean(this, axis, keepDims); }
  variance(axis?: number | readonly number[], keepDims = false): Tensor { return red.variance(this, axis, keepDims); }
  argmax(axis?: number, keepDims = false): Tensor { return red.argReduce('argmax', this, axis, keepDims); }
  argmin(axis?: number, keepDims = false): Tensor { return red.argReduce('argmin', this, axis, keepDims); }
  /** The k largest along the last axis, descending (lower index first on ties). */
  topk(k: number): { values: Tensor; indices: Tensor } { return ix.topk(this, k); }
  softmax(axis = -1): Tensor { return fn.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return fn.logSoftmax(this, axis); }
  logsumexp(axis = -1, keepDims = false): Tensor { return fn.logsumexp(this, axis, keepDims); }

  // ---- shape ----------------------------------------------------------------
  reshape(shape: readonly number[]): Tensor { return mv.reshape(this, shape); }
  view(shape: readonly number[]): Tensor { return mv.reshape(this, shape); }
  flatten(): Tensor { return mv.reshape(this, [this.size]); }
  permute(perm: readonly number[]): Tensor { return mv.permute(this, perm); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return mv.transpose(this, dim0, dim1); }
  get T(): Tensor { return mv.transpose(this, -2, -1); }
  expand(shape: readonly number[]): Tensor { return mv.expand(this, shape); }
  /** Elements start ≤ i < end along `axis` (negative values count from the end). */
  slice(axis: number, start: number, end?: number): Tensor { return mv.slice(this, axis, start, end); }
  narrow(axis: number, start: number, length: number): Tensor { return mv.slice(this, axis, start, start + length); }
  /** Zero padding: `pads` is [before, after] per axis from the first. */
  pad(pads: readonly (readonly [number, number])[]): Tensor { return mv.pad(this, pads); }
  squeeze(axis?: number): Tensor { return mv.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return mv.unsqueeze(this, axis); }
  contiguous(): Tensor { return this; }

  // ---- linear algebra and indexing -------------------------------------------
  matmul(o: Tensor): Tensor { return mm.matmul(this, o); }
  /** Rows along `axis` picked by a 1-D int32 index. */
  indexSelect(axis: number, index: Tensor): Tensor { return ix.indexSelect(this, axis, index); }
  /** this + src summed into the rows along `axis` named by a 1-D int32 index. */
  indexAdd(axis: number, index: Tensor, src: Tensor): Tensor { return ix.indexAdd(this, axis, index, src); }
  /** PyTorch's gather: out[..i..] = this[..index[..i..]..] along `axis`. */
  gather(axis: number, index: Tensor): Tensor { return ix.gather(this, axis, index); }
  /** PyTorch's scatter_add (out of place): this with src added at index along `axis`. */
  scatterAdd(axis: number, index: Tensor, src: Tensor): Tensor { return ix.scatterAdd(this, axis, index, src); }
}

export type NestedArray = number | NestedArray[];

function nest(data: TypedArray, shape: Shape): NestedArray {
  if (shape.length === 0) return data[0]!;
  const build = (offset: number, axis: number): NestedArray[] => {
    const n = shape[axis]!;
    const stride = sizeOf(shape.slice(axis + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) {
      out.push(axis === shape.length - 1 ? data[offset + i]! : build(offset + i * stride, axis + 1));
    }
    return out;
  };
  return build(0, 0);
}

/** Realizes all given tensors in one schedule (shared intermediates run once). */
export async function realize(...tensors: Tensor[]): Promise<void> {
  await realizeBuffers(tensors.map((t) => t.lazy));
}
