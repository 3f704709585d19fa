/**
 * What every wasm kernel driver needs: the heap, the compiled kernels, the
 * thread pool and each thread's gemm scratch, plus typed views of buffers.
 */
import type { DType, TypedArray } from '../../base/dtype.js';
import { WasmBuffer } from './buffer.js';
import { GEMM, gemmWorkBytes } from './gemm-kernel.js';
import { Heap } from './heap.js';
import { buildKernels, type Kernel, type Kernels } from './module.js';
import { CONTROL_BYTES, ThreadPool, type Share } from './threads.js';
import { findCollector } from '../gc.js';

const MAX_WORKERS = 15;
/** Live bytes may grow by this much (or by half the baseline, if larger) before dead tensors are reclaimed. */
const RECLAIM_BYTES = 64 * 2 ** 20;

export class WasmDevice {
  private constructor(
    readonly heap: Heap,
    readonly kernels: Kernels,
    readonly pool: ThreadPool,
    private readonly collect: (() => void) | null,
  ) {}

  private baseline = 0;
  private reclaiming = false;

  /**
   * True (after a full collection) when live bytes have grown well past what
   * was live after the last reclaim: the caller then lets the event loop
   * turn, the finalizers of dead tensors run, and their blocks come back.
   */
  wantsReclaim(): boolean {
    const live = this.heap.live;
    if (this.reclaiming) {
      this.baseline = live;
      this.reclaiming = false;
    }
    if (live < this.baseline + Math.max(RECLAIM_BYTES, this.baseline / 2)) return false;
    this.collect?.();
    this.reclaiming = true;
    return true;
  }

  /** `threads` counts the calling thread: 1 runs everything here, 2 adds one worker. */
  static async create(threads: number): Promise<WasmDevice> {
    const workers = Math.min(Math.max(0, threads - 1), MAX_WORKERS);
    const heap = new Heap(CONTROL_BYTES);
    const kernels = buildKernels(heap.memory);
    // Each thread's gemm scratch (packed blocks), index 0 the calling thread's.
    const gemmWork = Array.from({ length: workers + 1 }, () => heap.alloc(gemmWorkBytes(GEMM)));
    const pool = await ThreadPool.start(gemmWork, kernels.module, heap.memory, 0, kernels.names);
    return new WasmDevice(heap, kernels, pool, await findCollector());
  }

  get threads(): number {
    return this.pool.size;
  }

  /**
   * How many shares to cut a kernel into: one per thread would leave the
   * others waiting on a thread the OS has descheduled; two per thread lets
   * the rest pick up its second share.
   */
  shares(parallel: boolean): number {
    return parallel && this.threads > 1 ? 2 * this.threads : 1;
  }

  fn(name: string): Kernel {
    const k = this.kernels.fn[name];
    if (!k) throw new Error(`wasm backend: no kernel ${name}`);
    return k;
  }

  /**
   * Runs the kernel `name` split into shares across the threads; argument
   * `workArg` becomes each thread's gemm scratch. `parallel` false runs
   * every share on this thread (work too small to wake another for).
   */
  run(name: string, shares: readonly Share[], workArg = -1, parallel = true): void {
    this.pool.run(name, this.fn(name), shares, workArg, parallel);
  }

  alloc(dtype: DType, size: number): WasmBuffer {
    return new WasmBuffer(dtype, size, this.heap.alloc(Math.max(size, 1) * 4));
  }

  free(buf: WasmBuffer): void {
    buf.live = false;
    this.heap.release(buf.ptr, Math.max(buf.size, 1) * 4);
  }

  /** A live view of the buffer in the shared memory (valid until the heap grows). */
  view(buf: WasmBuffer): Float32Array | Int32Array {
    const at = buf.ptr >> 2;
    return buf.dtype === 'int32' ? this.heap.i32.subarray(at, at + buf.size) : this.heap.f32.subarray(at, at + buf.size);
  }

  /** A new buffer holding a copy of host data (float32 or int32). */
  fromArray(data: TypedArray): WasmBuffer {
    const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
    const out = this.alloc(dtype, data.length);
    this.view(out).set(data);
    return out;
  }
}
