/**
 * Grouped matmul (backend.ts, GroupedMatmulSpec) on the wasm gemm kernel.
 * Each group is one gemm call on pointers moved to its rows — the gemm's
 * strides already absorb the layouts, so nothing is copied or padded — and
 * all the groups' calls go out as the shares of one pool run: a thread
 * that finishes a small group claims the next, so unequal groups (an
 * expert with twice the tokens of another) still keep every thread busy.
 * The fusions are the gemm kernel's own: a gathered A is packed through
 * the group's slice of the row index, and group g's bias row starts its
 * accumulators.
 */
import type { GroupedMatmulExtras, GroupedMatmulSpec } from '../backend.js';
import { checkFusedOperands, checkGroupOffsets } from '../grouped-layout.js';
import type { WasmBuffer } from './buffer.js';
import type { WasmDevice } from './device.js';
import { GEMM } from './gemm-kernel.js';
import { gemvKernel } from './gemv-kernel.js';
import { PARALLEL_FLOPS, partOf } from './matmul.js';
import { MAX_SHARES, type Share } from './threads.js';

/**
 * One gemm call: C (m×n, row stride ldc) = op(A)·op(B) + 1·biasᵀ, element (i,p) of op(A) at
 * a + i·rsA + p·csA (a + aIdx[i]·rsA + p·csA when aIdx ≠ 0), (p,j) of op(B) at b + p·rsB + j·csB,
 * the bias n floats at `bias` (none when 0). All in bytes.
 */
interface Gemm {
  a: number; b: number; c: number;
  m: number; n: number; k: number;
  rsA: number; csA: number; rsB: number; csB: number; ldc: number;
  aIdx: number; bias: number;
}

/** The fused operands as pointers (0: absent). */
function fusedPointers(extras: GroupedMatmulExtras): { rowIndex: number; bias: number } {
  return { rowIndex: (extras.rowIndex as WasmBuffer | undefined)?.ptr ?? 0, bias: (extras.bias as WasmBuffer | undefined)?.ptr ?? 0 };
}

/** The gemm of each non-empty group; an empty 'inner' group's C block is zeroed here instead. */
function groupGemms(dev: WasmDevice, a: WasmBuffer, b: WasmBuffer, out: WasmBuffer, o: Int32Array, s: GroupedMatmulSpec, extras: GroupedMatmulExtras): Gemm[] {
  const fused = fusedPointers(extras);
  const calls: Gemm[] = [];
  for (let g = 0; g < s.groups; g++) {
    const [start, rows] = [o[g]!, o[g + 1]! - o[g]!];
    if (s.kind === 'rows') {
      if (rows === 0 || s.n === 0) continue;
      const { k, n } = s;
      const [sg, sp, sj] = s.bStrides;
      // A_g: rows start… of A [P, k] (or the rows its index lists there); B_g: where bStrides put it,
      // read in place; C_g: rows start… of C [P, n]; bias_g: row g of the bias [G, n].
      const gathered = fused.rowIndex !== 0;
      calls.push({
        a: gathered ? a.ptr : a.ptr + start * k * 4, b: b.ptr + g * sg * 4, c: out.ptr + start * n * 4, m: rows, n, k,
        rsA: k * 4, csA: 4, rsB: sp * 4, csB: sj * 4, ldc: n * 4,
        aIdx: gathered ? fused.rowIndex + start * 4 : 0, bias: fused.bias === 0 ? 0 : fused.bias + g * n * 4,
      });
    } else {
      const { m, n } = s;
      const c = out.ptr + g * m * n * 4;
      if (rows === 0) {
        dev.view(out).fill(0, g * m * n, (g + 1) * m * n);
        continue;
      }
      if (m === 0 || n === 0) continue;
      // C_g = A_gᵀ·B_g: op(A) element (i, p) is A[start + p, i], so A is read with its strides swapped.
      calls.push({
        a: a.ptr + start * m * 4, b: b.ptr + start * n * 4, c, m, n, k: rows,
        rsA: 4, csA: m * 4, rsB: n * 4, csB: 4, ldc: n * 4, aIdx: 0, bias: 0,
      });
    }
  }
  return calls;
}

