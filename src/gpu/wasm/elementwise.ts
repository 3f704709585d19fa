/**
 * Elementwise ops on the wasm heap. A broadcast is first collapsed: size-1
 * axes dropped, neighbouring axes merged wherever both operands stay
 * contiguous across them. What is left is almost always one [outer, inner]
 * kernel call (same shape, scalar, bias row, per-row column); any leading
 * axes beyond two are walked here, one kernel call per [outer, inner] plane.
 * Ops without a SIMD form (pow, sin, cos, sign, int32) run the reference
 * loops on views of the shared memory.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import * as ref from '../cpu/elementwise.js';
import type { Shape } from '../../base/shape.js';
import { alignedStrides, sizeOf } from '../../base/shape.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';
import { SIMD_BINARY, SIMD_UNARY } from './elementwise-kernel.js';
import { partOf } from './matmul.js';
import type { Share } from './threads.js';

/**
 * Elements below which one thread does the whole op. A load-add-store is
 * bound by memory and gains little from a second core (and loses when that
 * core is busy elsewhere); exp, tanh and friends are compute-bound and split early.
 */
const PARALLEL_ELEMENTS = 1 << 20;
const PARALLEL_TRANSCENDENTAL = 1 << 17;
const CHEAP: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'relu', 'sqrt']);

export function unary(dev: WasmDevice, op: UnaryOp, x: WasmBuffer): WasmBuffer {
  const out = dev.alloc(x.dtype, x.size);
  if (x.dtype === 'float32' && SIMD_UNARY[op]) {
    const parts = dev.shares(x.size >= (CHEAP.has(op) ? PARALLEL_ELEMENTS : PARALLEL_TRANSCENDENTAL));
    const shares: Share[] = [];
    for (let t = 0; t < parts; t++) {
      const [i0, i1] = partOf(x.size, parts, t, 4);
      if (i1 > i0) shares.push({ args: [x.ptr + i0 * 4, out.ptr + i0 * 4, i1 - i0] });
    }
    if (shares.length) dev.run(`u_${op}`, shares);
  } else {
    const f = ref.UNARY[op];
    const src = dev.view(x), dst = dev.view(out);
    for (let i = 0; i < dst.length; i++) dst[i] = f(src[i]!);
  }
  return out;
}

/** The broadcast as few axes as possible: sizes and each operand's element strides. */
export interface Collapsed {
  readonly dims: number[];
  readonly sa: number[];
  readonly sb: number[];
}

export function collapse(aShape: Shape, bShape: Shape, outShape: Shape): Collapsed {
  const as = alignedStrides(aShape, outShape);
  const bs = alignedStrides(bShape, outShape);
  const dims: number[] = [], sa: number[] = [], sb: number[] = [];
  outShape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    // Merge into the previous axis when both operands step through it as one.
    if (last >= 0 && sa[last] === as[i]! * d && sb[last] === bs[i]! * d) {
      dims[last]! *= d;
      sa[last] = as[i]!;
      sb[last] = bs[i]!;
    } else {
      dims.push(d);
      sa.push(as[i]!);
      sb.push(bs[i]!);
    }
  });
  return { dims, sa, sb };
}

/**
 * The common cases by size alone, before any shape walk: an operand as
 * large as the output has its layout (it is not broadcast), and a
 * one-element operand is a scalar. A decoding step is mostly these, on rows
 * so short that planning the broadcast cost more than the arithmetic.
 */
function flatOrCollapse(aSize: number, bSize: number, size: number): Collapsed | null {
  const stride = (n: number): number | null => (n === size ? 1 : n === 1 ? 0 : null);
  const ia = stride(aSize), ib = stride(bSize);
  if (ia === null || ib === null || (ia === 0 && ib === 0 && size > 1)) return null;
  return { dims: [size], sa: [ia], sb: [ib] };
}

