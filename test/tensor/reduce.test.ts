/**
 * Reductions and the softmax family against the naive reference, plus their
 * algebraic properties: softmax rows sum to 1, logSoftmax = log ∘ softmax,
 * logsumexp is finite and exact at ±1e4, argmax picks the first maximum.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tensor } from '../../src/index.js';
import { axisOf, shape, shapeWithZero, sizeOf, tensorCase, values } from '../helpers/arbitraries.js';
import * as naive from '../helpers/naive.js';
import { expectClose, expectShape, fromCase, t32, t64, vals } from '../helpers/tensors.js';

const RUNS = 100;

/** A case with an axis spec: all (undefined), one axis (maybe negative) or a list of distinct axes. */
const axesCase = (shapes: fc.Arbitrary<number[]>) =>
  tensorCase(shapes).chain((c) =>
    fc.tuple(
      fc.constant(c),
      c.shape.length === 0
        ? fc.constant(undefined)
        : fc.oneof(fc.constant(undefined), axisOf(c.shape.length), fc.shuffledSubarray(c.shape.map((_, i) => i - (i % 2) * c.shape.length), { minLength: 1 })),
      fc.boolean(),
    ),
  );

const nonNeg = (axis: number | number[] | undefined, rank: number): number[] | undefined =>
  axis === undefined ? undefined : (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + rank : a));

describe('reductions = naive reference', () => {
  it('sum and mean over any axes, keepDims on and off (size-0 axes sum to 0)', () => {
    fc.assert(
      fc.property(axesCase(shapeWithZero({ maxRank: 4 })), ([c, axis, keep]) => {
        const x = fromCase(c);
        const ax = nonNeg(axis, c.shape.length);
        const s = naive.reduce(naive.sum, c, ax, keep);
        const y = x.sum(axis, keep);
        expectShape(y, s.shape);
        expectClose(vals(y), s.data);
        const m = naive.reduce(naive.mean, c, ax, keep);
        expectClose(vals(x.mean(axis, keep)), m.data);
      }),
      { numRuns: RUNS },
    );
  });

  it('max and min over any axes, keepDims on and off', () => {
    fc.assert(
      fc.property(axesCase(shape({ maxRank: 4 })), ([c, axis, keep]) => {
        const x = fromCase(c);
        const ax = nonNeg(axis, c.shape.length);
        const mx = naive.reduce(naive.max, c, ax, keep);
        const y = x.max(axis, keep);
        expectShape(y, mx.shape);
        expect(vals(y)).toEqual(mx.data);
        expect(vals(x.min(axis, keep))).toEqual(naive.reduce(naive.min, c, ax, keep).data);
      }),
      { numRuns: RUNS },
    );
  });

  it('variance (population) = mean of squared deviations', () => {
    fc.assert(
      fc.property(axesCase(shape({ maxRank: 3 })), ([c, axis, keep]) => {
        const ax = nonNeg(axis, c.shape.length);
        const want = naive.reduce((xs) => naive.mean(xs.map((v) => (v - naive.mean(xs)) ** 2)), c, ax, keep);
        const y = fromCase(c).variance(axis, keep);
        expectShape(y, want.shape);
        expectClose(vals(y), want.data, 1e-12, 1e-9);
      }),
      { numRuns: RUNS },
    );
  });

  it('float32 sums accumulate in float64 and round once', () => {
    fc.assert(
      fc.property(values(64).map((v) => v.map((x) => x * 1e3 + 1e-3)), (v) => {
        const want = Math.fround(v.map(Math.fround).reduce((s, x) => s + x, 0));
        expect(t32(v, [64]).sum().itemSync()).toBe(want);
      }),
      { numRuns: 20 },
    );
  });

  it('argmax / argmin = index of the first extreme (values with many ties)', () => {
    const tied = shape({ minRank: 1, maxRank: 3 }).chain((s) =>
      fc.tuple(fc.constant(s), fc.array(fc.integer({ min: -2, max: 2 }), { minLength: sizeOf(s), maxLength: sizeOf(s) })),
    );
    fc.assert(
      fc.property(tied.chain(([s, v]) => fc.tuple(fc.constant(s), fc.constant(v), fc.option(axisOf(s.length)), fc.boolean())), ([s, v, axis, keep]) => {
        const x = t64(v, s);
        const c = { shape: s, data: v };
        const firstOf = (extreme: (xs: number[]) => number) => (xs: number[]) => xs.indexOf(extreme(xs));
        if (axis === null) {
          expect(x.argmax().itemSync()).toBe(firstOf(naive.max)(v));
          expect(x.argmin().itemSync()).toBe(firstOf(naive.min)(v));
          expectShape(x.argmax(undefined, keep), keep ? s.map(() => 1) : []);
          return;
        }
        const ax = [axis < 0 ? axis + s.length : axis];
        const want = naive.reduce(firstOf(naive.max), c, ax, keep);
        const y = x.argmax(axis, keep);
        expect(y.dtype).toBe('int32');
        expectShape(y, want.shape);
        expect(vals(y)).toEqual(want.data);
        expect(vals(x.argmin(axis, keep))).toEqual(naive.reduce(firstOf(naive.min), c, ax, keep).data);
      }),
      { numRuns: RUNS },
    );
  });

  it('NaN propagates through max/min and wins argmax/argmin (first NaN)', () => {
    const x = t64([1, NaN, 3, NaN], [4]);
    expect(x.max().itemSync()).toBeNaN();
    expect(x.min().itemSync()).toBeNaN();
    expect(x.argmax().itemSync()).toBe(1);
    expect(x.argmin().itemSync()).toBe(1);
    expect(t64([NaN, 2], [2]).argmax().itemSync()).toBe(0);
  });
});

