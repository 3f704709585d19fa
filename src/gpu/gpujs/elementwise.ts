/**
 * Elementwise kernels: unary ops, binary ops with NumPy broadcasting, where,
 * and casts. Each op is a few lines of gpu.js JavaScript over the input
 * value(s), spliced into a kernel that first finds its inputs' offsets.
 *
 * Shader languages lack some of what Math offers (no tanh in WebGL 1) and
 * differ from JavaScript at edges (pow of a negative base is undefined in
 * GLSL and WGSL, NaN below), so those ops are spelled out here the way the
 * cpu reference computes them.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { alignedStrides, fmt, sameShape, sizeOf, type Shape } from '../../base/shape.js';
import type { GpujsBuffer, GpujsDType } from './buffer.js';
import { chunkedReads, type Work } from './chunks.js';
import { isChunked, offsetExpr, unflatten } from './index-math.js';
import { kernelSource, type Job } from './job.js';
import { isNaNOf } from './specials.js';

/** A NaN passes through: set after the op's own value (JavaScript's f(NaN) is NaN for all but relu). */
const keepNaN = (v: string): string => `if (${isNaNOf(v)}) { r = ${v}; }`;
/** For the odd functions with f(±0) = ±0, the zero itself (its sign is what a kernel's formula may lose). */
const keepZero = (v: string): string => `if (${v} === 0) { r = ${v}; }`;

/** tanh(u) from one exp of a non-positive number, so it never overflows; tanh(±0) = ±0. */
const tanhOf = (u: string): string => `e = Math.exp(-2 * Math.abs(${u})); th = (1 - e) / (1 + e); if (${u} < 0) { th = -th; } if (${u} === 0) { th = ${u}; }`;

/** Each unary op sets `r` from `v` (with scratch variables e, u and th). */
const UNARY: Record<UnaryOp, string> = {
  neg: 'r = -v;',
  exp: `r = Math.exp(v); ${keepNaN('v')}`,
  // log of a negative number is NaN, of ±0 is −∞ (−1/|v|).
  log: `r = Math.log(v); if (v < 0) { r = Math.sqrt(v); } if (v === 0) { r = -1 / Math.abs(v); } ${keepNaN('v')}`,
  sqrt: `r = Math.sqrt(v); ${keepZero('v')} ${keepNaN('v')}`,
  abs: 'r = Math.abs(v);',
  tanh: `${tanhOf('v')} r = th; ${keepNaN('v')}`,
  sigmoid: `e = Math.exp(-Math.abs(v)); if (v >= 0) { r = 1 / (1 + e); } else { r = e / (1 + e); } ${keepNaN('v')}`,
  // relu(NaN) is 0, as the reference's v > 0 ? v : 0.
  relu: 'if (v > 0) { r = v; }',
  // GELU, tanh approximation, as the cpu reference.
  gelu: `u = 0.7978845608028654 * (v + 0.044715 * v * v * v); ${tanhOf('u')} r = 0.5 * v * (1 + th); ${keepZero('v')} ${keepNaN('v')}`,
  silu: `e = Math.exp(-Math.abs(v)); if (v >= 0) { r = v / (1 + e); } else { r = v * e / (1 + e); } ${keepZero('v')} ${keepNaN('v')}`,
  // Math.sign: ±0 and NaN are their own sign.
  sign: 'r = v; if (v > 0) { r = 1; } if (v < 0) { r = -1; }',
  sin: `r = Math.sin(v); ${keepZero('v')} ${keepNaN('v')}`,
  cos: `r = Math.cos(v); ${keepNaN('v')}`,
};

/**
 * Math.pow(x, y) in full. The shader's pow(x, y) is exp2(y·log2 x), right
 * only for a finite x > 0 and a finite y, so the rest is spelled out: a
 * negative base has a real power only for a whole y (the sign from y's
 * parity); a zero or infinite base (the values with |x|/2 = |x|) gives
 * x, |x|, 1/x or 1/|x| by the sign and parity of y; an infinite y gives
 * ∞ or 0 by |x| against 1, and NaN at |x| = 1; a NaN gives NaN, except
 * that x⁰ is 1.
 */
const POW = [
  'const ax = Math.abs(x);',
  'let odd = 0.0;',
  'if (Math.floor(y) === y) { if (y - 2 * Math.floor(y / 2) === 1) { odd = 1.0; } }',
  'r = Math.pow(ax, y);',
  'if (x < 0) { if (Math.floor(y) === y) { if (odd === 1) { r = -r; } } else { r = Math.sqrt(x); } }',
  'if (ax * 0.5 === ax) {',
  '  if (y > 0) { if (odd === 1) { r = x; } else { r = ax; } }',
  '  if (y < 0) { if (odd === 1) { r = 1 / x; } else { r = 1 / ax; } }',
  '}',
  'if (y * 0.5 === y && !(y === 0)) {',
  '  if (ax > 1) { if (y > 0) { r = y; } else { r = -1 / y; } }',
  '  if (ax < 1) { if (y > 0) { r = 1 / y; } else { r = -y; } }',
  '  if (ax === 1) { r = Math.sqrt(-ax); }',
  '}',
  keepNaN('x'),
  keepNaN('y'),
  'if (y === 0) { r = 1; }',
].join(' ');

