/**
 * Conformance, elementwise primitives (upload/read, unary, binary, where,
 * cast): every backend CI runs against the cpu reference, through the
 * public tensor API, on data with NaN, ±∞ and −0 mixed in, and on empty
 * and size-1 shapes. The reference's semantics are JavaScript's on float32
 * values: max(1, NaN) is NaN, NaN ≠ NaN, 1/−0 = −∞, sign(−0) = −0,
 * pow(−8, 1/3) is NaN, a cast to int32 truncates and sends NaN and ±∞ to 0.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from '../../src/gpu/backend.js';
import { fromData, where, type Tensor } from '../../src/index.js';
import { ALL_BACKENDS, startBackends } from '../helpers/backends.js';
import { expectAgreement } from './harness.js';
import { element, float32s, int32s, PAIRS, shaped, SHAPES, sizeOf, tieElement } from './values.js';

const backends = await startBackends(ALL_BACKENDS);

/**
 * Float32 tolerances per op. The GPU modes compute transcendentals in
 * float32 (the reference in float64, rounded once); Vulkan allows sin and
 * cos an absolute error of 2^-11 on [−π, π], which SwiftShader uses.
 */
const UNARY_TOL: Partial<Record<UnaryOp, [number, number]>> = { sin: [5e-4, 0], cos: [5e-4, 0] };
const EXACT_UNARY: readonly UnaryOp[] = ['neg', 'abs', 'sign', 'relu'];
const TIES: readonly BinaryOp[] = ['max', 'min', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

const METHOD: Record<BinaryOp, (a: Tensor, b: Tensor) => Tensor> = {
  add: (a, b) => a.add(b), sub: (a, b) => a.sub(b), mul: (a, b) => a.mul(b), div: (a, b) => a.div(b), pow: (a, b) => a.pow(b),
  max: (a, b) => a.maximum(b), min: (a, b) => a.minimum(b),
  eq: (a, b) => a.eq(b), ne: (a, b) => a.ne(b), lt: (a, b) => a.lt(b), le: (a, b) => a.le(b), gt: (a, b) => a.gt(b), ge: (a, b) => a.ge(b),
};

/** Exponents for pow: whole numbers (a negative base has a real power), halves, grid values and the special values. */
const exponent = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -0.5, 1 / 3), element());

/** Two operands of a broadcasting pair, with data for each. */
function pairArb(a: fc.Arbitrary<number>, b: fc.Arbitrary<number>) {
  return fc.constantFrom(...PAIRS).chain(([as, bs]) => fc.record({ as: fc.constant(as), bs: fc.constant(bs), a: float32s(sizeOf(as), a), b: float32s(sizeOf(bs), b) }));
}

describe.each(backends)('conformance on %s: elementwise', (name) => {
  it('upload and read give every float32 bit pattern back (NaN, ±∞, −0), and int32 values exactly', async () => {
    await expectAgreement(name, shaped(SHAPES), ({ shape, data }) => fromData(data, shape), { atol: 0, rtol: 0, signedZeros: true });
    // gpu.js stores int32 as float32, exact within ±2^24.
    const ints = fc.constantFrom(...SHAPES).chain((s) => int32s(sizeOf(s), -(2 ** 24), 2 ** 24).map((data) => ({ shape: [...s], data })));
    await expectAgreement(name, ints, ({ shape, data }) => fromData(data, shape), { atol: 0, rtol: 0 });
  });

  it.each(UNARY_OPS)('unary %s', async (op) => {
    const [atol, rtol] = EXACT_UNARY.includes(op) ? [0, 0] : (UNARY_TOL[op] ?? [2e-6, 2e-5]);
    await expectAgreement(name, shaped(SHAPES), ({ shape, data }) => fromData(data, shape)[op](), { atol, rtol, signedZeros: true });
  });

  it.each(BINARY_OPS)('binary %s, broadcasting', async (op) => {
    const arb = op === 'pow' ? pairArb(element(), exponent) : TIES.includes(op) ? pairArb(tieElement, tieElement) : pairArb(element(), element());
    const exact = op !== 'pow' && op !== 'div';
    await expectAgreement(name, arb, ({ as, bs, a, b }) => METHOD[op](fromData(a, as), fromData(b, bs)), { atol: exact ? 0 : 1e-6, rtol: exact ? 0 : 2e-6, signedZeros: true });
  });

  it('binary ops on int32: JavaScript integer semantics (division truncates, x/0 is 0)', async () => {
    const arb = fc.record({
      op: fc.constantFrom(...BINARY_OPS),
      pair: fc.constantFrom(...PAIRS),
    }).chain(({ op, pair: [as, bs] }) => fc.record({ op: fc.constant(op), as: fc.constant(as), bs: fc.constant(bs), a: int32s(sizeOf(as), -9, 9), b: int32s(sizeOf(bs), -4, 4) }));
    await expectAgreement(name, arb, ({ op, as, bs, a, b }) => METHOD[op](fromData(a, as), fromData(b, bs)), {}, 40);
  });

  it('where: cond ≠ 0 picks a (NaN is not 0, −0 is), broadcasting all three', async () => {
    const TRIPLES: readonly (readonly [number[], number[], number[]])[] = [[[4], [4], [4]], [[2, 3], [3], []], [[2, 1], [1, 3], [2, 3]], [[0], [1], []], [[1], [2, 2], [1, 2]]];
    const cond = fc.constantFrom(0, -0, 1, -2, NaN, Infinity);
    const arb = fc.constantFrom(...TRIPLES).chain(([cs, as, bs]) =>
      fc.record({ cs: fc.constant(cs), as: fc.constant(as), bs: fc.constant(bs), c: float32s(sizeOf(cs), cond), a: float32s(sizeOf(as)), b: float32s(sizeOf(bs)) }),
    );
    await expectAgreement(name, arb, ({ cs, as, bs, c, a, b }) => where(fromData(c, cs), fromData(a, as), fromData(b, bs)), { atol: 0, rtol: 0, signedZeros: true });
  });

  it('cast float32 → int32 truncates toward zero (NaN, ±∞ → 0; past 2^31 wraps, as JavaScript), and back', async () => {
    const big = fc.constantFrom(2 ** 31, -(2 ** 31), 3e9, -3e9, 2 ** 31 - 128, 1e10, 2.5, -2.5, 0.999, 16777217);
    const arb = shaped(SHAPES, fc.oneof(element([-100, 100]), big));
    await expectAgreement(name, arb, ({ shape, data }) => {
      const i = fromData(data, shape).int();
      return [i, i.float()];
    }, { atol: 0, rtol: 0 });
  });
});