describe('softmax family', () => {
  const withAxis = tensorCase(shape({ minRank: 1, maxRank: 4 })).chain((c) => fc.tuple(fc.constant({ ...c, data: c.data.map((v) => v * 10) }), axisOf(c.shape.length)));

  it('softmax = naive definition; rows are positive and sum to 1', () => {
    fc.assert(
      fc.property(withAxis, ([c, axis]) => {
        const a = axis < 0 ? axis + c.shape.length : axis;
        const p = fromCase(c).softmax(axis);
        expectShape(p, c.shape);
        expectClose(vals(p), naive.softmax(c, a).data, 1e-15, 1e-12);
        expect(vals(p).every((v) => v > 0 && v <= 1)).toBe(true);
        expectClose(vals(p.sum(axis)), new Array(sizeOf(c.shape) / c.shape[a]!).fill(1), 1e-14, 0);
      }),
      { numRuns: RUNS },
    );
  });

  it('logSoftmax = log(softmax); logsumexp = log Σ exp (keepDims on and off)', () => {
    fc.assert(
      fc.property(withAxis, fc.boolean(), ([c, axis], keep) => {
        const a = axis < 0 ? axis + c.shape.length : axis;
        const x = fromCase(c);
        expectClose(vals(x.logSoftmax(axis)), naive.softmax(c, a).data.map(Math.log), 1e-12, 1e-12);
        const want = naive.reduce((xs) => Math.log(naive.sum(xs.map(Math.exp))), c, [a], keep);
        const y = x.logsumexp(axis, keep);
        expectShape(y, want.shape);
        expectClose(vals(y), want.data, 1e-12, 1e-12);
      }),
      { numRuns: RUNS },
    );
  });

  it('logsumexp, softmax and logSoftmax are finite and exact at ±1e4 (float32 and float64)', () => {
    fc.assert(
      fc.property(tensorCase(shape({ minRank: 1, maxRank: 3 })), fc.constantFrom(1e4, -1e4), (c, shift) => {
        const last = c.shape.length - 1;
        const base = fromCase(c).logsumexp(-1);
        for (const make of [t64, t32]) {
          const x = make(c.data.map((v) => v + shift), c.shape);
          const lse = vals(x.logsumexp(-1));
          expect(lse.every(Number.isFinite)).toBe(true);
          // Exact up to the input's own rounding (|x| ≈ 1e4: ulp 2e-12 in float64, 1e-3 in float32).
          expectClose(lse, vals(base).map((v) => v + shift), make === t64 ? 1e-9 : 2e-3, 0);
          expect(vals(x.softmax(-1)).every(Number.isFinite)).toBe(true);
          expectClose(vals(x.softmax(-1).sum(-1)), new Array(sizeOf(c.shape) / c.shape[last]!).fill(1), 1e-5, 0);
          expect(vals(x.logSoftmax(-1)).every(Number.isFinite)).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('over an empty axis: softmax and logSoftmax are empty, logsumexp is −∞ (log of an empty sum)', () => {
    const x = t64([], [2, 0]);
    expect([...x.softmax(-1).shape]).toEqual([2, 0]);
    expect([...x.logSoftmax(-1).shape]).toEqual([2, 0]);
    expect(vals(x.logsumexp(-1))).toEqual([-Infinity, -Infinity]);
    expect(vals(x.softmax(0))).toEqual([]);
  });

  it('rows of −∞ (fully masked): logsumexp is −∞, not NaN; a partly masked row ignores the −∞', () => {
    const x = t64([-Infinity, -Infinity, 0, -Infinity], [2, 2]);
    expect(vals(x.logsumexp(-1))).toEqual([-Infinity, 0]);
    expect(vals(x.softmax(-1)).slice(2)).toEqual([1, 0]);
    expect(vals(x.logSoftmax(-1)).slice(2)).toEqual([0, -Infinity]);
    expect(vals(tensor([Infinity, 1]).logsumexp())).toEqual([Infinity]);
  });
});