/**
 * max and min as JavaScript's (IEEE 754-2019 maximum and minimum): NaN if
 * either operand is, and +0 above −0 — so neither depends on the operands'
 * order. The sign of a zero shows in 1/x.
 */
const maxMin = (cmp: '>' | '<'): string => [
  `r = x; if (y ${cmp} x) { r = y; }`,
  `if (x === 0 && y === 0) { if (1 / x ${cmp} 0) { r = x; } else { r = y; } }`,
  keepNaN('y'),
  keepNaN('x'),
].join(' ');

/** Each binary op sets `r` from `x` and `y` (comparisons give 1 or 0; a NaN compares false, and unequal). */
const BINARY: Record<BinaryOp, string> = {
  add: 'r = x + y;',
  sub: 'r = x - y;',
  mul: 'r = x * y;',
  div: 'r = x / y;',
  pow: POW,
  max: maxMin('>'),
  min: maxMin('<'),
  eq: 'if (x === y) { r = 1; }',
  ne: 'if (!(x === y)) { r = 1; }',
  lt: 'if (x < y) { r = 1; }',
  le: 'if (x <= y) { r = 1; }',
  gt: 'if (x > y) { r = 1; }',
  ge: 'if (x >= y) { r = 1; }',
};

/**
 * JavaScript's ToInt32 of `r`, in place, as an int32 result stores it:
 * truncate toward zero, wrap modulo 2^32 into [−2^31, 2^31) (exact in
 * float32: past 2^31 a float32 is a multiple of 256), NaN and ±∞ to 0,
 * and −0 to 0.
 */
const TO_INT32 = [
  'const f = r;',
  'r = Math.floor(Math.abs(f)); if (f < 0) { r = -r; }',
  'if (!(Math.abs(r) < 2147483648)) { r = r - 4294967296 * Math.floor(r / 4294967296); if (r >= 2147483648) { r = r - 4294967296; } }',
  'if (!(Math.abs(f) <= 3.4e38)) { r = 0; }',
  'if (r === 0) { r = 0; }',
].join(' ');

/**
 * int32 quotients and powers, which need not be integers (7/2, 2^−1, 1/0),
 * stored as the reference's Int32Array stores them (ToInt32). A shader's
 * float division and pow are a few ulps off (9/3 may be 2.9999998, 5² may
 * be 24.999998), which truncation would turn into an off-by-one: the
 * truncated quotient q is corrected until x − q·y lies between 0 and y
 * (exact: every value here is an integer below 2^24), and a power of at
 * least 1 is rounded to the nearest integer, which it is.
 */
const INT_BINARY: Partial<Record<BinaryOp, string>> = {
  div: [
    `r = x / y; ${TO_INT32}`,
    'if (!(y === 0)) {',
    '  if (Math.abs(x - r * y) >= Math.abs(y)) { if (x * y > 0) { r = r + 1; } else { r = r - 1; } }',
    '  if ((x - r * y) * x < 0) { if (x * y > 0) { r = r - 1; } else { r = r + 1; } }',
    '}',
  ].join(' '),
  pow: `${POW} if (Math.abs(r) >= 1) { r = Math.floor(r + 0.5); } ${TO_INT32}`,
};

export function unaryJob(op: UnaryOp, x: GpujsBuffer): Work {
  return mapJob(`unary:${op}`, UNARY[op], x, x.dtype);
}

/** int32 → float32 is a copy that changes the tag; float32 → int32 is ToInt32, as the reference's Int32Array stores it. */
export function castJob(x: GpujsBuffer, to: GpujsDType): Work {
  const body = to === 'int32' && x.dtype !== 'int32' ? `r = v; ${TO_INT32}` : 'r = v;';
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
  const int = a.dtype === 'int32' ? INT_BINARY[op] : undefined;
  return broadcastJob(`binary:${op}${int ? ':int32' : ''}`, ins, outShape, int ?? BINARY[op], a.dtype);
}

export function whereJob(c: GpujsBuffer, cShape: Shape, a: GpujsBuffer, aShape: Shape, b: GpujsBuffer, bShape: Shape, outShape: Shape): Work {
  const ins = [{ buf: c, shape: cShape, as: 'c' }, { buf: a, shape: aShape, as: 'x' }, { buf: b, shape: bShape, as: 'y' }];
  return broadcastJob('where', ins, outShape, 'if (c === 0) { r = y; } else { r = x; }', a.dtype);
}
