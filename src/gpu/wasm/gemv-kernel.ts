/**
 * Products with few rows of A (a decoding step's tokens): C = op(A)·op(B)
 * [+ 1·biasᵀ] with B read where it lies. The GEMM (gemm-kernel.ts) copies
 * every block of B into packed panels before it multiplies, which pays
 * when the panels are read by many rows of A; for one or two rows the copy
 * is as much work as the product. Two kernels, with gemm's arguments
 * (a, b, c, m, n, k, rsA, csA, rsB, csB, ldc, work, aIdx, bias; `work`
 * unused), so the drivers pick one per call by the layout of B:
 *
 *   gemv_cols  B's columns are contiguous (csB = 4: B as stored, an
 *              expert's column block of W1): for 16 columns at a time,
 *              four accumulators gather a[i,p]·B[p, j…j+15] over p;
 *   gemv_dot   B's rows along p are contiguous (rsB = 4: Bᵀ, the tied
 *              head, attention's q·Kᵀ) and so are A's (csA = 4): each
 *              C[i, j] is a dot product of two contiguous runs.
 *
 * A row i of op(A) is at a + i·rsA, or a + aIdx[i]·rsA when A is gathered
 * (an MoE's tokens read through the dispatch index, as gemm's packing does).
 * Sums run in float32 in another order than gemm's; both are within float32
 * tolerance of the cpu reference, which the backend tests hold them to.
 */
import { F32, Func, I32, V128, op, simd as s, type ValType } from './emit.js';

/** Args shared with gemm, in its order. */
const ARGS: readonly ValType[] = Array.from({ length: 14 }, () => I32);
const [A, B, C, M, N, K, RSA, CSA, RSB, CSB, LDC, , AIDX, BIAS] = ARGS.map((_, i) => i) as number[];

/** Rows below which a product runs as gemv rather than gemm. */
export const GEMV_MAX_ROWS = 4;

/** row = a + (aIdx ? aIdx[i] : i)·rsA; crow = c + i·ldc. */
function rowStarts(f: Func, i: number, row: number, crow: number): void {
  f.get(AIDX!).ifThen(
    () => f.get(A!).get(AIDX!).get(i).i32(2).emit(op.i32Shl).emit(op.i32Add).mem(op.i32Load).get(RSA!).emit(op.i32Mul).emit(op.i32Add).set(row),
    () => f.get(A!).get(i).get(RSA!).emit(op.i32Mul).emit(op.i32Add).set(row),
  );
  f.get(C!).get(i).get(LDC!).emit(op.i32Mul).emit(op.i32Add).set(crow);
}

/** Pushes base + 4·j. */
function at(f: Func, base: number, j: number): void {
  f.get(base).get(j).i32(2).emit(op.i32Shl).emit(op.i32Add);
}

