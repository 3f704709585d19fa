/**
 * Autograd = finite differences for the movement ops: reshape, permute,
 * transpose, expand, slice/narrow, pad, cat, stack, squeeze, unsqueeze,
 * flatten. Their gradients are pure data movement, so the random cotangent
 * is what makes a misplaced element visible.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { cat, stack } from '../../src/index.js';
import { axisOf, broadcastableTo, cotangentSeed, gradShape, permutation, shape, sizeOf, tensorCase, values } from '../helpers/arbitraries.js';
import { expectGrad, fromCase } from '../helpers/tensors.js';

const RUNS = 50;

describe('movement ops: autograd = finite differences', () => {
  it('reshape (to a random factorisation, with a -1)', async () => {
    await fc.assert(
      fc.asyncProperty(tensorCase(gradShape()), fc.integer({ min: 0, max: 3 }), cotangentSeed, async (c, split, seed) => {
        const n = sizeOf(c.shape);
        const d = [1, 2, 3, 4].filter((k) => n % k === 0)[split % 4] ?? 1;
        await expectGrad((x) => x.reshape([d, -1]), [fromCase(c)], { seed });
        await expectGrad((x) => x.reshape([n]).reshape(c.shape).flatten(), [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('permute and transpose', async () => {
    await fc.assert(
      fc.asyncProperty(
        tensorCase(gradShape({ minRank: 1 })).chain((c) => fc.tuple(fc.constant(c), permutation(c.shape.length), axisOf(c.shape.length), axisOf(c.shape.length))),
        cotangentSeed,
        async ([c, perm, d0, d1], seed) => {
          await expectGrad((x) => x.permute(perm), [fromCase(c)], { seed });
          await expectGrad((x) => x.transpose(d0, d1), [fromCase(c)], { seed });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('expand (size-1 axes and new leading axes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape({ maxRank: 3, maxDim: 3 }).chain((full) => broadcastableTo(full).chain((s) => fc.tuple(fc.constant(full), values(sizeOf(s)).map((v) => ({ shape: s, data: v }))))),
        cotangentSeed,
        async ([full, c], seed) => {
          await expectGrad((x) => x.expand(full), [fromCase(c)], { seed });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('slice and narrow (negative bounds too)', async () => {
    const arb = tensorCase(gradShape({ minRank: 1 })).chain((c) =>
      axisOf(c.shape.length).chain((axis) => {
        const n = c.shape[axis < 0 ? axis + c.shape.length : axis]!;
        return fc.tuple(fc.constant(c), fc.constant(axis), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }), fc.boolean());
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([c, axis, p, q, negative], seed) => {
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        const n = c.shape[axis < 0 ? axis + c.shape.length : axis]!;
        const start = negative && lo < n ? lo - n : lo;
        await expectGrad((x) => x.slice(axis, start, hi), [fromCase(c)], { seed });
        await expectGrad((x) => x.narrow(axis, lo, hi - lo), [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('pad', async () => {
    const arb = tensorCase(gradShape({ maxSize: 8 })).chain((c) =>
      fc.tuple(fc.constant(c), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { maxLength: c.shape.length })),
    );
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([c, pads], seed) => {
        await expectGrad((x) => x.pad(pads), [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('cat (one to three parts, some of size 0 along the axis)', async () => {
    const arb = gradShape({ minRank: 1, maxSize: 8 }).chain((base) =>
      axisOf(base.length).chain((axis) => {
        const a = axis < 0 ? axis + base.length : axis;
        return fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }).chain((lens) => {
          const shapes = lens.map((l) => base.map((d, i) => (i === a ? l : d)));
          return fc.tuple(fc.constant(axis), fc.tuple(...shapes.map((s) => values(sizeOf(s)).map((v) => ({ shape: s, data: v })))));
        });
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([axis, parts], seed) => {
        await expectGrad((...xs) => cat(xs, axis), parts.map((p) => fromCase(p)), { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('stack (one to three tensors, along any axis)', async () => {
    const arb = gradShape({ maxSize: 8 }).chain((s) =>
      fc.tuple(fc.integer({ min: -s.length - 1, max: s.length }), fc.array(values(sizeOf(s)).map((v) => ({ shape: s, data: v })), { minLength: 1, maxLength: 3 })),
    );
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([axis, parts], seed) => {
        await expectGrad((...xs) => stack(xs, axis), parts.map((p) => fromCase(p)), { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('squeeze and unsqueeze', async () => {
    await fc.assert(
      fc.asyncProperty(
        tensorCase(gradShape()).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: -c.shape.length - 1, max: c.shape.length }))),
        cotangentSeed,
        async ([c, axis], seed) => {
          await expectGrad((x) => x.unsqueeze(axis), [fromCase(c)], { seed });
          await expectGrad((x) => x.squeeze(), [fromCase(c)], { seed });
          const ones = c.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
          for (const a of ones) await expectGrad((x) => x.squeeze(a), [fromCase(c)], { seed });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a chain of movements: permute → slice → pad → expand → reshape', async () => {
    await fc.assert(
      fc.asyncProperty(tensorCase(shape({ minRank: 2, maxRank: 2, maxDim: 3 })), cotangentSeed, async (c, seed) => {
        await expectGrad((x) => x.permute([1, 0]).slice(0, 0, 1).pad([[1, 0], [0, 1]]).unsqueeze(0).expand([2, -1, -1]).reshape([-1]), [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });
});
