/**
 * groupedMatmul and groupedMatmulInner against a naive per-group loop
 * (float64 and float32, empty groups and zero rows included), the fused
 * forms against their unfused spelling, and their bad input: each error
 * names the shapes or the offending offset.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gatherRows, groupedMatmul, groupedMatmulInner } from '../../src/index.js';
import { values } from '../helpers/arbitraries.js';
import { expectClose, expectShape, i32, t32, t64, vals } from '../helpers/tensors.js';

const RUNS = 100;

/** Group sizes (0 allowed), an inner and an outer width. */
const groupCase = fc.tuple(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean());

function offsetsOf(sizes: readonly number[]): number[] {
  const o = [0];
  for (const m of sizes) o.push(o.at(-1)! + m);
  return o;
}

/**
 * Row r of group g times op(B_g): the definition, one row at a time. B_g is
 * B[g] of B [G, k, n] (stacked), or columns g·n … of B [k, G·n] (column
 * blocks); with transB the stored matrices are n×k and read transposed.
 */
function naiveRows(a: number[], b: number[], o: number[], k: number, n: number, transB: boolean, columns: boolean): number[] {
  const groups = o.length - 1;
  const [k1, k2] = transB ? [n, k] : [k, n];
  const stored = (g: number, i: number, j: number): number => b[columns ? i * groups * k2 + g * k2 + j : g * k1 * k2 + i * k2 + j]!;
  const out: number[] = [];
  for (let g = 0; g < groups; g++) {
    for (let r = o[g]!; r < o[g + 1]!; r++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[r * k + p]! * (transB ? stored(g, j, p) : stored(g, p, j));
        out.push(s);
      }
    }
  }
  return out;
}

/** C_g[i, j] = Σ_{r in g} A[r, i]·B[r, j]. */
function naiveInner(a: number[], b: number[], o: number[], m: number, n: number): number[] {
  const out: number[] = [];
  for (let g = 0; g + 1 < o.length; g++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let r = o[g]!; r < o[g + 1]!; r++) s += a[r * m + i]! * b[r * n + j]!;
        out.push(s);
      }
    }
  }
  return out;
}

const withData = groupCase.chain(([sizes, k, n, transB]) => {
  const rows = sizes.reduce((s, m) => s + m, 0);
  return fc.tuple(fc.constant({ sizes, k, n, transB, rows }), values(rows * k), values(sizes.length * k * n), values(rows * n));
});

