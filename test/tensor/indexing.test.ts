/**
 * Indexing ops against naive references: gather, scatterAdd (and their
 * adjointness), indexSelect, indexAdd, gatherRows / scatterAddRows, topk
 * (the k largest, descending, lower index first on ties), oneHot,
 * crossEntropy.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crossEntropy, gatherRows, oneHot, scatterAddRows, zeros } from '../../src/index.js';
import { axisOf, indices, shape, sizeOf, tensorCase, values } from '../helpers/arbitraries.js';
import * as naive from '../helpers/naive.js';
import { expectClose, expectShape, fromCase, i32, t32, t64, vals } from '../helpers/tensors.js';

const RUNS = 100;

/** x, an axis, and a PyTorch-style index for gather / scatterAdd along it, plus a src of the index's shape. */
const gatherCase = tensorCase(shape({ minRank: 1, maxRank: 3 })).chain((c) =>
  axisOf(c.shape.length).chain((axis) => {
    const a = axis < 0 ? axis + c.shape.length : axis;
    return fc
      .tuple(...c.shape.map((d, i) => (i === a ? fc.integer({ min: 0, max: 4 }) : fc.integer({ min: 1, max: d }))))
      .chain((ishape) => fc.tuple(fc.constant(c), fc.constant(axis), fc.constant(a), fc.constant(ishape), indices(sizeOf(ishape), c.shape[a]!), values(sizeOf(ishape))));
  }),
);

