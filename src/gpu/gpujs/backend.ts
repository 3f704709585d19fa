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
import type { ArgReduceOp, Backend, BinaryOp, DeviceBuffer, GroupedMatmulExtras, GroupedMatmulSpec, MatmulSpec, Maybe, ReduceOp, UnaryOp, ViewSpec } from '../backend.js';
import type { DType, TypedArray } from '../../base/dtype.js';
import type { Shape } from '../../base/shape.js';
import { checkFusedOperands, checkGroupOffsets } from '../grouped-layout.js';
import { isDeviceHandle, type GpuInstance, type GpujsMode, type KernelArg, type KernelOutput } from './api.js';
import { GpujsBuffer, gpujsBuffer, type GpujsDType } from './buffer.js';
import { KernelCache } from './cache.js';
import { CHUNK, chunkRanges, isChunked, MAX_EXACT_INDEX } from './index-math.js';
import { isChunkedJob, type Work } from './chunks.js';
import type { Job } from './job.js';
import { allOf, andThen } from './maybe.js';
import { reclaimDue } from './memory.js';
import { countReadback, countUpload } from './stats.js';
import { binaryJob, castJob, unaryJob, whereJob } from './elementwise.js';
import { argReduceJob, reduceJob } from './reduce.js';
import { pickJob, rankJob } from './topk.js';
import { matmulJob } from './matmul.js';
import { groupedMatmulJob, longestGroup } from './grouped-matmul.js';
import { checkIndices, gatherJob, scatterAddJob } from './indexing.js';
import { viewJob } from './view.js';

/**
 * The longest reduction one kernel loops over. Mesa's llvmpipe (headlessgl)
 * ends a GLSL loop after 65,535 iterations, whatever its bound (a sum of
 * 2^16 ones gives 65,535), so longer reductions fold in halves first.
 */
const LONGEST_LOOP = 65_535;

