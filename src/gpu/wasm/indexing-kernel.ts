/**
 * Row gather and scatter-add as WebAssembly SIMD: the dispatch kernels of a
 * Mixture of Experts, moving whole rows four floats at a time.
 *
 *   gather_rows(src, idx, out, n, cols)
 *       out row i = src row idx[i], for i < n;
 *   scatter_add_rows(src, idx, n, out, cols, lo, hi)
 *       out rows lo ≤ t < hi start at zero, then out row idx[i] += src row i
 *       for every i < n (in increasing i) whose target is in [lo, hi).
 *
 * The scatter-add is split across threads by *output* rows: every thread
 * scans all the indices (a few thousand int32 loads, nothing next to the
 * rows) and folds in only those that land in its own rows, so no two
 * threads ever write the same row and each row's sum is taken in the same
 * order as the reference's — the result does not depend on the threading.
 * The indices are checked on the host before either kernel runs.
 * Pointers are bytes; `cols` counts 4-byte elements.
 */
import { Func, I32, V128, op, simd as s } from './emit.js';

/** Copies `cols` elements from `from` to `to` (locals), a vector at a time, then the tail one at a time. */
function copyRow(f: Func, from: number, to: number, cols: number, end: number, tail: number): void {
  f.get(to).get(cols).i32(-4).emit(op.i32And).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
  f.get(to).get(cols).i32(2).emit(op.i32Shl).emit(op.i32Add).set(tail);
  f.loopLt(to, end, 16, () => {
    f.get(to).get(from).vmem(s.load, 0, 0).vmem(s.store, 0, 0);
    f.inc(from, 16);
  });
  f.loopLt(to, tail, 4, () => {
    f.get(to).get(from).mem(op.i32Load).mem(op.i32Store);
    f.inc(from, 4);
  });
}

/** out[to…] += src[from…] over `cols` floats: vectors, then the tail. */
function addRow(f: Func, from: number, to: number, cols: number, end: number, tail: number): void {
  f.get(to).get(cols).i32(-4).emit(op.i32And).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
  f.get(to).get(cols).i32(2).emit(op.i32Shl).emit(op.i32Add).set(tail);
  f.loopLt(to, end, 16, () => {
    f.get(to).get(to).vmem(s.load, 0, 0).get(from).vmem(s.load, 0, 0).v(s.f32x4Add).vmem(s.store, 0, 0);
    f.inc(from, 16);
  });
  f.loopLt(to, tail, 4, () => {
    f.get(to).get(to).mem(op.f32Load).get(from).mem(op.f32Load).emit(op.f32Add).mem(op.f32Store);
    f.inc(from, 4);
  });
}

function gatherFunc(): Func {
  const f = new Func('gather_rows', [I32, I32, I32, I32, I32]);
  const [src, idx, out, n, cols] = [0, 1, 2, 3, 4];
  const i = f.local(I32), from = f.local(I32), rowBytes = f.local(I32), end = f.local(I32), tail = f.local(I32);
  f.get(cols).i32(2).emit(op.i32Shl).set(rowBytes);
  f.forUp(i, n, 1, () => {
    f.get(src).get(idx).mem(op.i32Load).get(rowBytes).emit(op.i32Mul).emit(op.i32Add).set(from);
    copyRow(f, from, out, cols, end, tail); // leaves `out` at the next row
    f.inc(idx, 4);
  });
  return f;
}

function scatterAddFunc(): Func {
  const f = new Func('scatter_add_rows', [I32, I32, I32, I32, I32, I32, I32]);
  const [src, idx, n, out, cols, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(I32), t = f.local(I32), from = f.local(I32), to = f.local(I32), rowBytes = f.local(I32);
  const end = f.local(I32), tail = f.local(I32), zEnd = f.local(I32);
  f.get(cols).i32(2).emit(op.i32Shl).set(rowBytes);
  // Zero this share's rows [lo, hi): they are contiguous, so one run of vector stores and a tail.
  f.get(out).get(lo).get(rowBytes).emit(op.i32Mul).emit(op.i32Add).set(to);
  f.get(out).get(hi).get(rowBytes).emit(op.i32Mul).emit(op.i32Add).set(zEnd);
  f.get(zEnd).get(to).emit(op.i32Sub).i32(-16).emit(op.i32And).get(to).emit(op.i32Add).set(end);
  f.loopLt(to, end, 16, () => {
    f.get(to).vf32(0).vmem(s.store, 0, 0);
  });
  f.loopLt(to, zEnd, 4, () => {
    f.get(to).f32(0).mem(op.f32Store);
  });
  f.forUp(i, n, 1, () => {
    f.get(idx).mem(op.i32Load).set(t);
    f.get(t).get(lo).emit(op.i32GeS).get(t).get(hi).emit(op.i32LtS).emit(op.i32And).ifThen(() => {
      f.get(src).get(i).get(rowBytes).emit(op.i32Mul).emit(op.i32Add).set(from);
      f.get(out).get(t).get(rowBytes).emit(op.i32Mul).emit(op.i32Add).set(to);
      addRow(f, from, to, cols, end, tail);
    });
    f.inc(idx, 4);
  });
  return f;
}

export function indexingFuncs(): Func[] {
  return [gatherFunc(), scatterAddFunc()];
}
