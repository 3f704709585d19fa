/**
 * Elementwise kernels: unary ops, binary ops with NumPy broadcasting, where,
 * and casts. Each op is a few lines of gpu.js JavaScript over the input
 * value(s), spliced into a kernel that first finds its inputs' offsets.
 *
 * Shader languages lack some of what Math offers (no tanh in WebGL 1) and
 * differ from JavaScript at edges (pow of a negative base is undefined in
 * GLSL and WGSL), so those ops are spelled out here the way the cpu
 * reference computes them.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { alignedStrides, fmt, sameShape, sizeOf, type Shape } from '../../base/shape.js';
import type { GpujsBuffer, GpujsDType } from './buffer.js';
import { chunkedReads, type Work } from './chunks.js';
import { isChunked, offsetExpr, unflatten } from './index-math.js';
import { kernelSource, type Job } from './job.js';

/** tanh(u) from one exp of a non-positive number, so it never overflows. */
const tanhOf = (u: string): string => `e = Math.exp(-2 * Math.abs(${u})); th = (1 - e) / (1 + e); if (${u} < 0) { th = -th; }`;

/** Each unary op sets `r` from `v` (with scratch variables e, u and th). */
const UNARY: Record<UnaryOp, string> = {
  neg: 'r = -v;',
  exp: 'r = Math.exp(v);',
  log: 'r = Math.log(v);',
  sqrt: 'r = Math.sqrt(v);',
  abs: 'r = Math.abs(v);',
  tanh: `${tanhOf('v')} r = th;`,
  sigmoid: 'e = Math.exp(-Math.abs(v)); if (v >= 0) { r = 1 / (1 + e); } else { r = e / (1 + e); }',
  relu: 'if (v > 0) { r = v; }',
  // GELU, tanh approximation, as the cpu reference.
  gelu: `u = 0.7978845608028654 * (v + 0.044715 * v * v * v); ${tanhOf('u')} r = 0.5 * v * (1 + th);`,
  silu: 'e = Math.exp(-Math.abs(v)); if (v >= 0) { r = v / (1 + e); } else { r = v * e / (1 + e); }',
  sign: 'if (v > 0) { r = 1; } if (v < 0) { r = -1; }',
  sin: 'r = Math.sin(v);',
  cos: 'r = Math.cos(v);',
};

/** Each binary op sets `r` from `x` and `y` (comparisons give 1 or 0). */
const BINARY: Record<BinaryOp, string> = {
  add: 'r = x + y;',
  sub: 'r = x - y;',
  mul: 'r = x * y;',
  div: 'r = x / y;',
  // Shader pow(x, y) is undefined for x < 0; JavaScript's is defined for whole y, with the sign of x^y.
  pow: 'if (y === 0) { r = 1; } else { if (x < 0 && Math.floor(y) === y) { r = Math.pow(-x, y); if (y - 2 * Math.floor(y / 2) === 1) { r = -r; } } else { r = Math.pow(x, y); } }',
  max: 'r = x; if (y > x) { r = y; }',
  min: 'r = x; if (y < x) { r = y; }',
  eq: 'if (x === y) { r = 1; }',
  ne: 'if (x !== y) { r = 1; }',
  lt: 'if (x < y) { r = 1; }',
  le: 'if (x <= y) { r = 1; }',
  gt: 'if (x > y) { r = 1; }',
  ge: 'if (x >= y) { r = 1; }',
};

export function unaryJob(op: UnaryOp, x: GpujsBuffer): Work {
  return mapJob(`unary:${op}`, UNARY[op], x, x.dtype);
}

/** int32 → float32 is a copy that changes the tag; float32 → int32 truncates toward zero, as a C cast. */
export function castJob(x: GpujsBuffer, to: GpujsDType): Work {
  const body = to === 'int32' && x.dtype !== 'int32' ? 'r = Math.floor(Math.abs(v)); if (v < 0) { r = -r; }' : 'r = v;';
  return mapJob(`cast:${to}`, body, x, to);
}

