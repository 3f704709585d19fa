/**
 * The wasm backend: the primitive contract on WebAssembly SIMD kernels that
 * are emitted from TypeScript at start-up (emit.ts), over one shared memory,
 * optionally split across worker threads. Matmul, elementwise math and
 * reductions — the hot loops of training — are SIMD kernels, gather and
 * scatter-add move rows in place; top-k, arg-reduce and casts run the cpu
 * reference loops directly on views of the shared memory.
 *
 * Names: 'wasm' (one thread per core, at most 16), 'wasm:N' (N threads;
 * 'wasm:1' never starts a worker). float32 and int32.
 */
import type { ArgReduceOp, Backend, BinaryOp, DeviceBuffer, GroupedMatmulExtras, GroupedMatmulSpec, MatmulSpec, NormRowsSpec, ReduceOp, RotaryRowsSpec, SoftmaxRowsSpec, UnaryOp, ViewSpec, WriteSpec } from '../backend.js';
import * as ix from '../cpu/indexing.js';
import { dtypeOf, type DType, type TypedArray } from '../../base/dtype.js';
import type { Shape } from '../../base/shape.js';
import { WasmBuffer, wasmBuf } from './buffer.js';
import { WasmDevice } from './device.js';
import * as ew from './elementwise.js';
import * as rowIx from './indexing.js';
import { groupedMatmul } from './grouped-matmul.js';
import { matmul } from './matmul.js';
import * as red from './reduce.js';
import { view } from './view.js';
import * as rows from './rows.js';
import { write as writeStrided } from '../cpu/write.js';

function ints(buf: DeviceBuffer): WasmBuffer {
  const b = wasmBuf(buf);
  if (b.dtype !== 'int32') throw new Error(`wasm backend: expected an int32 index buffer, got ${b.dtype}`);
  return b;
}

function floats(buf: DeviceBuffer): WasmBuffer {
  const b = wasmBuf(buf);
  if (b.dtype !== 'float32') throw new Error(`wasm backend: a fused row kernel needs a float32 buffer, got ${b.dtype}`);
  return b;
}

export class WasmBackend implements Backend {
  readonly dtypes: readonly DType[] = ['float32', 'int32'];
  constructor(
    readonly name: string,
    readonly device: WasmDevice,
  ) {}

  upload(data: TypedArray): DeviceBuffer {
    if (data instanceof Float64Array) throw new Error(`backend ${this.name} does not support float64 (float64 runs on the cpu backend only)`);
    return this.device.fromArray(data);
  }
  read(buf: DeviceBuffer): Promise<TypedArray> {
    return Promise.resolve(this.readSync(buf));
  }
  /** A copy: the heap block may be reused once the tensor is freed. */
  readSync(buf: DeviceBuffer): TypedArray {
    return this.device.view(wasmBuf(buf)).slice();
  }
  /** Idempotent: the finalizer may come after an explicit dispose. */
  dispose(buf: DeviceBuffer): void {
    if (buf instanceof WasmBuffer && buf.live) this.device.free(buf);
  }
  wantsReclaim(): boolean {
    return this.device.wantsReclaim();
  }