describe('gather and scatterAdd', () => {
  it('gather: out[p] = x[p with axis coordinate replaced by index[p]]', () => {
    fc.assert(
      fc.property(gatherCase, ([c, axis, a, ishape, idx]) => {
        const y = fromCase(c).gather(axis, i32(idx, ishape));
        expectShape(y, ishape);
        const want = idx.map((v, p) => {
          const at = naive.unravel(p, ishape);
          at[a] = v;
          return c.data[naive.ravel(at, c.shape)]!;
        });
        expect(vals(y)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  });

  it('scatterAdd: x plus src summed into the named positions (repeats accumulate)', () => {
    fc.assert(
      fc.property(gatherCase, ([c, axis, a, ishape, idx, src]) => {
        const y = fromCase(c).scatterAdd(axis, i32(idx, ishape), t64(src, ishape));
        const want = [...c.data];
        idx.forEach((v, p) => {
          const at = naive.unravel(p, ishape);
          at[a] = v;
          want[naive.ravel(at, c.shape)]! += src[p]!;
        });
        expectShape(y, c.shape);
        expectClose(vals(y), want, 1e-15, 1e-15);
      }),
      { numRuns: RUNS },
    );
  });

  it('are adjoint: <gather(x, i), y> = <x, scatterAdd(0, i, y)>', () => {
    fc.assert(
      fc.property(gatherCase, ([c, axis, , ishape, idx, y]) => {
        const x = fromCase(c);
        const index = i32(idx, ishape);
        const lhs = x.gather(axis, index).mul(t64(y, ishape)).sum().itemSync();
        const rhs = x.mul(zeros(c.shape, { dtype: 'float64' }).scatterAdd(axis, index, t64(y, ishape))).sum().itemSync();
        expect(lhs).toBeCloseTo(rhs, 10);
      }),
      { numRuns: RUNS },
    );
  });
});

const selectCase = tensorCase(shape({ minRank: 1, maxRank: 3 })).chain((c) =>
  axisOf(c.shape.length).chain((axis) => {
    const n = c.shape[axis < 0 ? axis + c.shape.length : axis]!;
    return fc.tuple(fc.constant(c), fc.constant(axis), fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 5 }));
  }),
);

describe('indexSelect, indexAdd, gatherRows, scatterAddRows', () => {
  it('indexSelect picks slices along the axis (repeats and empty index allowed)', () => {
    fc.assert(
      fc.property(selectCase, ([c, axis, idx]) => {
        const a = axis < 0 ? axis + c.shape.length : axis;
        const y = fromCase(c).indexSelect(axis, i32(idx));
        const outShape = c.shape.map((d, i) => (i === a ? idx.length : d));
        expectShape(y, outShape);
        const want = Array.from({ length: sizeOf(outShape) }, (_, p) => {
          const at = naive.unravel(p, outShape);
          at[a] = idx[at[a]!]!;
          return c.data[naive.ravel(at, c.shape)]!;
        });
        expect(vals(y)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  });

  it('indexAdd adds src slices into the named positions (repeats accumulate)', () => {
    fc.assert(
      fc.property(selectCase, ([c, axis, idx]) => {
        const a = axis < 0 ? axis + c.shape.length : axis;
        const sshape = c.shape.map((d, i) => (i === a ? idx.length : d));
        const src = Array.from({ length: sizeOf(sshape) }, (_, i) => i + 1);
        const y = fromCase(c).indexAdd(axis, i32(idx), t64(src, sshape));
        const want = [...c.data];
        src.forEach((v, p) => {
          const at = naive.unravel(p, sshape);
          at[a] = idx[at[a]!]!;
          want[naive.ravel(at, c.shape)]! += v;
        });
        expectClose(vals(y), want, 1e-13, 1e-15);
      }),
      { numRuns: RUNS },
    );
  });

  it('gatherRows / scatterAddRows on [rows, cols] matrices', () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 })).chain(([rows, cols, m]) =>
      fc.tuple(fc.constant([rows, cols, m] as const), values(rows * cols), values(m * cols), indices(m, rows)),
    );
    fc.assert(
      fc.property(arb, ([[rows, cols, m], vx, vs, idx]) => {
        const g = gatherRows(t64(vx, [rows, cols]), i32(idx));
        expectShape(g, [m, cols]);
        expect(vals(g)).toEqual(idx.flatMap((r) => vx.slice(r * cols, (r + 1) * cols)));
        const s = scatterAddRows(t64(vs, [m, cols]), i32(idx), rows);
        const want = new Array<number>(rows * cols).fill(0);
        idx.forEach((r, i) => {
          for (let j = 0; j < cols; j++) want[r * cols + j]! += vs[i * cols + j]!;
        });
        expectShape(s, [rows, cols]);
        expectClose(vals(s), want, 1e-15, 1e-15);
      }),
      { numRuns: RUNS },
    );
  });

  it('an out-of-range index computed lazily is rejected when realized, never read from a neighbour', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    // Index 3 on row 0 would be flat offset 3 (= x[1, 0]) if offsets were not checked per axis.
    const lazyIdx = i32([0, 1], [2, 1]).add(i32([3, 0], [2, 1]));
    expect(lazyIdx.lazy.isRealized).toBe(false);
    expect(() => x.gather(1, lazyIdx).dataSync()).toThrow(/out of range/);
    const negative = i32([0, 0], [2, 1]).sub(1);
    expect(() => x.gather(1, negative).dataSync()).toThrow(/out of range/);
    expect(() => zeros([2, 3]).scatterAdd(1, negative, t32([1, 1], [2, 1])).dataSync()).toThrow(/out of range/);
    expect(() => x.indexSelect(0, i32([1]).add(1)).dataSync()).toThrow(/out of range/);
  });
});

describe('topk, oneHot, crossEntropy', () => {
  it('topk: the k largest per row, descending, lower index first on ties; values = x at indices', () => {
    const arb = shape({ minRank: 1, maxRank: 3 }).chain((s) =>
      fc.tuple(fc.constant(s), fc.array(fc.integer({ min: -3, max: 3 }), { minLength: sizeOf(s), maxLength: sizeOf(s) }), fc.integer({ min: 1, max: s[s.length - 1]! })),
    );
    fc.assert(
      fc.property(arb, ([s, v, k]) => {
        const n = s[s.length - 1]!;
        const { values: tv, indices: ti } = t64(v, s).topk(k);
        expect(ti.dtype).toBe('int32');
        expectShape(ti, [...s.slice(0, -1), k]);
        expectShape(tv, [...s.slice(0, -1), k]);
        const wantIdx: number[] = [];
        for (let r = 0; r < v.length / n; r++) {
          const row = v.slice(r * n, (r + 1) * n);
          const order = row.map((_, j) => j).sort((i, j) => row[j]! - row[i]! || i - j);
          wantIdx.push(...order.slice(0, k));
        }
        expect(vals(ti)).toEqual(wantIdx);
        expect(vals(tv)).toEqual(wantIdx.map((j, p) => v[Math.floor(p / k) * n + j]!));
        // The first of the top-k is the argmax (same tie rule).
        expect(vals(ti.narrow(-1, 0, 1).squeeze(-1))).toEqual(vals(t64(v, s).argmax(-1)));
      }),
      { numRuns: RUNS },
    );
  });

  it('topk with ±∞ and NaN: NaN ranks first (as in argmax), infinities in order', () => {
    const x = t64([1, -Infinity, NaN, Infinity, Infinity, 0], [6]);
    expect(vals(x.topk(6).indices)).toEqual([2, 3, 4, 0, 5, 1]);
    expect(x.argmax().itemSync()).toBe(2);
  });

  it('oneHot(i, n) has a single 1 at each index', () => {
    fc.assert(
      fc.property(shape({ maxRank: 2 }).chain((s) => fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(fc.constant(s), fc.constant(n), indices(sizeOf(s), n)))), ([s, n, idx]) => {
        const y = oneHot(i32(idx, s), n);
        expect(y.dtype).toBe('float32');
        expectShape(y, [...s, n]);
        expect(vals(y)).toEqual(idx.flatMap((i) => Array.from({ length: n }, (_, j) => Number(i === j))));
      }),
      { numRuns: RUNS },
    );
  });

  it('crossEntropy = mean/sum/none of −log softmax(logits)[target]', () => {
    const arb = fc
      .tuple(shape({ maxRank: 2, maxDim: 3 }), fc.integer({ min: 1, max: 5 }))
      .chain(([lead, classes]) => fc.tuple(fc.constant([lead, classes] as const), values(sizeOf(lead) * classes).map((v) => v.map((x) => x * 5)), indices(sizeOf(lead), classes)));
    fc.assert(
      fc.property(arb, ([[lead, classes], logits, targets]) => {
        const nll = targets.map((t, r) => {
          const row = logits.slice(r * classes, (r + 1) * classes);
          const m = Math.max(...row);
          return -(row[t]! - m - Math.log(naive.sum(row.map((v) => Math.exp(v - m)))));
        });
        const x = t64(logits, [...lead, classes]);
        const t = i32(targets, lead);
        const none = crossEntropy(x, t, { reduction: 'none' });
        expectShape(none, lead);
        expectClose(vals(none), nll, 1e-12, 1e-12);
        expectClose(vals(crossEntropy(x, t, { reduction: 'sum' })), [naive.sum(nll)], 1e-12, 1e-12);
        expectClose(vals(crossEntropy(x, t)), [naive.mean(nll)], 1e-12, 1e-12);
      }),
      { numRuns: RUNS },
    );
  });
});
