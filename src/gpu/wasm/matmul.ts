/**
 * Batched matmul on the wasm gemm kernel (or, for a few rows of A, the
 * gemv kernels, which read B in place). The transpose flags become byte
 * strides (the kernel's packing absorbs them), and the work is split across
 * threads: by batch when there are batches enough to go round, otherwise by
 * columns of C (or rows, when C is tall and narrow), in whole micro-tiles.
 */
import type { MatmulSpec } from '../backend.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';
import { GEMM } from './gemm-kernel.js';
import { gemvKernel } from './gemv-kernel.js';
import type { Share } from './threads.js';

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
  const rsA = s.transA ? 4 : k * 4, csA = s.transA ? m * 4 : 4;
  const rsB = s.transB ? 4 : n * 4, csB = s.transB ? k * 4 : 4;
  const incs = [s.aBatchStride * 4, s.bBatchStride * 4, m * n * 4];
  const flops = 2 * batch * m * n * k;
  const parts = dev.shares(flops >= PARALLEL_FLOPS);
  const shares: Share[] = [];
  const work = 0; // argument 11, replaced by the running thread's scratch; 12 and 13 (no gather, no bias) stay 0
  for (let t = 0; t < parts; t++) {
    if (parts === 1 || batch >= 2 * parts || batch % parts === 0) {
      const [b0, b1] = partOf(batch, parts, t, 1);
      const args = [a.ptr + b0 * incs[0]!, b.ptr + b0 * incs[1]!, out.ptr + b0 * incs[2]!, m, n, k, rsA, csA, rsB, csB, n * 4, work, 0, 0];
      shares.push({ args, reps: b1 - b0, incs });
    } else if (n >= m) {
      const [j0, j1] = partOf(n, parts, t, GEMM.nr);
      const args = [a.ptr, b.ptr + j0 * csB, out.ptr + j0 * 4, m, j1 - j0, k, rsA, csA, rsB, csB, n * 4, work, 0, 0];
      shares.push({ args, reps: batch, incs });
    } else {
      const [i0, i1] = partOf(m, parts, t, GEMM.mr);
      const args = [a.ptr + i0 * rsA, b.ptr, out.ptr + i0 * n * 4, i1 - i0, n, k, rsA, csA, rsB, csB, n * 4, work, 0, 0];
      shares.push({ args, reps: batch, incs });
    }
  }
  // A few rows (a decoding step) multiply B where it lies; more go through gemm's packed panels (gemv-kernel.ts).
  const kernel = gemvKernel(m, csA, rsB, csB) ?? 'gemm';
  dev.run(kernel, shares.filter((sh) => (sh.reps ?? 1) > 0 && sh.args[3]! > 0 && sh.args[4]! > 0), kernel === 'gemm' ? 11 : -1);
  return out;
}
