/**
 * Conformance, reductions (reduce, argReduce, topk): every backend CI runs
 * against the cpu reference, through the public tensor API, with NaN, ±∞
 * and −0 in the data and empty and size-1 axes. The reference: a NaN wins
 * max and min (and argmax, argmin and topk rank it first, the first NaN
 * among several); max and min are JavaScript's (+0 above −0); a sum over
 * nothing is 0; ties go to the lower index. The tensor layer refuses max,
 * min, argmax and argmin over an empty axis, and each backend must refuse
 * alike.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fromData } from '../../src/index.js';
import { ALL_BACKENDS, startBackends } from '../helpers/backends.js';
import { expectAgreement } from './harness.js';
import { element, float32s, sizeOf, tieElement } from './values.js';

const backends = await startBackends(ALL_BACKENDS);

/** A shape, an axis of it (negative ones too, or undefined for all), and data. */
function reduction(shapes: readonly (readonly number[])[], elem: fc.Arbitrary<number>, wholeToo: boolean) {
  return fc.constantFrom(...shapes).chain((s) => {
    const axes = fc.integer({ min: -s.length, max: s.length - 1 });
    return fc.record({
      shape: fc.constant([...s]),
      axis: wholeToo ? fc.option(axes, { nil: undefined }) : axes,
      data: float32s(sizeOf(s), elem),
    });
  });
}

const SHAPES = [[5], [0], [1], [2, 3], [3, 0], [2, 1, 4], [0, 2]] as const;

describe.each(backends)('conformance on %s: reductions', (name) => {
  it('sum over any axis, or all (empty axes sum to 0)', async () => {
    await expectAgreement(name, reduction(SHAPES, element(), true), ({ shape, data, axis }) => fromData(data, shape).sum(axis));
  });

  it.each(['max', 'min'] as const)('%s over any axis, or all: NaN wins, +0 > −0 (an empty axis is refused)', async (op) => {
    await expectAgreement(name, reduction(SHAPES, tieElement, true), ({ shape, data, axis }) => fromData(data, shape)[op](axis), { atol: 0, rtol: 0, signedZeros: true });
  });

  it.each(['argmax', 'argmin'] as const)('%s: the first extreme, the first NaN before it (an empty axis is refused)', async (op) => {
    await expectAgreement(name, reduction(SHAPES, tieElement, true), ({ shape, data, axis }) => fromData(data, shape)[op](axis));
  });

  it('topk: indices and values of the k largest, NaN first, lower index first on ties', async () => {
    const arb = fc.constantFrom([1, 1], [3, 4], [2, 5], [0, 3], [6]).chain((s) =>
      fc.record({ shape: fc.constant(s), k: fc.integer({ min: 1, max: s.at(-1)! }), data: float32s(sizeOf(s), tieElement) }),
    );
    await expectAgreement(name, arb, ({ shape, data, k }) => {
      const { values, indices } = fromData(data, shape).topk(k);
      return [indices, values];
    }, { atol: 0, rtol: 0, signedZeros: true });
  });
});
