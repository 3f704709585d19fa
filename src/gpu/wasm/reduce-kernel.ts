/**
 * Row reductions as WebAssembly SIMD: `r_<op>_rows(x, out, rows, n)` reduces
 * each contiguous row of n floats to one. Four lanes accumulate side by
 * side and are combined at the end; the tail (n mod 4) is folded in one
 * float at a time. (Reductions over a middle axis are row-by-row binary
 * kernels, see reduce.ts.)
 */
import type { ReduceOp } from '../backend.js';
import { Func, I32, V128, op, simd as s } from './emit.js';

const VEC: Record<ReduceOp, number> = { sum: s.f32x4Add, max: s.f32x4Max, min: s.f32x4Min };
const SCALAR: Record<ReduceOp, number> = { sum: op.f32Add, max: op.f32Max, min: op.f32Min };

export function rowReduceFunc(name: ReduceOp): Func {
  const f = new Func(`r_${name}_rows`, [I32, I32, I32, I32]);
  const [x, out, rows, n] = [0, 1, 2, 3];
  const r = f.local(I32), end = f.local(I32), tailEnd = f.local(I32), acc = f.local(V128);
  f.forUp(r, rows, 1, () => {
    // Start from 0 for a sum, from the row's first element for max/min.
    if (name === 'sum') f.vf32(0).set(acc);
    else f.get(x).vmem(s.load32Splat).set(acc);
    f.get(x).get(n).i32(-4).emit(op.i32And).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
    f.get(x).get(n).i32(2).emit(op.i32Shl).emit(op.i32Add).set(tailEnd);
    f.loopLt(x, end, 16, () => {
      f.get(acc).get(x).vmem(s.load, 0, 0).v(VEC[name]).set(acc);
    });
    // Lanes combined, then the tail.
    f.get(out);
    f.get(acc).lane(s.f32x4ExtractLane, 0).get(acc).lane(s.f32x4ExtractLane, 1).emit(SCALAR[name]);
    f.get(acc).lane(s.f32x4ExtractLane, 2).get(acc).lane(s.f32x4ExtractLane, 3).emit(SCALAR[name]).emit(SCALAR[name]);
    f.mem(op.f32Store);
    f.loopLt(x, tailEnd, 4, () => {
      f.get(out).get(out).mem(op.f32Load).get(x).mem(op.f32Load).emit(SCALAR[name]).mem(op.f32Store);
    });
    f.inc(out, 4);
  });
  return f;
}

export function reduceFuncs(): Func[] {
  return (['sum', 'max', 'min'] as const).map(rowReduceFunc);
}