export function binary(dev: WasmDevice, op: BinaryOp, a: WasmBuffer, aShape: Shape, b: WasmBuffer, bShape: Shape, outShape: Shape): WasmBuffer {
  const out = dev.alloc(a.dtype, sizeOf(outShape));
  if (out.size === 0) return out;
  if (a.dtype !== 'float32' || !SIMD_BINARY[op]) {
    dev.view(out).set(ref.binary(op, dev.view(a), aShape, dev.view(b), bShape, outShape, a.dtype));
    return out;
  }
  const { dims, sa, sb } = flatOrCollapse(a.size, b.size, out.size) ?? collapse(aShape, bShape, outShape);
  // A scalar op: one element, read as a vector of one. (After collapsing, no axis has both strides 0.)
  if (dims.length === 0) dims.push(1), sa.push(1), sb.push(1);
  const r = dims.length;
  const inner = dims[r - 1]!;
  const mode = `${sa[r - 1] === 0 ? 's' : 'v'}${sb[r - 1] === 0 ? 's' : 'v'}`;
  const name = `b_${op}_${mode}`;
  const outer = r >= 2 ? dims[r - 2]! : 1;
  const aOuter = r >= 2 ? sa[r - 2]! * 4 : 0, bOuter = r >= 2 ? sb[r - 2]! * 4 : 0;
  const planes = sizeOf(dims.slice(0, -2));
  if (planes === 1) {
    const parts = dev.shares(out.size >= PARALLEL_ELEMENTS);
    const shares: Share[] = [];
    for (let t = 0; t < parts; t++) {
      if (outer >= parts) {
        const [o0, o1] = partOf(outer, parts, t, 1);
        if (o1 > o0) shares.push({ args: [a.ptr + o0 * aOuter, b.ptr + o0 * bOuter, out.ptr + o0 * inner * 4, o1 - o0, inner, aOuter, bOuter] });
      } else {
        // One long row: cut it (a stride-0 operand stays put).
        const [i0, i1] = partOf(inner, parts, t, 4);
        const da = sa[r - 1] === 0 ? 0 : i0 * 4, db = sb[r - 1] === 0 ? 0 : i0 * 4;
        if (i1 > i0) shares.push({ args: [a.ptr + da, b.ptr + db, out.ptr + i0 * 4, 1, i1 - i0, 0, 0] });
      }
    }
    dev.run(name, shares);
    return out;
  }
  // Leading axes: an odometer over them, one [outer, inner] plane per call.
  const kernel = dev.fn(name);
  const lead = dims.slice(0, -2);
  const idx = new Array<number>(lead.length).fill(0);
  let ao = 0, bo = 0;
  const planeBytes = outer * inner * 4;
  for (let p = 0; p < planes; p++) {
    kernel(a.ptr + ao * 4, b.ptr + bo * 4, out.ptr + p * planeBytes, outer, inner, aOuter, bOuter);
    for (let d = lead.length - 1; d >= 0; d--) {
      idx[d]!++;
      ao += sa[d]!;
      bo += sb[d]!;
      if (idx[d]! < lead[d]!) break;
      ao -= sa[d]! * lead[d]!;
      bo -= sb[d]! * lead[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * cond ≠ 0 ? a : b. The three operands are collapsed together as in binary,
 * then walked with one running offset each: a plain loop with no callback
 * (the masks of attention are the usual customer).
 */
export function where(dev: WasmDevice, c: WasmBuffer, cShape: Shape, a: WasmBuffer, aShape: Shape, b: WasmBuffer, bShape: Shape, outShape: Shape): WasmBuffer {
  const out = dev.alloc(a.dtype, sizeOf(outShape));
  if (out.size === 0) return out;
  const cv = dev.view(c), av = dev.view(a), bv = dev.view(b), ov = dev.view(out);
  const st = [cShape, aShape, bShape].map((s) => alignedStrides(s, outShape));
  const dims: number[] = [], sc: number[] = [], sa: number[] = [], sb: number[] = [];
  outShape.forEach((d, i) => {
    if (d === 1) return;
    const k = dims.length - 1;
    if (k >= 0 && sc[k] === st[0]![i]! * d && sa[k] === st[1]![i]! * d && sb[k] === st[2]![i]! * d) {
      dims[k]! *= d;
      sc[k] = st[0]![i]!;
      sa[k] = st[1]![i]!;
      sb[k] = st[2]![i]!;
    } else {
      dims.push(d), sc.push(st[0]![i]!), sa.push(st[1]![i]!), sb.push(st[2]![i]!);
    }
  });
  if (dims.length === 0) dims.push(1), sc.push(0), sa.push(0), sb.push(0);
  const r = dims.length, len = dims[r - 1]!;
  const [ic, ia, ib] = [sc[r - 1]!, sa[r - 1]!, sb[r - 1]!];
  const idx = new Array<number>(r - 1).fill(0);
  let oc = 0, oa = 0, ob = 0;
  for (let o = 0; o < out.size; o += len) {
    for (let i = 0, pc = oc, pa = oa, pb = ob; i < len; i++, pc += ic, pa += ia, pb += ib) ov[o + i] = cv[pc] !== 0 ? av[pa]! : bv[pb]!;
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++;
      oc += sc[d]!, oa += sa[d]!, ob += sb[d]!;
      if (idx[d]! < dims[d]!) break;
      oc -= sc[d]! * dims[d]!, oa -= sa[d]! * dims[d]!, ob -= sb[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