/** One input, same shape out: cell t reads element t. A chunked input maps part by part. */
function mapJob(name: string, body: string, x: GpujsBuffer, dtype: GpujsDType): Work {
  if (x.parts) return { chunks: x.parts.map((part) => mapJob(name, body, part, dtype) as Job), size: x.size, dtype };
  const src = kernelSource(['x'], ['const v = x[t];', 'let r = 0.0;', 'let e = 0.0;', 'let u = 0.0;', 'let th = 0.0;', body, 'return r;']);
  return { key: `${name}:${x.size}`, spec: () => ({ source: src, constants: {}, size: x.size }), args: [x], size: x.size, dtype };
}

/**
 * The source expression reading `arg` (of shape `shape`) at the output cell
 * whose per-axis indices are o0…: the flat index itself when the shapes are
 * equal, element 0 for a single value, else the broadcast offset.
 */
function broadcastRead(arg: string, shape: Shape, outShape: Shape, constants: Record<string, number>): { expr: string; needsIndex: boolean } {
  if (sameShape(shape, outShape)) return { expr: `${arg}[t]`, needsIndex: false };
  if (sizeOf(shape) === 1) return { expr: `${arg}[0]`, needsIndex: false };
  const off = offsetExpr(arg, 'o', alignedStrides(shape, outShape));
  Object.assign(constants, off.constants);
  return { expr: `${arg}[${off.code}]`, needsIndex: true };
}

/** A kernel over `outShape` reading each input broadcast, then running `body` on the values. */
function broadcastJob(name: string, inputs: readonly { buf: GpujsBuffer; shape: Shape; as: string }[], outShape: Shape, body: string, dtype: GpujsDType): Work {
  const size = sizeOf(outShape);
  if (isChunked(size) || inputs.some((i) => i.buf.parts)) {
    const reads = inputs.map((i) => ({ buf: i.buf, strides: alignedStrides(i.shape, outShape), offset: 0, as: i.as }));
    return chunkedReads(`${name} ${fmt(outShape)}`, reads, outShape, body, dtype);
  }
  const constants: Record<string, number> = {};
  const reads = inputs.map((inp, i) => ({ ...broadcastRead(`in${i}`, inp.shape, outShape, constants), as: inp.as }));
  const lines: string[] = [];
  if (reads.some((r) => r.needsIndex)) {
    const idx = unflatten('t', outShape, 'o');
    Object.assign(constants, idx.constants);
    lines.push(idx.code);
  }
  for (const r of reads) lines.push(`const ${r.as} = ${r.expr};`);
  lines.push('let r = 0.0;', body, 'return r;');
  const src = kernelSource(inputs.map((_, i) => `in${i}`), lines);
  const key = `${name}:${inputs.map((i) => fmt(i.shape)).join('|')}->${fmt(outShape)}`;
  return { key, spec: () => ({ source: src, constants, size }), args: inputs.map((i) => i.buf), size, dtype };
}

export function binaryJob(op: BinaryOp, a: GpujsBuffer, aShape: Shape, b: GpujsBuffer, bShape: Shape, outShape: Shape): Work {
  const ins = [{ buf: a, shape: aShape, as: 'x' }, { buf: b, shape: bShape, as: 'y' }];
  return broadcastJob(`binary:${op}`, ins, outShape, BINARY[op], a.dtype);
}

export function whereJob(c: GpujsBuffer, cShape: Shape, a: GpujsBuffer, aShape: Shape, b: GpujsBuffer, bShape: Shape, outShape: Shape): Work {
  const ins = [{ buf: c, shape: cShape, as: 'c' }, { buf: a, shape: aShape, as: 'x' }, { buf: b, shape: bShape, as: 'y' }];
  return broadcastJob('where', ins, outShape, 'if (c !== 0) { r = x; } else { r = y; }', a.dtype);
}
