/**
 * The cpu backend: plain TypeScript loops over typed arrays, in float32 and
 * float64. It is the reference every other backend is tested against, and
 * the code to read first.
 */
import type { ArgReduceOp, Backend, BinaryOp, DeviceBuffer, GroupedMatmulExtras, GroupedMatmulSpec, MatmulSpec, NormRowsSpec, ReduceOp, RotaryRowsSpec, SoftmaxRowsSpec, UnaryOp, ViewSpec, WriteSpec } from '../backend.js';
import { toTypedArray, type DType, type FloatArray, type TypedArray } from '../../base/dtype.js';
import type { Shape } from '../../base/shape.js';
import { CpuBuffer, cpu } from './buffer.js';
import * as ew from './elementwise.js';
import * as red from './reduce.js';
import { matmul } from './matmul.js';
import { groupedMatmul } from './grouped-matmul.js';
import * as ix from './indexing.js';
import { view } from './view.js';
import { write as writeStrided } from './write.js';
import * as rows from './rows.js';

function floats(buf: DeviceBuffer): FloatArray {
  const d = cpu(buf);
  if (d instanceof Int32Array) throw new Error('cpu backend: a fused row kernel needs a float buffer, got int32');
  return d;
}

function like(x: FloatArray): FloatArray {
  return x instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length);
}

function ints(buf: DeviceBuffer): Int32Array {
  const d = cpu(buf);
  if (!(d instanceof Int32Array)) throw new Error(`cpu backend: expected an int32 index buffer, got ${buf.dtype}`);
  return d;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly dtypes: readonly DType[] = ['float32', 'float64', 'int32'];

  upload(data: TypedArray): DeviceBuffer {
    return new CpuBuffer(data);
  }
  /** A copy: a buffer never changes once computed (other tensors may share it), so the caller gets its own. */
  read(buf: DeviceBuffer): Promise<TypedArray> {
    return Promise.resolve(cpu(buf).slice());
  }
  readSync(buf: DeviceBuffer): TypedArray {
    return cpu(buf).slice();
  }
  dispose(): void {
    // Host memory: the garbage collector frees it.
  }
  unary(op: UnaryOp, x: DeviceBuffer): DeviceBuffer {
    return new CpuBuffer(ew.unary(op, cpu(x)));
  }
  binary(op: BinaryOp, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): DeviceBuffer {
    return new CpuBuffer(ew.binary(op, cpu(a), aShape, cpu(b), bShape, outShape, a.dtype));
  }
  where(c: DeviceBuffer, cShape: Shape, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): DeviceBuffer {
    return new CpuBuffer(ew.where(cpu(c), cShape, cpu(a), aShape, cpu(b), bShape, outShape, a.dtype));
  }
  reduce(op: ReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer {
    return new CpuBuffer(red.reduce(op, cpu(x), outer, n, inner));
  }
  argReduce(op: ArgReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer {
    return new CpuBuffer(red.argReduce(op, cpu(x), outer, n, inner));
  }
  topk(x: DeviceBuffer, rows: number, n: number, k: number): DeviceBuffer {
    return new CpuBuffer(ix.topk(cpu(x), rows, n, k));
  }
  matmul(a: DeviceBuffer, b: DeviceBuffer, spec: MatmulSpec): DeviceBuffer {
    return new CpuBuffer(matmul(cpu(a), cpu(b), spec));
  }
  groupedMatmul(a: DeviceBuffer, b: DeviceBuffer, offsets: DeviceBuffer, spec: GroupedMatmulSpec, extras?: GroupedMatmulExtras): DeviceBuffer {
    const host = { rowIndex: extras?.rowIndex && ints(extras.rowIndex), bias: extras?.bias && cpu(extras.bias) };
    return new CpuBuffer(groupedMatmul(cpu(a), cpu(b), ints(offsets), spec, host));
  }
  gather(src: DeviceBuffer, rows: number, cols: number, idx: DeviceBuffer): DeviceBuffer {
    return new CpuBuffer(ix.gather(cpu(src), rows, cols, ints(idx)));
  }
  scatterAdd(src: DeviceBuffer, cols: number, idx: DeviceBuffer, outRows: number): DeviceBuffer {
    return new CpuBuffer(ix.scatterAdd(cpu(src), cols, ints(idx), outRows));
  }
  view(x: DeviceBuffer, spec: ViewSpec): DeviceBuffer {
    return new CpuBuffer(view(cpu(x), spec));
  }
  write(dst: DeviceBuffer, src: DeviceBuffer, spec: WriteSpec): DeviceBuffer {
    writeStrided(cpu(dst), cpu(src), spec);
    return dst;
  }
  cast(x: DeviceBuffer, to: DType): DeviceBuffer {
    const src = cpu(x);
    // float → int truncates toward zero, as a C cast does.
    return new CpuBuffer(to === 'int32' ? Int32Array.from(src, Math.trunc) : toTypedArray(src, to));
  }
  softmaxRows(x: DeviceBuffer, spec: SoftmaxRowsSpec): DeviceBuffer {
    const src = floats(x), out = like(src);
    rows.softmaxRows(src, spec, out);
    return new CpuBuffer(out);
  }
  normRows(x: DeviceBuffer, spec: NormRowsSpec, weight?: DeviceBuffer, bias?: DeviceBuffer): DeviceBuffer {
    const src = floats(x), out = like(src);
    rows.normRows(src, spec, out, weight && floats(weight), bias && floats(bias));
    return new CpuBuffer(out);
  }
  rotaryRows(x: DeviceBuffer, cos: DeviceBuffer, sin: DeviceBuffer, spec: RotaryRowsSpec): DeviceBuffer {
    const src = floats(x), out = like(src);
    rows.rotaryRows(src, floats(cos), floats(sin), spec, out);
    return new CpuBuffer(out);
  }
}
