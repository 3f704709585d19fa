/**
 * Batched matmul on the wasm gemm kernel (or, for a few rows of A, the
 * gemv kernels, which read B in place). Transposes and views read in place
 * are only strides (matmul-strides.ts), which become the kernel's byte
 * strides (its packing absorbs them). The work is split across threads: by
 * batch when there are batches enough to go round, otherwise by columns of
 * C (or rows, when C is tall and narrow), in whole micro-tiles; a batch
 * that strides unevenly (a permuted [B, H, S, D]) runs as one share per
 * outer index.
 */
import type { MatmulSpec } from '../backend.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';
import { GEMM } from './gemm-kernel.js';
import { gemvKernel } from './gemv-kernel.js';
import { MAX_SHARES, type Share } from './threads.js';
import { batchOffsets, checkExtent, coalesceBatch, matmulStrides } from '../matmul-strides.js';

/** Below this many flops a second thread's wake-up (tens of µs) costs more than it saves. */
export const PARALLEL_FLOPS = 1 << 22;

/** [start, end) of part t of n items cut into `parts`, each cut a multiple of `align`. */
export function partOf(n: number, parts: number, t: number, align: number): [number, number] {
  const cut = (i: number): number => (i >= parts ? n : Math.min(n, Math.round((n * i) / parts / align) * align));
  return [cut(t), cut(t + 1)];
}

export function matmul(dev: WasmDevice, a: WasmBuffer, b: WasmBuffer, s: MatmulSpec): WasmBuffer {
  const { batch, m, k, n } = s;
  const out = dev.alloc('float32', batch * m * n);
  if (out.size === 0) return out;
  if (k === 0) {
    dev.view(out).fill(0);
    return out;
  }
  const parallel = 2 * batch * m * n * k >= PARALLEL_FLOPS;
  // The kernel takes byte strides: (rsA, csA) step op(A) along i and p, (rsB, csB) step op(B) along p and j.
  const st: Strides = s.strides
    ? [s.strides.a.row * 4, s.strides.a.col * 4, s.strides.b.row * 4, s.strides.b.col * 4]
    : [s.transA ? 4 : k * 4, s.transA ? m * 4 : 4, s.transB ? 4 : n * 4, s.transB ? k * 4 : 4];
  // A plain spec is one run, its batch one stride apart; a decoding step makes hundreds of these, so they skip viewShares' bookkeeping.
  const shares = s.strides
    ? viewShares(dev, a, b, out, s, st, parallel)
    : split({ a: a.ptr, b: b.ptr, c: out.ptr }, batch, m, n, k, st, [s.aBatchStride * 4, s.bBatchStride * 4, m * n * 4], dev.shares(parallel));
  // A few rows (a decoding step) multiply B where it lies; more go through gemm's packed panels (gemv-kernel.ts).
  const kernel = gemvKernel(m, st[1], st[2], st[3]) ?? 'gemm';
  const live = shares.filter((sh) => (sh.reps ?? 1) > 0 && sh.args[3]! > 0 && sh.args[4]! > 0);
  for (let i = 0; i < live.length; i += MAX_SHARES) dev.run(kernel, live.slice(i, i + MAX_SHARES), kernel === 'gemm' ? 11 : -1, parallel);
  return out;
}

/**
 * The shares of a product whose operands are views read in place: the
 * innermost batch axis becomes a share's repetitions, and each index of the
 * outer ones (a view's [B, H] batch) a run of its own.
 */
function viewShares(dev: WasmDevice, a: WasmBuffer, b: WasmBuffer, out: WasmBuffer, s: MatmulSpec, st: Strides, parallel: boolean): Share[] {
  const { m, k, n } = s;
  const v = coalesceBatch(matmulStrides(s));
  checkExtent('left', a.size, v.batchShape, v.a, m, k);
  checkExtent('right', b.size, v.batchShape, v.b, k, n);
  const inner = v.batchShape.at(-1) ?? 1;
  const outer = v.batchShape.slice(0, -1);
  const incs = [(v.a.batch.at(-1) ?? 0) * 4, (v.b.batch.at(-1) ?? 0) * 4, m * n * 4];
  const aStarts = batchOffsets(outer, { ...v.a, batch: v.a.batch.slice(0, -1) });
  const bStarts = batchOffsets(outer, { ...v.b, batch: v.b.batch.slice(0, -1) });
  const runs = aStarts.map((ao, r) => ({ a: a.ptr + ao * 4, b: b.ptr + bStarts[r]! * 4, c: out.ptr + r * inner * m * n * 4 }));
  return runs.length === 1 ? split(runs[0]!, inner, m, n, k, st, incs, dev.shares(parallel)) : runs.map((r) => share(r, inner, m, n, k, st, incs));
}

type Run = { readonly a: number; readonly b: number; readonly c: number };
type Strides = readonly [rsA: number, csA: number, rsB: number, csB: number];

/** gemm's arguments for an m×n block of C at run r's pointers; argument 11 becomes the running thread's scratch, 12 and 13 (no gather, no bias) stay 0. */
function share(r: Run, reps: number, m: number, n: number, k: number, st: Strides, incs: number[], ldc = n * 4): Share {
  return { args: [r.a, r.b, r.c, m, n, k, ...st, ldc, 0, 0, 0], reps, incs };
}

/** One run cut into `parts` shares: by batch when there are batches enough to go round, else by columns of C (or rows, when C is tall and narrow), in whole micro-tiles. */
function split(r: Run, batch: number, m: number, n: number, k: number, st: Strides, incs: number[], parts: number): Share[] {
  const [rsA, , , csB] = st;
  const shares: Share[] = [];
  for (let t = 0; t < parts; t++) {
    if (parts === 1 || batch >= 2 * parts || batch % parts === 0) {
      const [b0, b1] = partOf(batch, parts, t, 1);
      shares.push(share({ a: r.a + b0 * incs[0]!, b: r.b + b0 * incs[1]!, c: r.c + b0 * incs[2]! }, b1 - b0, m, n, k, st, incs));
    } else if (n >= m) {
      const [j0, j1] = partOf(n, parts, t, GEMM.nr);
      shares.push(share({ a: r.a, b: r.b + j0 * csB, c: r.c + j0 * 4 }, batch, m, j1 - j0, k, st, incs, n * 4));
    } else {
      const [i0, i1] = partOf(m, parts, t, GEMM.mr);
      shares.push(share({ a: r.a + i0 * rsA, b: r.b, c: r.c + i0 * n * 4 }, batch, i1 - i0, n, k, st, incs));
    }
  }
  return shares;
}