describe('groupedMatmul', () => {
  it("'rows': row r of group g is A[r]·op(B_g), B stacked or as column blocks, float64 and float32", () => {
    fc.assert(
      fc.property(withData, fc.boolean(), ([{ sizes, k, n, transB, rows }, va, vb], columns) => {
        const o = offsetsOf(sizes);
        const [k1, k2, g] = [transB ? n : k, transB ? k : n, sizes.length];
        const bShape = columns ? [k1, g * k2] : [g, k1, k2];
        const want = naiveRows(va, vb, o, k, n, transB, columns);
        const y = groupedMatmul(t64(va, [rows, k]), t64(vb, bShape), i32(o), { transB });
        expectShape(y, [rows, n]);
        expectClose(vals(y), want, 1e-13, 1e-12);
        expectClose(vals(groupedMatmul(t32(va, [rows, k]), t32(vb, bShape), i32(o), { transB })), want, 1e-5, 1e-5);
      }),
      { numRuns: RUNS },
    );
  });

  it("'inner': C_g = A_gᵀ·B_g over each group's rows, zero for an empty group", () => {
    fc.assert(
      fc.property(withData, ([{ sizes, k, n, rows }, va, , vr]) => {
        const o = offsetsOf(sizes);
        const y = groupedMatmulInner(t64(va, [rows, k]), t64(vr, [rows, n]), i32(o));
        expectShape(y, [sizes.length, k, n]);
        expectClose(vals(y), naiveInner(va, vr, o, k, n), 1e-13, 1e-12);
      }),
      { numRuns: RUNS },
    );
  });

  it('one group is a plain matmul; G groups are G matmuls of row slices', () => {
    fc.assert(
      fc.property(withData, ([{ sizes, k, n, rows }, va, vb]) => {
        const o = offsetsOf(sizes);
        const a = t64(va, [rows, k]);
        const b = t64(vb, [sizes.length, k, n]);
        const y = vals(groupedMatmul(a, b, i32(o)));
        const want = sizes.flatMap((_, g) => vals(a.slice(0, o[g]!, o[g + 1]!).matmul(b.slice(0, g, g + 1).reshape([k, n]))));
        expectClose(y, want, 1e-13, 1e-12);
        if (sizes.length === 1) expectClose(y, vals(a.matmul(b.reshape([k, n]))), 0, 0);
      }),
      { numRuns: RUNS },
    );
  });

  it('fused: a row index gathers A, a bias adds each group\'s row — equal to gatherRows, then the product, then the bias per row', () => {
    const fused = withData.chain(([c, va, vb]) => fc.tuple(fc.constant(c), fc.constant(va), fc.constant(vb), fc.integer({ min: 1, max: 5 }), fc.nat(), values(c.sizes.length * c.n), fc.boolean(), fc.boolean()));
    fc.assert(
      fc.property(fused, ([{ sizes, k, n, transB, rows }, , vb, aRows, seed, vbias, gathered, withBias]) => {
        const o = offsetsOf(sizes);
        const g = sizes.length;
        const a = t64(Array.from({ length: aRows * k }, (_, i) => Math.sin(i + seed)), [aRows, k]);
        const idx = Array.from({ length: rows }, (_, r) => (r * 3 + seed) % aRows);
        const b = t64(vb, transB ? [g, n, k] : [g, k, n]);
        const bias = t64(vbias, [g, n]);
        const y = groupedMatmul(gathered ? a : gatherRows(a, i32(idx)), b, i32(o), { transB, ...(gathered ? { rowIndex: i32(idx) } : {}), ...(withBias ? { bias } : {}) });
        const groupOf = sizes.flatMap((m, gi) => new Array<number>(m).fill(gi));
        let want = groupedMatmul(gatherRows(a, i32(idx)), b, i32(o), { transB });
        if (withBias) want = want.add(gatherRows(bias, i32(groupOf)));
        expectShape(y, [rows, n]);
        expectClose(vals(y), vals(want), 1e-13, 1e-12);
      }),
      { numRuns: RUNS },
    );
  });

  it('bad fused operands name the problem', () => {
    const a = t64([1, 2, 3, 4, 5, 6], [3, 2]);
    const b = t64(new Array(8).fill(1), [2, 2, 2]);
    const o = i32([0, 1, 4]);
    expect(() => groupedMatmul(a, b, o, { rowIndex: i32([0, 1, 2, 3]) })).toThrow('groupedMatmul: index 3 at position 3 is out of range for the 3 rows of A (rowIndex)');
    expect(() => groupedMatmul(a, b, o, { rowIndex: t64([0, 1, 2, 2], [4]) })).toThrow('groupedMatmul: rowIndex must be int32 [P], got float64 [4]');
    expect(() => groupedMatmul(a, b, o, { rowIndex: i32([0, 1, 2, 2]), bias: t64([1, 2], [2, 1]) })).toThrow('groupedMatmul: bias must be float64 [2, 2] (a row per group), got float64 [2, 1]');
    expect(() => groupedMatmul(a, b, i32([0, 1, 3]), { bias: t64([1, 2, 3, 4], [4]) })).toThrow('groupedMatmul: bias must be float64 [2, 2] (a row per group), got float64 [4]');
    // The gathered rows set the row count: 4 here, so offsets ending at 3 are refused.
    expect(() => groupedMatmul(a, b, i32([0, 1, 3]), { rowIndex: i32([0, 1, 2, 2]) })).toThrow('groupedMatmul: the last offset must be the row count 4, got 3');
  });

  it('bad input names the problem', () => {
    const a = t64([1, 2, 3, 4, 5, 6], [3, 2]);
    const b = t64(new Array(8).fill(1), [2, 2, 2]);
    expect(() => groupedMatmul(a, b, i32([0, 1, 4]))).toThrow('groupedMatmul: the last offset must be the row count 3, got 4');
    expect(() => groupedMatmul(a, b, i32([0, 2, 1]))).toThrow('groupedMatmul: offsets must not decrease: offset 2 is 1 after 2');
    expect(() => groupedMatmul(a, b, i32([1, 2, 3]))).toThrow('groupedMatmul: offsets must start at 0, got 1');
    expect(() => groupedMatmul(a, b, i32([0, 3]))).toThrow('groupedMatmul: B must be [1, k, n] (stacked) or [k, 1·n] (column blocks) for 1 groups, got [2, 2, 2]');
    expect(() => groupedMatmul(a, t64([1, 2, 3, 4, 5, 6], [2, 3]), i32([0, 1, 3]))).toThrow('groupedMatmul: B must be [2, k, n] (stacked) or [k, 2·n] (column blocks) for 2 groups, got [2, 3]');
    expect(() => groupedMatmul(a, t64(new Array(12).fill(1), [2, 3, 2]), i32([0, 1, 3]))).toThrow('groupedMatmul: inner dimensions differ: [3, 2] · [2, 3, 2] (2 vs 3)');
    expect(() => groupedMatmul(a, b, t64([0, 1, 3], [3]))).toThrow('groupedMatmul: offsets must be int32 [groups + 1], got float64 [3]');
    expect(() => groupedMatmul(a, b.float(), i32([0, 1, 3]))).toThrow('groupedMatmul: operands must share a float dtype, got float64 [3, 2] and float32 [2, 2, 2]');
    expect(() => groupedMatmulInner(a, t64([1, 2], [2, 1]), i32([0, 3]))).toThrow('groupedMatmulInner: B must be rows [3, n] like A [3, 2], got [2, 1]');
  });
});
