/**
 * Elementwise kernels as WebAssembly SIMD, four floats per step.
 *
 * unary `u_<op>(x, out, n)`; binary `b_<op>_<modes>(a, b, out, outer,
 * inner, aOuter, bOuter)` over an [outer, inner] output, where each operand's
 * mode says how it moves along `inner`: 'v' (contiguous) or 's' (one value
 * repeated, stride 0), and aOuter/bOuter are its byte strides along `outer`.
 * Collapsing a broadcast to that form (elementwise.ts) covers same-shape,
 * scalar, bias-row and per-row-column operands with one kernel call.
 *
 * The last partial vector is computed whole (the heap keeps slack after
 * every block, so reading past the end is safe) and stored lane by lane.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { Func, I32, V128, op, simd as s } from './emit.js';
import { vexp, vgelu, vlog, vsigmoid, vsilu, vtanh } from './vmath.js';

type VUnary = (f: Func, x: number) => void;

/** The unary ops with a SIMD form (the rest run as JS loops on the shared memory). */
export const SIMD_UNARY: Partial<Record<UnaryOp, VUnary>> = {
  neg: (f, x) => f.get(x).v(s.f32x4Neg),
  abs: (f, x) => f.get(x).v(s.f32x4Abs),
  sqrt: (f, x) => f.get(x).v(s.f32x4Sqrt),
  // pmax(0, x) = 0 < x ? x : 0, so NaN → 0 as the reference's x > 0 ? x : 0.
  relu: (f, x) => f.vf32(0).get(x).v(s.f32x4Pmax),
  exp: vexp,
  log: vlog,
  tanh: vtanh,
  sigmoid: vsigmoid,
  silu: vsilu,
  gelu: vgelu,
};

/** Stack (a, b) → result. Comparisons turn the all-ones mask into 1.0. */
const cmp = (code: number) => (f: Func): void => {
  f.v(code).vf32(1).v(s.and);
};
export const SIMD_BINARY: Partial<Record<BinaryOp, (f: Func) => void>> = {
  add: (f) => f.v(s.f32x4Add),
  sub: (f) => f.v(s.f32x4Sub),
  mul: (f) => f.v(s.f32x4Mul),
  div: (f) => f.v(s.f32x4Div),
  max: (f) => f.v(s.f32x4Max),
  min: (f) => f.v(s.f32x4Min),
  eq: cmp(s.f32x4Eq),
  ne: cmp(s.f32x4Ne),
  lt: cmp(s.f32x4Lt),
  le: cmp(s.f32x4Le),
  gt: cmp(s.f32x4Gt),
  ge: cmp(s.f32x4Ge),
};

export type Mode = 'vv' | 'vs' | 'sv';
export const MODES: readonly Mode[] = ['vv', 'vs', 'sv'];

/** Stores lanes 0..rem−1 of the v128 in `r` at `out` (rem = 1..3). */
function storeLanes(f: Func, out: number, r: number, rem: number): void {
  for (let k = 0; k < 3; k++) {
    f.get(rem).i32(k).emit(op.i32GtS).ifThen(() => {
      f.get(out).get(r).lane(s.f32x4ExtractLane, k).mem(op.f32Store, k * 4);
    });
  }
}

export function unaryFunc(name: UnaryOp, body: VUnary): Func {
  const f = new Func(`u_${name}`, [I32, I32, I32]);
  const [x, out, n] = [0, 1, 2];
  const end = f.local(I32), rem = f.local(I32), v = f.local(V128), r = f.local(V128);
  // end = out + 4·(n − n mod 4)
  f.get(n).i32(3).emit(op.i32And).set(rem);
  f.get(out).get(n).get(rem).emit(op.i32Sub).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
  f.loopLt(out, end, 16, () => {
    f.get(x).vmem(s.load, 0, 0).set(v);
    f.get(out);
    body(f, v);
    f.vmem(s.store, 0, 0);
    f.inc(x, 16);
  });
  f.get(rem).ifThen(() => {
    f.get(x).vmem(s.load, 0, 0).set(v);
    body(f, v);
    f.set(r);
    storeLanes(f, out, r, rem);
  });
  return f;
}

export function binaryFunc(name: BinaryOp, body: (f: Func) => void, mode: Mode): Func {
  const f = new Func(`b_${name}_${mode}`, [I32, I32, I32, I32, I32, I32, I32]);
  const [a, b, out, outer, inner, aOuter, bOuter] = [0, 1, 2, 3, 4, 5, 6];
  const o = f.local(I32), pa = f.local(I32), pb = f.local(I32), end = f.local(I32), rem = f.local(I32);
  const va = f.local(V128), vb = f.local(V128), r = f.local(V128);
  const [aVec, bVec] = [mode[0] === 'v', mode[1] === 'v'];
  f.get(inner).i32(3).emit(op.i32And).set(rem);
  f.forUp(o, outer, 1, () => {
    f.get(a).set(pa);
    f.get(b).set(pb);
    if (!aVec) f.get(a).vmem(s.load32Splat).set(va);
    if (!bVec) f.get(b).vmem(s.load32Splat).set(vb);
    f.get(out).get(inner).get(rem).emit(op.i32Sub).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
    const step = (): void => {
      if (aVec) f.get(pa).vmem(s.load, 0, 0).set(va);
      if (bVec) f.get(pb).vmem(s.load, 0, 0).set(vb);
      f.get(va).get(vb);
      body(f);
    };
    f.loopLt(out, end, 16, () => {
      f.get(out);
      step();
      f.vmem(s.store, 0, 0);
      if (aVec) f.inc(pa, 16);
      if (bVec) f.inc(pb, 16);
    });
    f.get(rem).ifThen(() => {
      step();
      f.set(r);
      storeLanes(f, out, r, rem);
      f.get(out).get(rem).i32(2).emit(op.i32Shl).emit(op.i32Add).set(out);
    });
    f.inc(a, () => f.get(aOuter));
    f.inc(b, () => f.get(bOuter));
  });
  return f;
}

/** Every elementwise kernel, in a fixed order. */
export function elementwiseFuncs(): Func[] {
  const out: Func[] = [];
  for (const [name, body] of Object.entries(SIMD_UNARY)) out.push(unaryFunc(name as UnaryOp, body));
  for (const [name, body] of Object.entries(SIMD_BINARY)) for (const m of MODES) out.push(binaryFunc(name as BinaryOp, body, m));
  return out;
}