const UPLOAD_SOURCE = 'function (x) {\n  return x[this.thread.x];\n}';
/** Two parts of a chunked output back into one buffer (an output of at most 2^24 cells computed in chunks). */
const JOIN_SOURCE = 'function (a, b) {\n  const t = this.thread.x;\n  if (t < this.constants.split) { return a[t]; }\n  return b[t - this.constants.split];\n}';

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
    if (data instanceof Int32Array) {
      const big = data.findIndex((v) => Math.abs(v) > MAX_EXACT_INDEX);
      if (big >= 0) throw new Error(`${this.name}: int32 value ${data[big]} at position ${big} is beyond ±2^24, which float32 storage cannot hold exactly`);
    }
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    const values = data instanceof Int32Array ? Float32Array.from(data) : data;
    const hostInts = data instanceof Int32Array ? Int32Array.from(data) : undefined;
    // Past 2^24 elements, a tensor is kept in parts (chunks.ts), each uploaded on first use like any buffer.
    if (isChunked(data.length)) {
      const parts = chunkRanges(data.length).map(({ base, len }) => new GpujsBuffer(dtype, len, values.subarray(base, base + len)));
      return new GpujsBuffer(dtype, data.length, parts, hostInts);
    }
    return new GpujsBuffer(dtype, data.length, values, hostInts);
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
    // Values that came from the host are still there: no readback (an index checked at the op, say).
    if (b.hostInts) return Int32Array.from(b.hostInts);
    countReadback();
    return andThen(this.floats(b), (f) => (b.dtype === 'int32' ? Int32Array.from(f, Math.round) : f));
  }

  /** The float32 values of `b` on the host; a chunked buffer's parts, read one by one and laid end to end. */
  private floats(b: GpujsBuffer): Maybe<Float32Array> {
    if (b.parts) {
      const out = new Float32Array(b.size);
      const parts = b.parts;
      const step = (i: number, at: number): Maybe<Float32Array> =>
        i === parts.length ? out : andThen(this.floats(parts[i]!), (f) => {
          out.set(f, at);
          return step(i + 1, at + f.length);
        });
      return step(0, 0);
    }
    const v = b.values;
    const raw = isDeviceHandle(v) ? v.toArray() : v;
    return andThen(raw, (f) => (f.length === b.size ? f : f.subarray(0, b.size)));
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
    if (isChunked(size)) return new GpujsBuffer(dtype, size, chunkRanges(size).map(({ len }) => this.filled(len, value, dtype)));
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

  private exec(work: Work): Maybe<GpujsBuffer> {
    return isChunkedJob(work) ? this.execChunks(work.chunks, work.size, work.dtype) : this.execOne(work);
  }

  /**
   * Runs the chunks one after another. Past 2^24 cells the parts are the
   * buffer; at most 2^24 (a view of a chunked tensor, at most two chunks),
   * one more kernel joins them, since everything else expects one buffer.
   */
  private execChunks(chunks: readonly Job[], size: number, dtype: GpujsDType): Maybe<GpujsBuffer> {
    const parts: GpujsBuffer[] = [];
    const step = (i: number): Maybe<GpujsBuffer> =>
      i < chunks.length
        ? andThen(this.execOne(chunks[i]!), (p) => {
            parts.push(p);
            return step(i + 1);
          })
        : this.joined(parts, size, dtype);
    return step(0);
  }

  private joined(parts: GpujsBuffer[], size: number, dtype: GpujsDType): Maybe<GpujsBuffer> {
    if (isChunked(size)) return new GpujsBuffer(dtype, size, parts);
    if (parts.length === 1) return parts[0]!;
    if (parts.length !== 2) throw new Error(`internal: ${parts.length} chunks for an output of ${size} cells`);
    const [a, b] = parts as [GpujsBuffer, GpujsBuffer];
    const job: Job = { key: `join:${a.size}+${b.size}`, spec: () => ({ source: JOIN_SOURCE, constants: { split: a.size }, size }), args: [a, b], size, dtype };
    return andThen(this.execOne(job), (out) => {
      a.dispose();
      b.dispose();
      return out;
    });
  }

  private execOne(job: Job): Maybe<GpujsBuffer> {
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
    const xb = gpujsBuffer(x);
    if (xb.parts) return n * inner <= CHUNK ? this.blockReduce(op, xb, outer, n, inner, 0, null) : this.foldReduce(op, xb, outer, n, inner);
    if (n > LONGEST_LOOP) return this.foldReduce(op, xb, outer, n, inner);
    return this.exec(reduceJob(op, xb, outer, n, inner));
  }

  /**
   * A reduction over a chunked input (past 2^24 elements) whose rows (n·inner
   * elements each) fit in one part: copy a block of whole rows into one
   * ordinary buffer, reduce it with the ordinary kernel, and put its results
   * in place in the output by a zero-padded view added to what is there
   * (adding zeros is exact). One block after another, from row `r0`.
   */
  private blockReduce(op: ReduceOp, x: GpujsBuffer, outer: number, n: number, inner: number, r0: number, acc: GpujsBuffer | null): Maybe<GpujsBuffer> {
    if (r0 >= outer) return acc!;
    const r1 = Math.min(outer, r0 + Math.floor(CHUNK / (n * inner)));
    const total = [outer * inner];
    const block = this.exec(viewJob(x, { shape: [(r1 - r0) * n * inner], strides: [1], offset: r0 * n * inner }));
    const part = andThen(block, (b) =>
      andThen(this.reduce(op, b, r1 - r0, n, inner), (p) => {
        b.dispose();
        return gpujsBuffer(p);
      }),
    );
    if (r0 === 0 && r1 === outer) return part;
    const placed = andThen(part, (p) =>
      andThen(this.exec(viewJob(p, { shape: total, strides: [1], offset: -r0 * inner, window: [[r0 * inner, r1 * inner]] })), (v) => {
        p.dispose();
        return v;
      }),
    );
    const sum = andThen(placed, (v) =>
      acc
        ? andThen(this.exec(binaryJob('add', acc, total, v, total, total)), (s) => {
            acc.dispose();
            v.dispose();
            return s;
          })
        : v,
    );
    return andThen(sum, (s) => this.blockReduce(op, x, outer, n, inner, r1, s));
  }

  /**
   * A reduction too long for one kernel's loop: over a chunked input whose
   * single rows pass one part (a sum over everything, say), or over more
   * than LONGEST_LOOP elements. Combine the first half of the reduced axis
   * with the second, elementwise (two views and one binary op, all
   * chunk-aware), and reduce what is left the same way until the ordinary
   * kernel can; an odd axis leaves its last slice out and combines it at the
   * end. Sums add in a different order from the cpu reference (partly
   * pairwise), which rounds no worse.
   */
  private foldReduce(op: ReduceOp, x: GpujsBuffer, outer: number, n: number, inner: number): Maybe<GpujsBuffer> {
    const combine: BinaryOp = op === 'sum' ? 'add' : op;
    const h = Math.floor(n / 2);
    const half = (from: number, len: number): Maybe<GpujsBuffer> =>
      this.exec(viewJob(x, { shape: outer === 1 ? [len * inner] : [outer, len * inner], strides: outer === 1 ? [1] : [n * inner, 1], offset: from * inner }));
    const shape = outer === 1 ? [h * inner] : [outer, h * inner];
    const folded = andThen(half(0, h), (a) =>
      andThen(half(h, h), (b) =>
        andThen(this.exec(binaryJob(combine, a, shape, b, shape, shape)), (y) => {
          a.dispose();
          b.dispose();
          return y;
        }),
      ),
    );
    const rest = andThen(folded, (y) =>
      andThen(this.reduce(op, y, outer, h, inner), (r) => {
        y.dispose();
        return gpujsBuffer(r);
      }),
    );
    if (n % 2 === 0) return rest;
    const cells = [outer * inner];
    return andThen(rest, (r) =>
      andThen(half(2 * h, 1), (last) =>
        andThen(this.exec(binaryJob(combine, r, cells, last, cells, cells)), (out) => {
          r.dispose();
          last.dispose();
          return out;
        }),
      ),
    );
  }
  /**
   * A GL driver may end a loop after 65,535 iterations (Mesa llvmpipe does),
   * silently. Reductions fold around it; for the kernels that cannot, a loop
   * that long on a GL mode is refused instead of answered wrongly.
   */
  private checkLoop(op: string, iterations: number): void {
    const gl = this.mode === 'headlessgl' || this.mode === 'webgl' || this.mode === 'webgl2';
    if (gl && iterations > LONGEST_LOOP) {
      throw new Error(`${op}: needs a loop of ${iterations} iterations, but ${this.name} drivers may stop loops after ${LONGEST_LOOP} (a wrong answer); run it on another backend (gpujs:webgpu, wasm, cpu)`);
    }
  }
  argReduce(op: ArgReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): Maybe<DeviceBuffer> {
    if (!gpujsBuffer(x).parts) this.checkLoop(op, n); // a chunked input gets the 2^24 error instead
    return this.exec(argReduceJob(op, gpujsBuffer(x), outer, n, inner));
  }
  topk(x: DeviceBuffer, rows: number, n: number, k: number): Maybe<DeviceBuffer> {
    if (!(k >= 0 && k <= n)) throw new Error(`topk: k = ${k} is not within 0…${n}`);
    if (!gpujsBuffer(x).parts) this.checkLoop('topk', n);
    return andThen(this.exec(rankJob(gpujsBuffer(x), rows, n)), (ranks) => {
      const picked = this.exec(pickJob(ranks, rows, n, k));
      return andThen(picked, (p) => {
        ranks.dispose();
        return p;
      });
    });
  }
  matmul(a: DeviceBuffer, b: DeviceBuffer, spec: MatmulSpec): Maybe<DeviceBuffer> {
    this.checkLoop('matmul', spec.k);
    return this.exec(matmulJob(gpujsBuffer(a), gpujsBuffer(b), spec));
  }
  /** Needs the offsets on the host, to check them and find each row's group: free when they came from there, a readback otherwise. */
  groupedMatmul(a: DeviceBuffer, b: DeviceBuffer, offsets: DeviceBuffer, spec: GroupedMatmulSpec, extras: GroupedMatmulExtras = {}): Maybe<DeviceBuffer> {
    const ob = gpujsBuffer(offsets);
    const rowIndex = extras.rowIndex && gpujsBuffer(extras.rowIndex), bias = extras.bias && gpujsBuffer(extras.bias);
    // The offsets and a fused row index on the host, to check (as gather's indices are) before any kernel reads through them.
    const ints = allOf([this.hostIndex(ob), ...(rowIndex ? [this.hostIndex(rowIndex)] : [])]);
    return andThen(ints, ([host, rowHost]) => {
      checkGroupOffsets('groupedMatmul', host!, spec.groups, spec.rows);
      checkFusedOperands(spec, rowIndex && { values: rowHost }, bias?.size);
      this.checkLoop('groupedMatmul', spec.kind === 'rows' ? spec.k : longestGroup(host!));
      return this.exec(groupedMatmulJob(gpujsBuffer(a), gpujsBuffer(b), ob, host!, spec, { rowIndex, bias }));
    });
  }
  /**
   * A kernel reading src[idx[i]] past the buffer gives NaN (cpu), another
   * row or a trap (webasm), or whatever the texture holds (GL): so, as the
   * cpu reference does, every index is checked first — free when it came
   * from the host, a readback when it was computed on the device (the op
   * layer sends host values wherever it can: tensor/ops/indexing.ts).
   */
  gather(src: DeviceBuffer, rows: number, cols: number, idx: DeviceBuffer): Maybe<DeviceBuffer> {
    const ix = gpujsBuffer(idx);
    return andThen(this.hostIndex(ix), (host) => {
      checkIndices('gather', host, rows);
      return this.exec(gatherJob(gpujsBuffer(src), rows, cols, ix));
    });
  }
  /** An int32 buffer's values on the host: the kept copy when they came from there, else read back. */
  private hostIndex(b: GpujsBuffer): Maybe<Int32Array> {
    return b.hostInts ?? (this.readValues(b) as Maybe<Int32Array>);
  }
  /** Needs the indices on the host to build the CSR lists: free when they came from there, a readback otherwise. */
  scatterAdd(src: DeviceBuffer, cols: number, idx: DeviceBuffer, outRows: number): Maybe<DeviceBuffer> {
    return andThen(this.hostIndex(gpujsBuffer(idx)), (host) => {
      checkIndices('scatterAdd', host, outRows);
      this.checkLoop('scatterAdd', longestList(host, outRows));
      return this.exec(scatterAddJob(gpujsBuffer(src), cols, host, outRows));
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

/** The most source rows any one output row sums (the length of the longest CSR list). */
function longestList(idx: Int32Array, outRows: number): number {
  const counts = new Int32Array(outRows);
  let most = 0;
  for (let i = 0; i < idx.length; i++) most = Math.max(most, ++counts[idx[i]!]!);
  return most;
}
