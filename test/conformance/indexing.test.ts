/**
 * Conformance, data movement (gather, scatterAdd, view, write): every
 * backend CI runs against the cpu reference, through the public tensor
 * API, moving NaN, ±∞ and −0 unchanged (bit for bit where nothing is
 * added), with empty index lists, empty tensors and size-1 axes. A
 * scatter-add sums in increasing source order; padding is +0.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fromData, gatherRows, noGrad, scatterAddRows, writeAt } from '../../src/index.js';
import { ALL_BACKENDS, startBackends } from '../helpers/backends.js';
import { expectAgreement } from './harness.js';
import { float32s, int32s, sizeOf } from './values.js';

const backends = await startBackends(ALL_BACKENDS);
const EXACT = { atol: 0, rtol: 0, signedZeros: true };

/** Rows [rows, cols] and `count` row indices into them. */
const rowsArb = fc.constantFrom([3, 2, 4], [1, 1, 1], [4, 3, 0], [2, 0, 3], [1, 5, 6]).chain(([rows, cols, count]) =>
  fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), src: float32s(rows * cols), idx: int32s(count, 0, rows - 1) }),
);

/** A tensor and an axis for indexSelect, gather and their adjoints. */
const alongArb = fc.constantFrom([3, 4], [1, 2], [2, 3, 2], [4]).chain((shape) =>
  fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((axis) => {
    const a = axis < 0 ? axis + shape.length : axis;
    const picked = shape.map((d, i) => (i === a ? 3 : d));
    return fc.record({
      shape: fc.constant(shape), axis: fc.constant(axis), x: float32s(sizeOf(shape)),
      select: int32s(3, 0, shape[a]! - 1), index: int32s(sizeOf(picked), 0, shape[a]! - 1), src: float32s(sizeOf(picked)), picked: fc.constant(picked),
    });
  }),
);

/** Views: a permutation, then an expand of the size-1 axes, a slice and a zero padding. */
const viewArb = fc.constantFrom([2, 1, 3], [1, 4], [3, 0, 2], [1], [2, 2, 1]).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    data: float32s(sizeOf(shape)),
    perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }),
    grow: fc.constantFrom(1, 3),
    pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })),
    cut: fc.integer({ min: 0, max: 1 }),
  }),
);

describe.each(backends)('conformance on %s: data movement', (name) => {
  it('gatherRows and scatterAddRows: repeated, and no, indices', async () => {
    await expectAgreement(name, rowsArb, ({ rows, cols, src, idx }) => {
      const s = fromData(src, [rows, cols]), i = fromData(idx, [idx.length]);
      const picked = gatherRows(s, i);
      return [picked, scatterAddRows(picked, i, rows)];
    }, { signedZeros: false });
    // A gather alone moves values: bit for bit, −0 included.
    await expectAgreement(name, rowsArb, ({ rows, cols, src, idx }) => gatherRows(fromData(src, [rows, cols]), fromData(idx, [idx.length])), EXACT);
  });

  it('indexSelect, gather, indexAdd and scatterAdd along any axis', async () => {
    await expectAgreement(name, alongArb, ({ shape, axis, x, select, index, src, picked }) => {
      const t = fromData(x, shape);
      const sel = fromData(select, [select.length]);
      const ix = fromData(index, picked);
      return [t.indexSelect(axis, sel), t.gather(axis, ix), t.indexAdd(axis, sel, fromData(src, picked)), t.scatterAdd(axis, ix, fromData(src, picked))];
    });
  });

  it('permute, expand, slice and pad are one strided read each', async () => {
    await expectAgreement(name, viewArb, ({ shape, data, perm, grow, pad, cut }) => {
      const p = fromData(data, shape).permute(perm);
      const e = p.expand(p.shape.map((d) => (d === 1 ? grow : d)));
      const last = e.rank - 1;
      const s = e.slice(last, Math.min(cut, e.shape[last]!));
      return [p, e, s, s.pad(s.shape.map((_, i) => (i === last ? pad : [0, 0])))];
    }, EXACT);
  });

  it('writeAt writes rows in place (or composes the same value where a backend cannot)', async () => {
    const arb = fc.constantFrom([4, 3], [2, 2, 2], [1, 5]).chain((shape) =>
      fc.integer({ min: 0, max: shape.length - 1 }).chain((axis) =>
        fc.integer({ min: 0, max: shape[axis]! }).chain((n) =>
          fc.record({ shape: fc.constant(shape), axis: fc.constant(axis), at: fc.integer({ min: 0, max: shape[axis]! - n }), dst: float32s(sizeOf(shape)), src: float32s(sizeOf(shape) / shape[axis]! * n), n: fc.constant(n) }),
        ),
      ),
    );
    await expectAgreement(name, arb, ({ shape, axis, at, dst, src, n }) =>
      noGrad(() => writeAt(fromData(dst, shape), fromData(src, shape.map((d, i) => (i === axis ? n : d))), axis, at)), EXACT);
  });
});
