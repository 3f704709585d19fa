/**
 * The matmul kernel, emitted as WebAssembly SIMD: the BLIS/GotoBLAS layout.
 *
 *   for each NC-wide column block of B, each KC-deep slice of k:
 *     pack that B block into NR-wide panels (contiguous, zero-padded)
 *     for each MC-tall row block of A:
 *       pack it into MR-tall panels
 *       for each NR panel, each MR panel: the micro-kernel
 *
 * The micro-kernel keeps an MR×NR tile of C in MR·NR/4 f32x4 registers and,
 * per step p of the inner dimension, loads NR/4 vectors of packed B and MR
 * broadcast scalars of packed A: MR·NR multiply-adds per MR + NR/4 loads.
 * Packing is where layouts disappear: element (i, p) of op(A) is at
 * a + i·rsA + p·csA and (p, j) of op(B) at b + p·rsB + j·csB, so the four
 * transpose variants differ only in those strides, and the micro-kernel
 * always reads the same contiguous panels.
 *
 * Two extras ride on that structure at no cost of their own. A gathered A
 * (row i of op(A) is row idx[i] of the stored matrix) is packed through the
 * index instead of copied first: the gather an MoE's dispatch needs happens
 * inside the copy the packing makes anyway, as ScatterMoE fuses it into its
 * GEMM. A bias row (C = op(A)·op(B) + 1·biasᵀ) starts the accumulators of
 * the first k block instead of zeros, so it costs one load per tile.
 *
 * All pointers and strides are in bytes.
 */
import { Func, I32, V128, op, simd } from './emit.js';

export interface GemmShape {
  /** Micro-tile: MR rows (broadcast from A) × NR columns (NR/4 vectors of B). */
  readonly mr: number;
  readonly nr: number;
  /** Cache blocks: KC deep, MC rows of A, NC columns of B. */
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
}

export const GEMM: GemmShape = { mr: 4, nr: 8, kc: 256, mc: 64, nc: 1024 };

/** Bytes of scratch one thread needs: packed A block, packed B block, one edge tile. */
export function gemmWorkBytes(g: GemmShape): number {
  const ceil = (x: number, q: number): number => Math.ceil(x / q) * q;
  return 4 * (ceil(g.mc, g.mr) * g.kc + g.kc * ceil(g.nc, g.nr) + g.mr * g.nr) + 64;
}

/**
 * A full panel of W rows whose depth is contiguous (cs = 4 bytes: A
 * row-major, or B read transposed): 4×4 blocks transposed in registers.
 * Four rows' next four elements come in as four vectors, two rounds of
 * shuffles turn them into four steps of the panel, and those go out as four
 * stores — instead of sixteen scalar loads and stores. `row(i)` pushes the
 * address of row i's first element; `d` ends past the panel.
 */
