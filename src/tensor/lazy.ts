/**
 * A LazyBuffer is one value in the computation graph: either realized (it
 * holds a device buffer) or pending (it holds the primitive that will
 * compute it and the LazyBuffers it reads). Tensors point at LazyBuffers;
 * a LazyBuffer never changes its value once defined, so `assign` on a
 * Tensor swaps its LazyBuffer rather than mutating one other nodes read.
 */
import type { ArgReduceOp, Backend, BinaryOp, DeviceBuffer, GroupedMatmulSpec, MatmulSpec, NormRowsSpec, ReduceOp, RotaryRowsSpec, SoftmaxRowsSpec, UnaryOp, ViewSpec, WriteSpec } from '../gpu/backend.js';
import type { DType } from '../base/dtype.js';
import type { Shape } from '../base/shape.js';
import type { IndexCheck } from './index-check.js';

export type LazyOp =
  | { readonly kind: 'unary'; readonly op: UnaryOp }
  | { readonly kind: 'binary'; readonly op: BinaryOp }
  | { readonly kind: 'where' }
  | { readonly kind: 'reduce'; readonly op: ReduceOp; readonly outer: number; readonly n: number; readonly inner: number }
  | { readonly kind: 'argReduce'; readonly op: ArgReduceOp; readonly outer: number; readonly n: number; readonly inner: number }
  | { readonly kind: 'topk'; readonly rows: number; readonly n: number; readonly k: number }
  | { readonly kind: 'matmul'; readonly spec: MatmulSpec }
  /** Sources: A, B, and the int32 group offsets. */
  | { readonly kind: 'groupedMatmul'; readonly spec: GroupedMatmulSpec }
  | { readonly kind: 'gather'; readonly rows: number; readonly cols: number }
  | { readonly kind: 'scatterAdd'; readonly cols: number; readonly outRows: number }
  | { readonly kind: 'view'; readonly spec: ViewSpec }
  /** Sources: dst, src. In place where the backend can: dst's buffer then moves to the result (donate). */
  | { readonly kind: 'write'; readonly spec: WriteSpec }
  | { readonly kind: 'cast'; readonly to: DType }
  /** The fused row kernels (ops/fused.ts; rotary in training too). normRows' sources: x, then the weight and the bias where given. */
  | { readonly kind: 'softmaxRows'; readonly spec: SoftmaxRowsSpec }
  | { readonly kind: 'normRows'; readonly spec: NormRowsSpec; readonly weight: boolean; readonly bias: boolean }
  /** Sources: x, cos, sin. */
  | { readonly kind: 'rotaryRows'; readonly spec: RotaryRowsSpec }
  /** Same buffer, new shape: costs nothing. */
  | { readonly kind: 'reshape' }
  /** Move from another backend (read there, upload here). */
  | { readonly kind: 'transfer' }
  /** An int32 index read back, checked on the host, and uploaded again (as flat offsets where check.flat says): index-check.ts. */
  | { readonly kind: 'indexCheck'; readonly check: IndexCheck };

/** Frees device buffers whose LazyBuffer has been garbage-collected. */
const reaper = new FinalizationRegistry<{ backend: Backend; buf: DeviceBuffer }>(({ backend, buf }) => backend.dispose(buf));

let nextId = 0;

/** The open tidy() scopes (tidy.ts), innermost last: every LazyBuffer made while one is open is listed in it. */
export const creationScopes: LazyBuffer[][] = [];

export class LazyBuffer {
  readonly id = nextId++;
  private _buf: DeviceBuffer | null = null;
  /** For reshape: the LazyBuffer whose device buffer this one shares. */
  private owner: LazyBuffer | null = null;
  private disposed = false;
  /** Its buffer was handed to an in-place write's result: reading it now would see the new values. */
  private donated = false;
  /**
   * Made inside a tidy, which frees it or hands it on when it ends: until
   * then its buffer is not registered with the collector's finalizer. A
   * decoding step makes hundreds of short-lived buffers, and registering
   * each (then unregistering it when the tidy frees it) cost more than
   * many of the kernels that fill them.
   */
  private scoped = false;

  constructor(
    readonly backend: Backend,
    readonly shape: Shape,
    readonly dtype: DType,
    /** null once realized: dropping the sources lets finished intermediates be freed. */
    public op: LazyOp | null,
    public srcs: readonly LazyBuffer[],
  ) {
    const scope = creationScopes.at(-1);
    if (scope) {
      scope.push(this);
      this.scoped = true;
    }
  }

  static realized(backend: Backend, shape: Shape, buf: DeviceBuffer): LazyBuffer {
    const lb = new LazyBuffer(backend, shape, buf.dtype, null, []);
    lb.setBuffer(buf);
    return lb;
  }

  get isRealized(): boolean {
    return this._buf !== null && !this.isDisposed;
  }

  /** For a reshape: the LazyBuffer whose device buffer this one shares (null otherwise). */
  get bufferOwner(): LazyBuffer | null {
    return this.owner;
  }

  /** Disposed itself, or a reshaped view of a buffer that was disposed. */
  get isDisposed(): boolean {
    return this.disposed || (this.owner?.isDisposed ?? false);
  }

  get buffer(): DeviceBuffer {
    if (this.isDisposed) throw this.donated ? donatedError() : disposedError();
    if (!this._buf) throw new Error(`internal: LazyBuffer ${this.id} read before it was realized`);
    return this._buf;
  }

  /** Records the result and forgets how it was computed. */
  setBuffer(buf: DeviceBuffer, sharedWith?: LazyBuffer): void {
    this._buf = buf;
    if (sharedWith) this.owner = sharedWith; // keep the owner alive, so its finalizer waits for us
    else if (!this.scoped) reaper.register(this, { backend: this.backend, buf }, this);
    this.op = null;
    this.srcs = [];
  }

  /**
   * Hands the buffer to `to`, the result of an in-place write into it: this
   * value no longer exists (the buffer now holds the written one), so any
   * later read throws rather than seeing the new contents.
   */
  donate(to: LazyBuffer): void {
    const buf = this.buffer;
    if (this.owner) throw new Error('internal: a reshaped view cannot donate its buffer');
    reaper.unregister(this);
    this._buf = null;
    this.disposed = true;
    this.donated = true;
    to.setBuffer(buf);
  }

  /** Leaves its tidy as one of the results: from now on the collector frees its buffer once it is unreachable. */
  escape(): void {
    if (!this.scoped) return;
    this.scoped = false;
    if (this._buf && !this.owner && !this.disposed) reaper.register(this, { backend: this.backend, buf: this._buf }, this);
  }

  get wasDonated(): boolean {
    return this.donated;
  }

  /**
   * Frees the device buffer now (explicit disposal). Later use of this value,
   * or of a reshaped view sharing its buffer, throws instead of reading freed memory.
   */
  dispose(): void {
    if (this._buf && !this.owner && !this.disposed) {
      reaper.unregister(this);
      this.backend.dispose(this._buf);
    }
    this.disposed = true;
    this._buf = null;
    this.owner = null;
    this.op = null;
    this.srcs = [];
  }
}

export function donatedError(): Error {
  return new Error('tensor read after an in-place write into it (writeAt donates its destination, as a KV cache does each step): use the tensor the write returned');
}

export function disposedError(): Error {
  return new Error('tensor used after dispose(): its buffer (shared with any reshaped view of it) was freed');
}
