/**
 * Row softmax as one WebAssembly SIMD kernel, with attention's scale and
 * causal mask folded in:
 *
 *   softmax_rows(x, out, rows, n, scaleBits, period, past, row0)
 *
 * For row r (global index row0 + r) of n floats, y_j = exp(s·(x_j − m)) / Σ
 * over the row's first `len` columns, m their max, and y_j = 0 past them:
 * len = n, or, for a causal row (period > 0), past + ((row0 + r) mod
 * period) + 1 capped at n — the keys a query at that position may see,
 * queries cycling through `period` positions as attention lays its rows
 * out. s is the f32 whose bits are scaleBits (the thread pool passes i32s
 * only). A row whose max is ±∞ or NaN is shifted by 0, as the composite's
 * guard does (functional.ts).
 *
 * Three passes over the visible part (max; exp, store and sum; scale) and
 * one store of zeros over the rest, where the composite is a reduce, a
 * subtract, an exp, a sum and a divide (plus, in attention, a scale and a
 * mask add), each a pass with a buffer of its own. Rows are not aligned to
 * 16 bytes when n mod 4 ≠ 0: loads and stores say alignment 1.
 */
import { Func, F32, I32, V128, op, simd as s } from './emit.js';
import { vexp } from './vmath.js';

/** The max (or sum) of the four lanes of v128 local v, as an f32 on the stack. */
function horizontal(f: Func, v: number, combine: number): void {
  f.get(v).lane(s.f32x4ExtractLane, 0).get(v).lane(s.f32x4ExtractLane, 1).emit(combine);
  f.get(v).lane(s.f32x4ExtractLane, 2).get(v).lane(s.f32x4ExtractLane, 3).emit(combine).emit(combine);
}

export function softmaxFunc(): Func {
  const f = new Func('softmax_rows', [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [x, out, rows, n, scaleBits, period, past, row0] = [0, 1, 2, 3, 4, 5, 6, 7];
  const r = f.local(I32), len = f.local(I32), p = f.local(I32), end = f.local(I32), q = f.local(I32);
  const scale = f.local(F32), m = f.local(F32), sum = f.local(F32);
  const vs = f.local(V128), vm = f.local(V128), acc = f.local(V128), e = f.local(V128), t = f.local(V128);
  f.get(scaleBits).emit(op.f32ReinterpretI32).set(scale);
  f.get(scale).v(s.f32x4Splat).set(vs);
  const addr = (base: number, index: number): void => {
    f.get(base).get(index).i32(2).emit(op.i32Shl).emit(op.i32Add);
  };
  f.forUp(r, rows, 1, () => {
    // len: the visible columns of this row.
    f.get(n).set(len);
    f.get(period).ifThen(() => {
      f.get(past).get(row0).get(r).emit(op.i32Add).get(period).emit(op.i32RemU).emit(op.i32Add).i32(1).emit(op.i32Add).set(q);
      f.get(q).get(len).get(q).get(len).emit(op.i32LtS).emit(op.select).set(len);
    });
    f.get(len).i32(-4).emit(op.i32And).set(end);
    // Pass 1: m = max of the visible part.
    f.vf32(-Infinity).set(acc);
    f.forUp(p, end, 4, () => {
      f.get(acc);
      addr(x, p);
      f.vmem(s.load, 0, 0).v(s.f32x4Max).set(acc);
    });
    horizontal(f, acc, op.f32Max);
    f.set(m);
    f.loopLt(p, len, 1, () => {
      f.get(m);
      addr(x, p);
      f.mem(op.f32Load, 0, 0).emit(op.f32Max).set(m);
    });
    // The guard: m − m is 0 only for a finite m.
    f.get(m).get(m).emit(op.f32Sub).f32(0).emit(op.f32Ne).ifThen(() => {
      f.f32(0).set(m);
    });
    f.get(m).v(s.f32x4Splat).set(vm);
    // Pass 2: out = exp(s·(x − m)), summed. The tail runs as a whole vector (the heap keeps slack past every block) and only its visible lanes are stored and summed.
    f.vf32(0).set(acc);
    f.forUp(p, end, 4, () => {
      addr(x, p);
      f.vmem(s.load, 0, 0).get(vm).v(s.f32x4Sub).get(vs).v(s.f32x4Mul).set(t);
      vexp(f, t);
      f.set(e);
      addr(out, p);
      f.get(e).vmem(s.store, 0, 0);
      f.get(acc).get(e).v(s.f32x4Add).set(acc);
    });
    horizontal(f, acc, op.f32Add);
    f.set(sum);
    f.get(len).get(end).emit(op.i32GtS).ifThen(() => {
      addr(x, end);
      f.vmem(s.load, 0, 0).get(vm).v(s.f32x4Sub).get(vs).v(s.f32x4Mul).set(t);
      vexp(f, t);
      f.set(e);
      for (let k = 0; k < 3; k++) {
        f.get(len).get(end).emit(op.i32Sub).i32(k).emit(op.i32GtS).ifThen(() => {
          f.get(end).i32(k).emit(op.i32Add).set(q);
          addr(out, q);
          f.get(e).lane(s.f32x4ExtractLane, k).mem(op.f32Store, 0, 0);
          f.get(sum).get(e).lane(s.f32x4ExtractLane, k).emit(op.f32Add).set(sum);
        });
      }
    });
    // Pass 3: divide by the sum; zeros past the visible part.
    f.f32(1).get(sum).emit(op.f32Div).v(s.f32x4Splat).set(t);
    f.forUp(p, end, 4, () => {
      addr(out, p);
      addr(out, p);
      f.vmem(s.load, 0, 0).get(t).v(s.f32x4Mul).vmem(s.store, 0, 0);
    });
    f.loopLt(p, len, 1, () => {
      addr(out, p);
      addr(out, p);
      f.mem(op.f32Load, 0, 0).get(t).lane(s.f32x4ExtractLane, 0).emit(op.f32Mul).mem(op.f32Store, 0, 0);
    });
    f.get(n).i32(3).emit(op.i32Sub).set(end); // a whole vector fits while p < n − 3
    f.loopLt(p, end, 4, () => {
      addr(out, p);
      f.vf32(0).vmem(s.store, 0, 0);
    });
    f.loopLt(p, n, 1, () => {
      addr(out, p);
      f.f32(0).mem(op.f32Store, 0, 0);
    });
    f.inc(x, () => f.get(n).i32(2).emit(op.i32Shl));
    f.inc(out, () => f.get(n).i32(2).emit(op.i32Shl));
  });
  return f;
}
