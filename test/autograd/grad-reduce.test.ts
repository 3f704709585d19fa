/**
 * Autograd = finite differences for reductions (one axis, several axes, all;
 * keepDims on and off; negative axes) and for softmax, logSoftmax,
 * logsumexp, variance. max and min get pairwise-distinct values: at a tie
 * their gradient is a convention (shared evenly), not a derivative.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { Tensor } from '../../src/index.js';
import { axisOf, cotangentSeed, distinctCase, gradShape, tensorCase, type Case } from '../helpers/arbitraries.js';
import { expectGrad, fromCase } from '../helpers/tensors.js';

const RUNS = 50;

/** A tensor of rank ≥ 1 with an axis spec: undefined (all), one axis (maybe negative), or a list of distinct axes. */
function withAxes(cases: (s: fc.Arbitrary<number[]>) => fc.Arbitrary<Case>) {
  return cases(gradShape({ minRank: 1 })).chain((c) =>
    fc.tuple(
      fc.constant(c),
      fc.oneof(
        fc.constant(undefined),
        axisOf(c.shape.length),
        fc.subarray(c.shape.map((_, i) => i), { minLength: 1 }).chain((ax) => fc.shuffledSubarray(ax, { minLength: ax.length, maxLength: ax.length })),
      ),
      fc.boolean(),
    ),
  );
}

const reductions: [string, 'any' | 'distinct', (x: Tensor, axis: number | number[] | undefined, keep: boolean) => Tensor][] = [
  ['sum', 'any', (x, a, k) => x.sum(a, k)],
  ['mean', 'any', (x, a, k) => x.mean(a, k)],
  ['variance', 'any', (x, a, k) => x.variance(a, k)],
  ['max', 'distinct', (x, a, k) => x.max(a, k)],
  ['min', 'distinct', (x, a, k) => x.min(a, k)],
];

describe('reductions: autograd = finite differences', () => {
  for (const [name, dom, f] of reductions) {
    it(`${name} over an axis, several axes or all, with and without keepDims`, async () => {
      await fc.assert(
        fc.asyncProperty(withAxes((s) => (dom === 'distinct' ? distinctCase(s) : tensorCase(s))), cotangentSeed, async ([c, axis, keep], seed) => {
          await expectGrad((x) => f(x, axis, keep), [fromCase(c)], { seed });
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('sum and mean of a rank-0 tensor (no axes)', async () => {
    await fc.assert(
      fc.asyncProperty(tensorCase(fc.constant([])), async (c) => {
        await expectGrad((x) => x.sum().add(x.mean()), [fromCase(c)]);
      }),
      { numRuns: 10 },
    );
  });
});

describe('softmax family: autograd = finite differences', () => {
  const withAxis = tensorCase(gradShape({ minRank: 1 })).chain((c) => fc.tuple(fc.constant(c), axisOf(c.shape.length), fc.boolean()));
  const cases: [string, (x: Tensor, axis: number, keep: boolean) => Tensor][] = [
    ['softmax', (x, a) => x.softmax(a)],
    ['logSoftmax', (x, a) => x.logSoftmax(a)],
    ['logsumexp', (x, a, k) => x.logsumexp(a, k)],
    // Large offsets exercise the max shift (which is detached, so it must not change the gradient).
    ['softmax of 30·x + 100', (x, a) => x.mul(30).add(100).softmax(a)],
    ['logsumexp of 30·x − 100', (x, a, k) => x.mul(30).sub(100).logsumexp(a, k)],
  ];
  for (const [name, f] of cases) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(withAxis, cotangentSeed, async ([c, axis, keep], seed) => {
          await expectGrad((x) => f(x, axis, keep), [fromCase(c)], { seed });
        }),
        { numRuns: RUNS },
      );
    });
  }
});