/**
 * Cuts a call into `parts` shares along its longer side of C, in whole
 * micro-tiles (columns when n ≥ m, else rows), as matmul.ts does for one product.
 */
function sharesOf(call: Gemm, parts: number): Share[] {
  const shares: Share[] = [];
  const work = 0; // argument 11, replaced by the running thread's scratch
  for (let t = 0; t < parts; t++) {
    const { a, b, c, m, n, k, rsA, csA, rsB, csB, ldc, aIdx, bias } = call;
    if (n >= m) {
      const [j0, j1] = partOf(n, parts, t, GEMM.nr);
      if (j1 > j0) shares.push({ args: [a, b + j0 * csB, c + j0 * 4, m, j1 - j0, k, rsA, csA, rsB, csB, ldc, work, aIdx, bias && bias + j0 * 4] });
    } else {
      // Rows i0… : through the index when A is gathered, else at their place in A.
      const [i0, i1] = partOf(m, parts, t, GEMM.mr);
      const [aAt, idxAt] = aIdx ? [a, aIdx + i0 * 4] : [a + i0 * rsA, 0];
      if (i1 > i0) shares.push({ args: [aAt, b, c + i0 * ldc, i1 - i0, n, k, rsA, csA, rsB, csB, ldc, work, idxAt, bias] });
    }
  }
  return shares;
}

export function groupedMatmul(dev: WasmDevice, a: WasmBuffer, b: WasmBuffer, offsets: WasmBuffer, s: GroupedMatmulSpec, extras: GroupedMatmulExtras = {}): WasmBuffer {
  const o = dev.view(offsets) as Int32Array;
  checkGroupOffsets('groupedMatmul', o, s.groups, s.rows);
  const rowIndex = extras.rowIndex as WasmBuffer | undefined;
  checkFusedOperands(s, rowIndex && { values: dev.view(rowIndex) }, extras.bias?.size);
  const out = dev.alloc('float32', s.kind === 'rows' ? s.rows * s.n : s.groups * s.m * s.n);
  if (s.kind === 'rows' && s.k === 0) {
    // An empty sum (the gemm kernel needs at least one step of k): zero, or each group's bias.
    const c = dev.view(out);
    c.fill(0);
    if (extras.bias) {
      const bias = dev.view(extras.bias as WasmBuffer);
      for (let g = 0; g < s.groups; g++) for (let r = o[g]!; r < o[g + 1]!; r++) c.set(bias.subarray(g * s.n, (g + 1) * s.n), r * s.n);
    }
    return out;
  }
  const calls = groupGemms(dev, a, b, out, o, s, extras);
  const flops = calls.reduce((sum, c) => sum + 2 * c.m * c.n * c.k, 0);
  // A group larger than a fair share of the work (1 / 2·threads) is cut further, so no share holds up the others.
  const parallel = flops >= PARALLEL_FLOPS;
  const fair = flops / dev.shares(parallel);
  // Groups of a few rows (a decoding step's tokens) multiply their B_g where it lies (gemv-kernel.ts); the rest go through gemm.
  const byKernel = new Map<string, Share[]>();
  for (const c of calls) {
    const kernel = gemvKernel(c.m, c.csA, c.rsB, c.csB) ?? 'gemm';
    const list = byKernel.get(kernel) ?? [];
    list.push(...sharesOf(c, Math.max(1, Math.round((2 * c.m * c.n * c.k) / fair))));
    byKernel.set(kernel, list);
  }
  for (const [kernel, shares] of byKernel) {
    // Small work (a decoding step's few rows) runs its groups one after another on this thread: waking a worker costs more.
    for (let i = 0; i < shares.length; i += MAX_SHARES) dev.run(kernel, shares.slice(i, i + MAX_SHARES), kernel === 'gemm' ? 11 : -1, parallel);
  }
  return out;
}