export function gemvColsFunc(): Func {
  const f = new Func('gemv_cols', ARGS);
  const i = f.local(I32), row = f.local(I32), crow = f.local(I32), j = f.local(I32), p = f.local(I32), end = f.local(I32);
  const pa = f.local(I32), pb = f.local(I32), av = f.local(V128), sum = f.local(F32);
  const acc = Array.from({ length: 4 }, () => f.local(V128));
  /** Columns j … j + 4·w − 1 of row i, w vectors wide (the loop around it moves j). */
  const block = (w: number): void => {
    for (let v = 0; v < w; v++) {
      f.get(BIAS!).ifThen(() => {
        at(f, BIAS!, j);
        f.vmem(s.load, 16 * v, 0).set(acc[v]!);
      }, () => f.vf32(0).set(acc[v]!));
    }
    f.get(row).set(pa);
    at(f, B!, j);
    f.set(pb);
    f.forUp(p, K!, 1, () => {
      f.get(pa).vmem(s.load32Splat).set(av);
      for (let v = 0; v < w; v++) f.get(acc[v]!).get(av).get(pb).vmem(s.load, 16 * v, 0).v(s.f32x4Mul).v(s.f32x4Add).set(acc[v]!);
      f.inc(pa, () => f.get(CSA!));
      f.inc(pb, () => f.get(RSB!));
    });
    for (let v = 0; v < w; v++) {
      at(f, crow, j);
      f.get(acc[v]!).vmem(s.store, 16 * v, 0);
    }
  };
  f.forUp(i, M!, 1, () => {
    rowStarts(f, i, row, crow);
    f.i32(0).set(j);
    f.get(N!).i32(15).emit(op.i32Sub).set(end);
    f.loopLt(j, end, 16, () => block(4));
    f.get(N!).i32(3).emit(op.i32Sub).set(end);
    f.loopLt(j, end, 4, () => block(1));
    // The last columns one at a time.
    f.loopLt(j, N!, 1, () => {
      f.f32(0).set(sum);
      f.get(BIAS!).ifThen(() => {
        at(f, BIAS!, j);
        f.mem(op.f32Load, 0, 0).set(sum);
      });
      f.get(row).set(pa);
      at(f, B!, j);
      f.set(pb);
      f.forUp(p, K!, 1, () => {
        f.get(sum).get(pa).mem(op.f32Load, 0, 0).get(pb).mem(op.f32Load, 0, 0).emit(op.f32Mul).emit(op.f32Add).set(sum);
        f.inc(pa, () => f.get(CSA!));
        f.inc(pb, () => f.get(RSB!));
      });
      at(f, crow, j);
      f.get(sum).mem(op.f32Store, 0, 0);
    });
  });
  return f;
}

export function gemvDotFunc(): Func {
  const f = new Func('gemv_dot', ARGS);
  const i = f.local(I32), row = f.local(I32), crow = f.local(I32), j = f.local(I32);
  const pa = f.local(I32), pb = f.local(I32), vend = f.local(I32), end = f.local(I32), acc = f.local(V128), sum = f.local(F32);
  f.forUp(i, M!, 1, () => {
    rowStarts(f, i, row, crow);
    // The vector part of the run, then its tail.
    f.get(row).get(K!).i32(-4).emit(op.i32And).i32(2).emit(op.i32Shl).emit(op.i32Add).set(vend);
    f.get(row).get(K!).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
    f.forUp(j, N!, 1, () => {
      f.vf32(0).set(acc);
      f.get(row).set(pa);
      f.get(B!).get(j).get(CSB!).emit(op.i32Mul).emit(op.i32Add).set(pb);
      f.loopLt(pa, vend, 16, () => {
        f.get(acc).get(pa).vmem(s.load, 0, 0).get(pb).vmem(s.load, 0, 0).v(s.f32x4Mul).v(s.f32x4Add).set(acc);
        f.inc(pb, 16);
      });
      f.get(acc).lane(s.f32x4ExtractLane, 0).get(acc).lane(s.f32x4ExtractLane, 1).emit(op.f32Add);
      f.get(acc).lane(s.f32x4ExtractLane, 2).get(acc).lane(s.f32x4ExtractLane, 3).emit(op.f32Add).emit(op.f32Add).set(sum);
      f.loopLt(pa, end, 4, () => {
        f.get(sum).get(pa).mem(op.f32Load, 0, 0).get(pb).mem(op.f32Load, 0, 0).emit(op.f32Mul).emit(op.f32Add).set(sum);
        f.inc(pb, 4);
      });
      f.get(BIAS!).ifThen(() => {
        f.get(sum);
        at(f, BIAS!, j);
        f.mem(op.f32Load, 0, 0).emit(op.f32Add).set(sum);
      });
      at(f, crow, j);
      f.get(sum).mem(op.f32Store, 0, 0);
    });
  });
  return f;
}

export function gemvFuncs(): Func[] {
  return [gemvColsFunc(), gemvDotFunc()];
}

/** The gemv kernel for a product of m rows with these strides (bytes), or null when gemm should run it. */
export function gemvKernel(m: number, csA: number, rsB: number, csB: number): 'gemv_cols' | 'gemv_dot' | null {
  if (m > GEMV_MAX_ROWS) return null;
  if (csB === 4) return 'gemv_cols';
  if (rsB === 4 && csA === 4) return 'gemv_dot';
  return null;
}
