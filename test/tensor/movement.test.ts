/**
 * Movement ops: values against the naive reference, and the round trips
 * that must hold exactly (reshape, permute ∘ inverse, transpose twice,
 * pad then slice, cat then slice, stack = cat of unsqueezed, squeeze ∘
 * unsqueeze), including size-0 axes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cat, stack } from '../../src/index.js';
import { axisOf, broadcastableTo, permutation, shape, shapeWithZero, sizeOf, tensorCase, values } from '../helpers/arbitraries.js';
import * as naive from '../helpers/naive.js';
import { expectShape, fromCase, i32, t64, vals } from '../helpers/tensors.js';

const RUNS = 100;

describe('movement ops', () => {
  it('reshape round trip (and -1 inference) keeps the values in order', () => {
    fc.assert(
      fc.property(tensorCase(shapeWithZero()), shape({ maxRank: 3 }), (c, other) => {
        const x = fromCase(c);
        const n = sizeOf(c.shape);
        const flat = x.reshape([-1]);
        expectShape(flat, [n]);
        expect(vals(flat)).toEqual(c.data);
        expect(vals(flat.reshape(c.shape))).toEqual(c.data);
        expectShape(flat.reshape(c.shape), c.shape);
        expect(x.reshape(c.shape)).toBe(x);
        if (sizeOf(other) === n) expect(vals(x.reshape(other).reshape(c.shape))).toEqual(c.data);
      }),
      { numRuns: RUNS },
    );
  });

  it('permute = naive; permute then inverse permute is the identity', () => {
    fc.assert(
      fc.property(tensorCase(shapeWithZero({ minRank: 1 })).chain((c) => fc.tuple(fc.constant(c), permutation(c.shape.length))), ([c, perm]) => {
        const y = fromCase(c).permute(perm);
        const want = naive.permute(c, perm);
        expectShape(y, want.shape);
        expect(vals(y)).toEqual(want.data);
        const inverse = perm.map((_, i) => perm.indexOf(i));
        expect(vals(y.permute(inverse))).toEqual(c.data);
        // Negative axes name the same permutation.
        expect(vals(fromCase(c).permute(perm.map((p) => p - c.shape.length)))).toEqual(want.data);
      }),
      { numRuns: RUNS },
    );
  });

  it('transpose swaps two axes; twice is the identity; .T swaps the last two', () => {
    fc.assert(
      fc.property(tensorCase(shape({ minRank: 2 })).chain((c) => fc.tuple(fc.constant(c), axisOf(c.shape.length), axisOf(c.shape.length))), ([c, a, b]) => {
        const r = c.shape.length;
        const perm = c.shape.map((_, i) => i);
        const [pa, pb] = [a < 0 ? a + r : a, b < 0 ? b + r : b];
        [perm[pa], perm[pb]] = [perm[pb]!, perm[pa]!];
        const x = fromCase(c);
        expect(vals(x.transpose(a, b))).toEqual(naive.permute(c, perm).data);
        expect(vals(x.transpose(a, b).transpose(a, b))).toEqual(c.data);
        expect(vals(x.T)).toEqual(vals(x.transpose(-2, -1)));
      }),
      { numRuns: RUNS },
    );
  });

  it('expand = broadcasting against zeros of the target shape', () => {
    fc.assert(
      fc.property(
        shapeWithZero({ maxRank: 3 }).chain((full) => broadcastableTo(full).chain((s) => fc.tuple(fc.constant(full), values(sizeOf(s)).map((v) => ({ shape: s, data: v }))))),
        ([full, c]) => {
          const y = fromCase(c).expand(full);
          const want = naive.binary((a) => a, c, { shape: full, data: new Array(sizeOf(full)).fill(0) });
          expectShape(y, want.shape);
          expect(vals(y)).toEqual(want.data);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('pad then slice returns the original; the padding is zeros', () => {
    fc.assert(
      fc.property(
        tensorCase(shapeWithZero({ minRank: 1, maxRank: 3 })).chain((c) =>
          fc.tuple(fc.constant(c), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: c.shape.length, maxLength: c.shape.length })),
        ),
        ([c, pads]) => {
          let y = fromCase(c).pad(pads);
          expectShape(y, c.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]));
          const total = vals(y).reduce((s, v) => s + Math.abs(v), 0);
          expect(total).toBeCloseTo(c.data.reduce((s, v) => s + Math.abs(v), 0), 10);
          pads.forEach(([before], axis) => (y = y.narrow(axis, before, c.shape[axis]!)));
          expect(vals(y)).toEqual(c.data);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('cat then slice returns the parts (int32 and float64, size-0 parts)', () => {
    const arb = shape({ minRank: 1, maxRank: 3 }).chain((base) =>
      axisOf(base.length).chain((axis) => {
        const a = axis < 0 ? axis + base.length : axis;
        return fc
          .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 })
          .chain((lens) => fc.tuple(fc.constant(axis), fc.constant(a), fc.tuple(...lens.map((l) => values(sizeOf(base.map((d, i) => (i === a ? l : d)))).map((v) => ({ shape: base.map((d, i) => (i === a ? l : d)), data: v }))))));
      }),
    );
    fc.assert(
      fc.property(arb, ([axis, a, parts]) => {
        const y = cat(parts.map((p) => fromCase(p)), axis);
        expectShape(y, parts[0]!.shape.map((d, i) => (i === a ? parts.reduce((s, p) => s + p.shape[a]!, 0) : d)));
        let at = 0;
        for (const p of parts) {
          expect(vals(y.slice(axis, at, at + p.shape[a]!))).toEqual(p.data);
          at += p.shape[a]!;
        }
        const yi = cat(parts.map((p) => i32(p.data.map((v) => Math.round(v * 1000)), p.shape)), axis);
        expect(yi.dtype).toBe('int32');
        expect(vals(yi)).toEqual(vals(y).map((v) => Math.round(v * 1000)));
      }),
      { numRuns: RUNS },
    );
  });

  it('stack = cat of unsqueezed tensors; slicing it back gives each one', () => {
    const arb = shape({ maxRank: 3 }).chain((s) =>
      fc.tuple(fc.integer({ min: -s.length - 1, max: s.length }), fc.array(values(sizeOf(s)).map((v) => ({ shape: s, data: v })), { minLength: 1, maxLength: 3 })),
    );
    fc.assert(
      fc.property(arb, ([axis, parts]) => {
        const y = stack(parts.map((p) => fromCase(p)), axis);
        const a = axis < 0 ? axis + parts[0]!.shape.length + 1 : axis;
        expect(vals(y)).toEqual(vals(cat(parts.map((p) => fromCase(p).unsqueeze(axis)), axis)));
        parts.forEach((p, i) => expect(vals(y.narrow(a, i, 1).squeeze(a))).toEqual(p.data));
      }),
      { numRuns: RUNS },
    );
  });

  it('slice = naive index range, negative start and end count from the end', () => {
    const arb = tensorCase(shape({ minRank: 1, maxRank: 3 })).chain((c) =>
      axisOf(c.shape.length).chain((axis) => {
        const n = c.shape[axis < 0 ? axis + c.shape.length : axis]!;
        return fc.tuple(fc.constant(c), fc.constant(axis), fc.integer({ min: -n, max: n }), fc.integer({ min: -n, max: n }));
      }),
    );
    fc.assert(
      fc.property(arb, ([c, axis, p, q]) => {
        const a = axis < 0 ? axis + c.shape.length : axis;
        const n = c.shape[a]!;
        const [s, e] = [p < 0 ? p + n : p, q < 0 ? q + n : q];
        fc.pre(s <= e);
        const y = fromCase(c).slice(axis, p, q);
        const keep = c.data.filter((_, flat) => {
          const i = naive.unravel(flat, c.shape)[a]!;
          return i >= s && i < e;
        });
        expectShape(y, c.shape.map((d, i) => (i === a ? e - s : d)));
        expect(vals(y)).toEqual(keep);
      }),
      { numRuns: RUNS },
    );
  });

  it('squeeze / unsqueeze round trip', () => {
    fc.assert(
      fc.property(tensorCase(shape()).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: -c.shape.length - 1, max: c.shape.length }))), ([c, axis]) => {
        const x = fromCase(c);
        const u = x.unsqueeze(axis);
        const a = axis < 0 ? axis + c.shape.length + 1 : axis;
        expect(u.shape[a]).toBe(1);
        expect(u.rank).toBe(c.shape.length + 1);
        expectShape(u.squeeze(axis), c.shape);
        expect(vals(u.squeeze(axis))).toEqual(c.data);
        expectShape(x.squeeze(), c.shape.filter((d) => d !== 1));
      }),
      { numRuns: RUNS },
    );
  });

  it('movement ops on a lazy (unrealized) input compose with each other', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3]).mul(10);
    const y = x.T.reshape([3, 2]).pad([[0, 1]]).slice(1, 0, 1).expand([4, 3]);
    expect(y.lazy.isRealized).toBe(false);
    // xᵀ = [[10, 40], [20, 50], [30, 60]] → pad a zero row → first column → broadcast to 3 columns.
    expect(vals(y)).toEqual([10, 10, 10, 20, 20, 20, 30, 30, 30, 0, 0, 0]);
  });
});