  unary(op: UnaryOp, x: DeviceBuffer): DeviceBuffer {
    return ew.unary(this.device, op, wasmBuf(x));
  }
  binary(op: BinaryOp, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): DeviceBuffer {
    return ew.binary(this.device, op, wasmBuf(a), aShape, wasmBuf(b), bShape, outShape);
  }
  where(c: DeviceBuffer, cShape: Shape, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): DeviceBuffer {
    return ew.where(this.device, wasmBuf(c), cShape, wasmBuf(a), aShape, wasmBuf(b), bShape, outShape);
  }
  reduce(op: ReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer {
    return red.reduce(this.device, op, wasmBuf(x), outer, n, inner);
  }
  argReduce(op: ArgReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer {
    return red.argReduce(this.device, op, wasmBuf(x), outer, n, inner);
  }
  topk(x: DeviceBuffer, rows: number, n: number, k: number): DeviceBuffer {
    return this.device.fromArray(ix.topk(this.device.view(wasmBuf(x)), rows, n, k));
  }
  matmul(a: DeviceBuffer, b: DeviceBuffer, spec: MatmulSpec): DeviceBuffer {
    return matmul(this.device, wasmBuf(a), wasmBuf(b), spec);
  }
  groupedMatmul(a: DeviceBuffer, b: DeviceBuffer, offsets: DeviceBuffer, spec: GroupedMatmulSpec, extras?: GroupedMatmulExtras): DeviceBuffer {
    const fused = { rowIndex: extras?.rowIndex && ints(extras.rowIndex), bias: extras?.bias && wasmBuf(extras.bias) };
    return groupedMatmul(this.device, wasmBuf(a), wasmBuf(b), ints(offsets), spec, fused);
  }
  gather(src: DeviceBuffer, rows: number, cols: number, idx: DeviceBuffer): DeviceBuffer {
    return rowIx.gather(this.device, wasmBuf(src), rows, cols, ints(idx));
  }
  scatterAdd(src: DeviceBuffer, cols: number, idx: DeviceBuffer, outRows: number): DeviceBuffer {
    return rowIx.scatterAdd(this.device, wasmBuf(src), cols, ints(idx), outRows);
  }
  view(x: DeviceBuffer, spec: ViewSpec): DeviceBuffer {
    return view(this.device, wasmBuf(x), spec);
  }
  /** The reference loop on views of the heap: a write is block copies, nothing to vectorise. */
  write(dst: DeviceBuffer, src: DeviceBuffer, spec: WriteSpec): DeviceBuffer {
    writeStrided(this.device.view(wasmBuf(dst)), this.device.view(wasmBuf(src)), spec);
    return dst;
  }
  cast(x: DeviceBuffer, to: DType): DeviceBuffer {
    if (to === 'float64') throw new Error(`backend ${this.name} does not support float64 (float64 runs on the cpu backend only)`);
    const src = this.device.view(wasmBuf(x));
    const out = this.device.alloc(to, src.length);
    const dst = this.device.view(out);
    // float → int truncates toward zero, as a C cast does (and as the cpu backend does).
    if (to === 'int32' && dtypeOf(src) !== 'int32') for (let i = 0; i < src.length; i++) dst[i] = Math.trunc(src[i]!);
    else dst.set(src);
    return out;
  }
  softmaxRows(x: DeviceBuffer, spec: SoftmaxRowsSpec): DeviceBuffer {
    return rows.softmaxRows(this.device, floats(x), spec);
  }
  normRows(x: DeviceBuffer, spec: NormRowsSpec, weight?: DeviceBuffer, bias?: DeviceBuffer): DeviceBuffer {
    return rows.normRows(this.device, floats(x), spec, weight && floats(weight), bias && floats(bias));
  }
  rotaryRows(x: DeviceBuffer, cos: DeviceBuffer, sin: DeviceBuffer, spec: RotaryRowsSpec): DeviceBuffer {
    return rows.rotaryRows(this.device, floats(x), floats(cos), floats(sin), spec);
  }
}

/** Threads for a name: 'wasm:N' → N; 'wasm' → the machine's cores (one in a browser, where the main thread may not block). */
async function threadsFor(name: string): Promise<number> {
  const mode = name.split(':')[1];
  if (mode !== undefined) {
    const n = Number(mode);
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`setBackend: '${name}': the wasm mode is a thread count from 1 to 16`);
    return n;
  }
  if (typeof process === 'undefined' || !process.versions?.node) return 1;
  const os = await import('node:os');
  return Math.min(16, os.availableParallelism());
}

/** The registry's factory for 'wasm' and 'wasm:N'. */
export async function createWasmBackend(name: string): Promise<Backend> {
  return new WasmBackend(name, await WasmDevice.create(await threadsFor(name)));
}
