/**
 * The gpujs backend: the Backend contract's primitives as gpu.js kernels,
 * in one gpu.js mode. Each primitive asks its kernel family for a Job (cache
 * key, kernel source, arguments) and runs it through the kernel cache;
 * outputs stay where the kernel left them (texture, GPU buffer, or host array
 * on cpu/webasm) until someone reads them.
 *
 * float32 only: gpu.js kernels compute in float32. int32 tensors (indices)
 * are stored as float32 values, exact below 2^24, and read back as Int32Array.
 */
import type { ArgReduceOp, Backend, BinaryOp, DeviceBuffer, MatmulSpec, Maybe, ReduceOp, UnaryOp, ViewSpec } from '../backend.js';
import type { DType, TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import { isDeviceHandle, type GpuInstance, type GpujsMode, type KernelArg, type KernelOutput } from './api.js';
import { GpujsBuffer, gpujsBuffer, type GpujsDType } from './buffer.js';
import { KernelCache } from './cache.js';
import { checkIndexable, MAX_EXACT_INDEX } from './index-math.js';
import type { Job } from './job.js';
import { allOf, andThen } from './maybe.js';
import { reclaimDue } from './memory.js';
import { countReadback, countUpload } from './stats.js';
import { binaryJob, castJob, unaryJob, whereJob } from './elementwise.js';
import { argReduceJob, reduceJob } from './reduce.js';
import { pickJob, rankJob } from './topk.js';
import { matmulJob } from './matmul.js';
import { checkIndices, gatherJob, scatterAddJob } from './indexing.js';
import { viewJob } from './view.js';

const UPLOAD_SOURCE = 'function (x) {\n  return x[this.thread.x];\n}';

export class GpujsBackend implements Backend {
  readonly name: string;
  readonly dtypes: readonly DType[] = ['float32', 'int32'];
  private readonly cache: KernelCache;
  /** cpu and webasm keep values in host memory; the GPU modes keep them on the device. */
  private readonly onDevice: boolean;

  constructor(
    private readonly gpu: GpuInstance,
    readonly mode: GpujsMode,
  ) {
    this.name = `gpujs:${mode}`;
    this.cache = new KernelCache(gpu, mode);
    this.onDevice = mode !== 'cpu' && mode !== 'webasm';
    // webgpu has no synchronous readback; the other modes do.
    if (mode === 'webgpu') this.readSync = undefined;
  }

  // ---- moving data ------------------------------------------------------------

  /** Copies to the device lazily, on first use (webgpu uploads are asynchronous; upload() is not). */
  upload(data: TypedArray): DeviceBuffer {
    if (data instanceof Float64Array) throw new Error(`${this.name} computes in float32 only: keep float64 tensors on the cpu backend`);
    checkIndexable(`a tensor uploaded to ${this.name}`, data.length);
    if (data instanceof Int32Array) {
      const big = data.findIndex((v) => Math.abs(v) > MAX_EXACT_INDEX);
      if (big >= 0) throw new Error(`${this.name}: int32 value ${data[big]} at position ${big} is beyond ±2^24, which float32 storage cannot hold exactly`);
      return new GpujsBuffer('int32', data.length, Float32Array.from(data), Int32Array.from(data));
    }
    return new GpujsBuffer('float32', data.length, data);
  }

  async read(buf: DeviceBuffer): Promise<TypedArray> {
    return this.readValues(gpujsBuffer(buf));
  }

  readSync?(buf: DeviceBuffer): TypedArray {
    const out = this.readValues(gpujsBuffer(buf));
    if (out instanceof Promise) throw new Error(`${this.name} has no synchronous readback: use await t.data()`);
    return out;
  }

  private readValues(b: GpujsBuffer): Maybe<TypedArray> {
    countReadback();
    const v = b.values;
    const raw = isDeviceHandle(v) ? v.toArray() : v;
    return andThen(raw, (f) => {
      const exact = f.length === b.size ? f : f.subarray(0, b.size);
      return b.dtype === 'int32' ? Int32Array.from(exact, Math.round) : exact;
    });
  }

  dispose(buf: DeviceBuffer): void {
    gpujsBuffer(buf).dispose();
  }

  /** True after memory.ts forced a collection: realize then lets the finalizers that free dead buffers run. */
  wantsReclaim(): boolean {
    return reclaimDue();
  }

  // ---- running kernels ----------------------------------------------------------

  /** A buffer of `size` copies of `value` (for empty reductions and outputs with no inputs to read). */
  private filled(size: number, value: number, dtype: GpujsDType): GpujsBuffer {
    return new GpujsBuffer(dtype, size, new Float32Array(size).fill(value));
  }

  /** What a kernel takes for `b`: its device handle, uploading host values first on the GPU modes. */
  private arg(b: GpujsBuffer | Float32Array): Maybe<KernelArg> {
    if (b instanceof Float32Array) return b;
    const v = b.values;
    if (!this.onDevice || isDeviceHandle(v)) return v;
    if (b.uploading) return b.uploading;
    countUpload();
    const size = v.length;
    const up = andThen(this.cache.run(`upload:${size}`, () => ({ source: UPLOAD_SOURCE, constants: {}, size }), [v]), (h) => {
      b.settle(h);
      return h;
    });
    if (up instanceof Promise) b.uploading = up;
    return up;
  }

  private exec(job: Job): Maybe<GpujsBuffer> {
    if (job.size === 0) return this.filled(0, 0, job.dtype);
    // A kernel cannot take an empty array; with an empty input every output cell is an empty sum or padding.
    if (job.args.some((a) => (a instanceof GpujsBuffer ? a.size : a.length) === 0)) return this.filled(job.size, 0, job.dtype);
    return andThen(allOf(job.args.map((a) => this.arg(a))), (args) =>
      andThen(this.cache.run(job.key, job.spec, args), (out: KernelOutput) => new GpujsBuffer(job.dtype, job.size, out)),
    );
  }

  // ---- the primitives -------------------------------------------------------------

  unary(op: UnaryOp, x: DeviceBuffer): Maybe<DeviceBuffer> {
    return this.exec(unaryJob(op, gpujsBuffer(x)));
  }
  binary(op: BinaryOp, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): Maybe<DeviceBuffer> {
    return this.exec(binaryJob(op, gpujsBuffer(a), aShape, gpujsBuffer(b), bShape, outShape));
  }
  where(c: DeviceBuffer, cShape: Shape, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): Maybe<DeviceBuffer> {
    return this.exec(whereJob(gpujsBuffer(c), cShape, gpujsBuffer(a), aShape, gpujsBuffer(b), bShape, outShape));
  }
  reduce(op: ReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): Maybe<DeviceBuffer> {
    if (n === 0) return this.filled(outer * inner, op === 'sum' ? 0 : NaN, 'float32');
    return this.exec(reduceJob(op, gpujsBuffer(x), outer, n, inner));
  }
  argReduce(op: ArgReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): Maybe<DeviceBuffer> {
    return this.exec(argReduceJob(op, gpujsBuffer(x), outer, n, inner));
  }
  topk(x: DeviceBuffer, rows: number, n: number, k: number): Maybe<DeviceBuffer> {
    if (!(k >= 0 && k <= n)) throw new Error(`topk: k = ${k} is not within 0…${n}`);
    return andThen(this.exec(rankJob(gpujsBuffer(x), rows, n)), (ranks) => {
      const picked = this.exec(pickJob(ranks, rows, n, k));
      return andThen(picked, (p) => {
        ranks.dispose();
        return p;
      });
    });
  }
  matmul(a: DeviceBuffer, b: DeviceBuffer, spec: MatmulSpec): Maybe<DeviceBuffer> {
    return this.exec(matmulJob(gpujsBuffer(a), gpujsBuffer(b), spec));
  }
  gather(src: DeviceBuffer, rows: number, cols: number, idx: DeviceBuffer): Maybe<DeviceBuffer> {
    const ix = gpujsBuffer(idx);
    if (ix.hostInts) checkIndices('gather', ix.hostInts, rows);
    return this.exec(gatherJob(gpujsBuffer(src), rows, cols, ix));
  }
  /** Needs the indices on the host to build the CSR lists: free when they came from there, a readback otherwise. */
  scatterAdd(src: DeviceBuffer, cols: number, idx: DeviceBuffer, outRows: number): Maybe<DeviceBuffer> {
    const ix = gpujsBuffer(idx);
    const ints: Maybe<TypedArray> = ix.hostInts ?? this.readValues(ix);
    return andThen(ints, (host) => {
      checkIndices('scatterAdd', host as Int32Array, outRows);
      return this.exec(scatterAddJob(gpujsBuffer(src), cols, host as Int32Array, outRows));
    });
  }
  view(x: DeviceBuffer, spec: ViewSpec): Maybe<DeviceBuffer> {
    return this.exec(viewJob(gpujsBuffer(x), spec));
  }
  cast(x: DeviceBuffer, to: DType): Maybe<DeviceBuffer> {
    if (to === 'float64') throw new Error(`${this.name} computes in float32 only: cast to float64 on the cpu backend (t.to('cpu').double())`);
    return this.exec(castJob(gpujsBuffer(x), to));
  }

  /** The gpu.js kernel class this backend's last kernel ran on, e.g. 'WebGPUKernel' (null before any ran). */
  get kernelClass(): string | null {
    return this.cache.ranOn;
  }

  /** Compiled kernels held by this backend. */
  get kernelCount(): number {
    return this.cache.size;
  }

  /** Frees every compiled kernel and the gpu.js instance. Buffers already handed out become invalid. */
  destroy(): void {
    this.cache.destroy();
    void this.gpu.destroy();
  }
}