function transposedPanel(f: Func, W: number, row: (i: number) => void, depth: number, d: number): void {
  const ptr = Array.from({ length: W }, () => f.local(I32));
  const v = Array.from({ length: 4 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  const p = f.local(I32), end = f.local(I32);
  ptr.forEach((x, i) => {
    row(i);
    f.set(x);
  });
  f.get(depth).i32(-4).emit(op.i32And).set(end);
  f.forUp(p, end, 4, () => {
    for (let q = 0; q < W / 4; q++) {
      for (let i = 0; i < 4; i++) f.get(ptr[4 * q + i]!).vmem(simd.load, 0, 0).set(v[i]!);
      // [a0 a1 a2 a3], [b0 …], [c0 …], [d0 …] → [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
      f.get(v[0]!).get(v[1]!).shuffle32([0, 4, 1, 5]).set(t[0]!);
      f.get(v[0]!).get(v[1]!).shuffle32([2, 6, 3, 7]).set(t[1]!);
      f.get(v[2]!).get(v[3]!).shuffle32([0, 4, 1, 5]).set(t[2]!);
      f.get(v[2]!).get(v[3]!).shuffle32([2, 6, 3, 7]).set(t[3]!);
      // → [a0 b0 c0 d0], [a1 b1 c1 d1], [a2 …], [a3 …]: steps p … p+3 of these four rows.
      const steps: [number, number, readonly [number, number, number, number]][] = [[0, 2, [0, 1, 4, 5]], [0, 2, [2, 3, 6, 7]], [1, 3, [0, 1, 4, 5]], [1, 3, [2, 3, 6, 7]]];
      steps.forEach(([x, y, lanes], j) => {
        f.get(d).get(t[x]!).get(t[y]!).shuffle32(lanes).vmem(simd.store, j * W * 4 + q * 16, 0);
      });
      for (let i = 0; i < 4; i++) f.inc(ptr[4 * q + i]!, 16);
    }
    f.inc(d, 4 * W * 4);
  });
  // The last depth mod 4 steps, one element at a time.
  f.loopLt(p, depth, 1, () => {
    ptr.forEach((x, i) => {
      f.get(d).get(x).mem(op.f32Load).mem(op.f32Store, i * 4);
      f.inc(x, 4);
    });
    f.inc(d, W * 4);
  });
}

/**
 * pack(src, rs, cs, rows, depth, dst): rows × depth elements at
 * src + r·rs + p·cs into panels of W rows: dst[panel][p][w], zero-padded.
 * The loop order follows whichever stride is contiguous.
 */
/**
 * The loop both packers share: for each panel of W rows starting at row r0
 * (local), w = min(W, rows − r0) of them valid; a partial panel is zeroed
 * first, then `fill` writes the valid rows at dst, and dst moves on.
 */
function forEachPanel(f: Func, W: number, rows: number, depth: number, dst: number, fill: (r0: number, w: number) => void): void {
  const r0 = f.local(I32), w = f.local(I32), d = f.local(I32), panelBytes = f.local(I32), end = f.local(I32);
  f.get(depth).i32(W * 4).emit(op.i32Mul).set(panelBytes);
  f.forUp(r0, rows, W, () => {
    f.get(rows).get(r0).emit(op.i32Sub).tee(w).i32(W).get(w).i32(W).emit(op.i32LtS).emit(op.select).set(w);
    f.get(w).i32(W).emit(op.i32LtS).ifThen(() => {
      f.get(dst).get(panelBytes).emit(op.i32Add).set(end);
      f.get(dst).set(d);
      f.loopLt(d, end, 4, () => {
        f.get(d).f32(0).mem(op.f32Store);
      });
    });
    fill(r0, w);
    f.inc(dst, () => f.get(panelBytes));
  });
}

function packFunc(name: string, W: number): Func {
  const f = new Func(name, [I32, I32, I32, I32, I32, I32]);
  const [src, rs, cs, rows, depth, dst] = [0, 1, 2, 3, 4, 5];
  const p = f.local(I32), i = f.local(I32), s = f.local(I32), d = f.local(I32);
  forEachPanel(f, W, rows, depth, dst, (r0, w) => {
    f.get(src).get(r0).get(rs).emit(op.i32Mul).emit(op.i32Add).set(s);
    const contiguousPanel = W % 4 === 0;
    f.get(rs).i32(4).emit(op.i32Eq).get(w).i32(W).emit(op.i32Eq).emit(op.i32And).i32(contiguousPanel ? 1 : 0).emit(op.i32And).ifThen(
      () => {
        // Rows contiguous and the panel full: W/4 vector copies per step.
        f.get(dst).set(d);
        f.forUp(p, depth, 1, () => {
          for (let v = 0; v < W / 4; v++) f.get(d).get(s).vmem(simd.load, v * 16, 0).vmem(simd.store, v * 16, 0);
          f.inc(s, () => f.get(cs));
          f.inc(d, W * 4);
        });
      },
      () => {
        f.get(cs).get(rs).emit(op.i32LeS).ifThen(
          () => {
            // Depth is the contiguous direction: a full panel of dense rows in 4×4 transposes,
            // anything else walking each row along p.
            f.get(cs).i32(4).emit(op.i32Eq).get(w).i32(W).emit(op.i32Eq).emit(op.i32And).ifThen(
              () => {
                f.get(dst).set(d);
                transposedPanel(f, W, (r) => f.get(s).get(rs).i32(r).emit(op.i32Mul).emit(op.i32Add), depth, d);
              },
              () => alongDepth(f, W, w, (i) => f.get(src).get(r0).get(i).emit(op.i32Add).get(rs).emit(op.i32Mul).emit(op.i32Add), cs, depth, dst),
            );
          },
          () => {
            // Rows are the contiguous direction: walk each step across the panel.
            f.get(dst).set(d);
            f.forUp(p, depth, 1, () => {
              f.get(src).get(r0).get(rs).emit(op.i32Mul).emit(op.i32Add).get(p).get(cs).emit(op.i32Mul).emit(op.i32Add).set(s);
              f.forUp(i, w, 1, () => {
                f.get(d).get(i).i32(4).emit(op.i32Mul).emit(op.i32Add).get(s).mem(op.f32Load).mem(op.f32Store);
                f.inc(s, () => f.get(rs));
              });
              f.inc(d, W * 4);
            });
          },
        );
      },
    );
  });
  return f;
}

/** Each of a panel's w rows walked along p (row i's first element at the address `row(i)` pushes, i a local). */
function alongDepth(f: Func, W: number, w: number, row: (i: number) => void, cs: number, depth: number, dst: number): void {
  const i = f.local(I32), p = f.local(I32), s = f.local(I32), d = f.local(I32);
  f.forUp(i, w, 1, () => {
    row(i);
    f.set(s);
    f.get(dst).get(i).i32(4).emit(op.i32Mul).emit(op.i32Add).set(d);
    f.forUp(p, depth, 1, () => {
      f.get(d).get(s).mem(op.f32Load).mem(op.f32Store);
      f.inc(s, () => f.get(cs));
      f.inc(d, W * 4);
    });
  });
}

/**
 * packGathered(src, idx, rs, cs, rows, depth, dst): as pack, but row r is
 * the stored row idx[r] (int32 at idx + 4r), at src + idx[r]·rs + p·cs.
 * For a gathered A, whose rows are the tokens an expert was routed.
 */
function packGatheredFunc(name: string, W: number): Func {
  const f = new Func(name, [I32, I32, I32, I32, I32, I32, I32]);
  const [src, idx, rs, cs, rows, depth, dst] = [0, 1, 2, 3, 4, 5, 6];
  const d = f.local(I32);
  forEachPanel(f, W, rows, depth, dst, (r0, w) => {
    // Row r0 + i of the panel is stored row idx[r0 + i]: in 4×4 transposes when the panel is full
    // and its rows dense, else walked along p.
    const rowAt = (i: () => void): void => {
      f.get(src).get(idx).get(r0);
      i();
      f.emit(op.i32Add).i32(4).emit(op.i32Mul).emit(op.i32Add).mem(op.i32Load).get(rs).emit(op.i32Mul).emit(op.i32Add);
    };
    f.get(cs).i32(4).emit(op.i32Eq).get(w).i32(W).emit(op.i32Eq).emit(op.i32And).ifThen(
      () => {
        f.get(dst).set(d);
        transposedPanel(f, W, (r) => rowAt(() => f.i32(r)), depth, d);
      },
      () => alongDepth(f, W, w, (i) => rowAt(() => f.get(i)), cs, depth, dst),
    );
  });
  return f;
}

/**
 * macro(aPack, bPack, c, ldc, mc, nc, kc, accumulate, scratch, bias): every
 * micro-tile of an mc×nc block of C. Full tiles are stored straight into C;
 * edge tiles go through `scratch` and only their valid part is written.
 * A nonzero `bias` (the block's first column of the bias row) starts every
 * tile's rows at the bias instead of zero. Past the last column it reads a
 * few floats of whatever follows (the heap keeps slack after every block):
 * those lanes belong to columns that are never stored.
 */
function macroFunc(g: GemmShape): Func {
  const { mr: MR, nr: NR } = g;
  const NV = NR / 4;
  const f = new Func('gemmMacro', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [aPack, bPack, c, ldc, mc, nc, kc, accumulate, scratch, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const jp = f.local(I32), ip = f.local(I32), ap = f.local(I32), bp = f.local(I32), pEnd = f.local(I32);
  const full = f.local(I32), tgt = f.local(I32), ld = f.local(I32), i = f.local(I32), j = f.local(I32);
  const rowsLeft = f.local(I32), colsLeft = f.local(I32), cp = f.local(I32);
  const acc: number[][] = [];
  for (let r = 0; r < MR; r++) acc.push(Array.from({ length: NV }, () => f.local(V128)));
  const bv = Array.from({ length: NV }, () => f.local(V128));
  const av = f.local(V128);

  f.forUp(jp, nc, NR, () => {
    f.forUp(ip, mc, MR, () => {
      f.get(aPack).get(ip).get(kc).emit(op.i32Mul).i32(4).emit(op.i32Mul).emit(op.i32Add).set(ap);
      f.get(bPack).get(jp).get(kc).emit(op.i32Mul).i32(4).emit(op.i32Mul).emit(op.i32Add).set(bp);
      f.get(ap).get(kc).i32(MR * 4).emit(op.i32Mul).emit(op.i32Add).set(pEnd);
      f.get(bias).ifThen(
        () => {
          bv.forEach((x, v) => f.get(bias).get(jp).i32(4).emit(op.i32Mul).emit(op.i32Add).vmem(simd.load, v * 16, 0).set(x));
          for (const row of acc) row.forEach((x, v) => f.get(bv[v]!).set(x));
        },
        () => {
          for (const row of acc) for (const x of row) f.vf32(0).set(x);
        },
      );
      // The micro-kernel: one rank-1 update of the tile per step of k.
      f.loopLt(ap, pEnd, MR * 4, () => {
        bv.forEach((x, v) => f.get(bp).vmem(simd.load, v * 16).set(x));
        for (let r = 0; r < MR; r++) {
          f.get(ap).vmem(simd.load32Splat, r * 4).set(av);
          for (let v = 0; v < NV; v++) {
            f.get(acc[r]![v]!).get(av).get(bv[v]!).v(simd.f32x4Mul).v(simd.f32x4Add).set(acc[r]![v]!);
          }
        }
        f.inc(bp, NR * 4);
      });
      // Where does the tile go: C itself, or the scratch tile for an edge?
      f.get(mc).get(ip).emit(op.i32Sub).tee(rowsLeft).i32(MR).emit(op.i32GeS);
      f.get(nc).get(jp).emit(op.i32Sub).tee(colsLeft).i32(NR).emit(op.i32GeS).emit(op.i32And).set(full);
      f.get(c).get(ip).get(ldc).emit(op.i32Mul).emit(op.i32Add).get(jp).i32(4).emit(op.i32Mul).emit(op.i32Add).set(cp);
      f.get(cp).get(scratch).get(full).emit(op.select).set(tgt);
      f.get(ldc).i32(NR * 4).get(full).emit(op.select).set(ld);
      const storeTile = (add: boolean): void => {
        for (let r = 0; r < MR; r++) {
          for (let v = 0; v < NV; v++) {
            f.get(tgt);
            if (add) f.get(tgt).vmem(simd.load, v * 16, 0).get(acc[r]![v]!).v(simd.f32x4Add);
            else f.get(acc[r]![v]!);
            f.vmem(simd.store, v * 16, 0);
          }
          f.inc(tgt, () => f.get(ld));
        }
      };
      f.get(full).get(accumulate).emit(op.i32And).ifThen(() => storeTile(true), () => storeTile(false));
      // Edge tile: copy (or add) the valid rows × columns from scratch into C.
      f.get(full).emit(op.i32Eqz).ifThen(() => {
        f.get(rowsLeft).i32(MR).get(rowsLeft).i32(MR).emit(op.i32LtS).emit(op.select).set(rowsLeft);
        f.get(colsLeft).i32(NR).get(colsLeft).i32(NR).emit(op.i32LtS).emit(op.select).set(colsLeft);
        f.forUp(i, rowsLeft, 1, () => {
          f.forUp(j, colsLeft, 1, () => {
            const cAddr = (): void => {
              f.get(cp).get(i).get(ldc).emit(op.i32Mul).emit(op.i32Add).get(j).i32(4).emit(op.i32Mul).emit(op.i32Add);
            };
            cAddr();
            f.get(scratch).get(i).i32(NR * 4).emit(op.i32Mul).emit(op.i32Add).get(j).i32(4).emit(op.i32Mul).emit(op.i32Add).mem(op.f32Load);
            // Blocks cannot see the operand stack, so "maybe add C" is a select.
            cAddr();
            f.mem(op.f32Load).f32(0).get(accumulate).emit(op.select).emit(op.f32Add).mem(op.f32Store);
          });
        });
      });
    });
  });
  return f;
}

/**
 * gemm(a, b, c, m, n, k, rsA, csA, rsB, csB, ldc, work, aIdx, bias): C
 * (m×n, row stride ldc) = op(A)·op(B) [+ 1·biasᵀ], the blocking loops around
 * pack and macro. `work` is this thread's scratch (gemmWorkBytes). A nonzero
 * `aIdx` gathers A: row i of op(A) is at a + aIdx[i]·rsA. A nonzero `bias`
 * points at n floats added to every row. Function indices: packA = base,
 * packB = base + 1, macro = base + 2, packGathered = base + 3.
 */
function gemmFunc(g: GemmShape, base: number): Func {
  const f = new Func('gemm', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [a, b, c, m, n, k, rsA, csA, rsB, csB, ldc, work, aIdx, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const jc = f.local(I32), pc = f.local(I32), ic = f.local(I32), nc = f.local(I32), kc = f.local(I32), mc = f.local(I32);
  const aBuf = f.local(I32), bBuf = f.local(I32), scratch = f.local(I32);
  const min = (x: () => void, cap: number, into: number): void => {
    x();
    f.tee(into).i32(cap).get(into).i32(cap).emit(op.i32LtS).emit(op.select).set(into);
  };
  f.get(work).set(aBuf);
  f.get(work).i32(4 * Math.ceil(g.mc / g.mr) * g.mr * g.kc).emit(op.i32Add).set(bBuf);
  f.get(bBuf).i32(4 * g.kc * Math.ceil(g.nc / g.nr) * g.nr).emit(op.i32Add).set(scratch);
  f.forUp(jc, n, g.nc, () => {
    min(() => f.get(n).get(jc).emit(op.i32Sub), g.nc, nc);
    f.forUp(pc, k, g.kc, () => {
      min(() => f.get(k).get(pc).emit(op.i32Sub), g.kc, kc);
      // B block at (pc, jc): its panels run along j (stride csB), depth along p (stride rsB).
      f.get(b).get(pc).get(rsB).emit(op.i32Mul).emit(op.i32Add).get(jc).get(csB).emit(op.i32Mul).emit(op.i32Add);
      f.get(csB).get(rsB).get(nc).get(kc).get(bBuf).call(base + 1);
      f.forUp(ic, m, g.mc, () => {
        min(() => f.get(m).get(ic).emit(op.i32Sub), g.mc, mc);
        f.get(aIdx).ifThen(
          () => {
            f.get(a).get(pc).get(csA).emit(op.i32Mul).emit(op.i32Add).get(aIdx).get(ic).i32(4).emit(op.i32Mul).emit(op.i32Add);
            f.get(rsA).get(csA).get(mc).get(kc).get(aBuf).call(base + 3);
          },
          () => {
            f.get(a).get(ic).get(rsA).emit(op.i32Mul).emit(op.i32Add).get(pc).get(csA).emit(op.i32Mul).emit(op.i32Add);
            f.get(rsA).get(csA).get(mc).get(kc).get(aBuf).call(base);
          },
        );
        f.get(aBuf).get(bBuf);
        f.get(c).get(ic).get(ldc).emit(op.i32Mul).emit(op.i32Add).get(jc).i32(4).emit(op.i32Mul).emit(op.i32Add);
        f.get(ldc).get(mc).get(nc).get(kc).get(pc).i32(0).emit(op.i32GtS).get(scratch);
        // The bias enters once, with the first k block: later blocks add onto C.
        f.get(bias).get(jc).i32(4).emit(op.i32Mul).emit(op.i32Add).i32(0).get(bias).i32(0).emit(op.i32Ne).get(pc).emit(op.i32Eqz).emit(op.i32And).emit(op.select);
        f.call(base + 2);
      });
    });
  });
  return f;
}

/** The five functions, in call-index order starting at `base`: packA, packB, gemmMacro, packGathered, gemm. */
export function gemmFuncs(g: GemmShape, base: number): Func[] {
  if (g.nr % 4 !== 0) throw new Error(`gemm: NR must be a multiple of 4 (got ${g.nr})`);
  return [packFunc('packA', g.mr), packFunc('packB', g.nr), macroFunc(g), packGatheredFunc('packGathered', g.mr), gemmFunc(g, base)];
}
