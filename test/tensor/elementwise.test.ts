/**
 * Forward values of the elementwise ops against the naive reference
 * (test/helpers/naive.ts): NumPy broadcasting (with size-0 and size-1 axes),
 * every binary op in float64 and float32, unary ops, where, clamp, cast.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { broadcastShapes, tensor, where, type Tensor } from '../../src/index.js';
import { broadcastOf, broadcastPair, broadcastTriple, scalar, shape, shapeWithZero, sizeOf, tensorCase, values } from '../helpers/arbitraries.js';
import * as naive from '../helpers/naive.js';
import { expectClose, expectShape, fromCase, t32, t64, vals } from '../helpers/tensors.js';

const RUNS = 100;
const noNegZero = (v: number): number => v + 0;

const binaryOps: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number][] = [
  ['add', (a, b) => a.add(b), (a, b) => a + b],
  ['sub', (a, b) => a.sub(b), (a, b) => a - b],
  ['mul', (a, b) => a.mul(b), (a, b) => a * b],
  ['div', (a, b) => a.div(b), (a, b) => a / b],
  ['pow', (a, b) => a.abs().pow(b), (a, b) => Math.pow(Math.abs(a), b)],
  ['maximum', (a, b) => a.maximum(b), Math.max],
  ['minimum', (a, b) => a.minimum(b), Math.min],
  ['eq', (a, b) => a.eq(b), (a, b) => Number(a === b)],
  ['ne', (a, b) => a.ne(b), (a, b) => Number(a !== b)],
  ['lt', (a, b) => a.lt(b), (a, b) => Number(a < b)],
  ['le', (a, b) => a.le(b), (a, b) => Number(a <= b)],
  ['gt', (a, b) => a.gt(b), (a, b) => Number(a > b)],
  ['ge', (a, b) => a.ge(b), (a, b) => Number(a >= b)],
];

/** A broadcastable pair with values; a coarse value grid makes ties (for comparisons, max, min) common. */
const pairCase = broadcastPair({ minDim: 0, maxDim: 3 }).chain(([sa, sb]) =>
  fc.tuple(fc.constant(sa), fc.constant(sb), values(sizeOf(sa)).map((v) => v.map((x) => Math.round(x * 2) / 2)), values(sizeOf(sb)).map((v) => v.map((x) => Math.round(x * 2) / 2))),
);

describe('binary ops with broadcasting = naive reference', () => {
  it('broadcastShapes agrees with the naive rule, in both orders', () => {
    fc.assert(
      fc.property(broadcastPair({ minDim: 0 }), ([a, b]) => {
        expect(broadcastShapes('test', a, b)).toEqual(broadcastOf(a, b));
        expect(broadcastShapes('test', b, a)).toEqual(broadcastOf(a, b));
      }),
      { numRuns: RUNS },
    );
  });

  for (const [name, f, ref] of binaryOps) {
    it(`${name}: float64 exactly, float32 to the rounded result`, () => {
      fc.assert(
        fc.property(pairCase, ([sa, sb, va, vb]) => {
          const want = naive.binary(ref, { shape: sa, data: va }, { shape: sb, data: vb });
          const y = f(t64(va, sa), t64(vb, sb));
          expectShape(y, want.shape);
          expect(y.dtype).toBe('float64');
          // (toEqual tells −0 from +0; max(−0, +0) may be either, as in IEEE 754.)
          expect(vals(y).map(noNegZero)).toEqual(want.data.map(noNegZero));
          const y32 = f(t32(va, sa), t32(vb, sb));
          expect(y32.dtype).toBe('float32');
          const a32 = va.map(Math.fround);
          const b32 = vb.map(Math.fround);
          const want32 = naive.binary(ref, { shape: sa, data: a32 }, { shape: sb, data: b32 }).data.map(Math.fround);
          expect(vals(y32).map(noNegZero)).toEqual(want32.map(noNegZero));
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('a plain number operand on either side (x.op(2), and reciprocal = 1/x)', () => {
    fc.assert(
      fc.property(tensorCase(shapeWithZero(), 'denominator'), scalar('any'), (c, s) => {
        const x = fromCase(c);
        expect(vals(x.add(s))).toEqual(c.data.map((v) => v + s));
        expect(vals(x.sub(s))).toEqual(c.data.map((v) => v - s));
        expect(vals(x.mul(s))).toEqual(c.data.map((v) => v * s));
        expect(vals(x.div(s === 0 ? 1 : s))).toEqual(c.data.map((v) => v / (s === 0 ? 1 : s)));
        expect(vals(x.reciprocal())).toEqual(c.data.map((v) => 1 / v));
        expect(vals(x.pow(2))).toEqual(c.data.map((v) => v ** 2));
      }),
      { numRuns: RUNS },
    );
  });

  it('comparisons and int32 arithmetic keep the operands\' dtype', () => {
    const a = tensor([1, 5, -3], { dtype: 'int32' });
    const b = tensor([2, 5, -4], { dtype: 'int32' });
    expect(a.lt(b).dtype).toBe('int32');
    expect(vals(a.lt(b))).toEqual([1, 0, 0]);
    expect(vals(a.add(b))).toEqual([3, 10, -7]);
    expect(vals(a.mul(b))).toEqual([2, 25, 12]);
    expect(vals(a.div(b))).toEqual([0, 1, 0]); // truncated, as int32 division is in C
    expect(vals(a.neg())).toEqual([-1, -5, 3]);
    expect(vals(a.abs())).toEqual([1, 5, 3]);
  });
});

const unaryOps: [string, (x: Tensor) => Tensor, (x: number) => number][] = [
  ['neg', (x) => x.neg(), (x) => -x],
  ['exp', (x) => x.exp(), Math.exp],
  ['log', (x) => x.abs().add(0.1).log(), (x) => Math.log(Math.abs(x) + 0.1)],
  ['sqrt', (x) => x.abs().sqrt(), (x) => Math.sqrt(Math.abs(x))],
  ['abs', (x) => x.abs(), Math.abs],
  ['tanh', (x) => x.tanh(), Math.tanh],
  ['sigmoid', (x) => x.sigmoid(), (x) => 1 / (1 + Math.exp(-x))],
  ['relu', (x) => x.relu(), (x) => Math.max(x, 0)],
  ['gelu (tanh approximation)', (x) => x.gelu(), (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))],
  ['silu', (x) => x.silu(), (x) => x / (1 + Math.exp(-x))],
  ['square', (x) => x.square(), (x) => x * x],
  ['sign', (x) => x.sign(), Math.sign],
  ['sin', (x) => x.sin(), Math.sin],
  ['cos', (x) => x.cos(), Math.cos],
];

describe('unary ops = Math', () => {
  for (const [name, f, ref] of unaryOps) {
    it(name, () => {
      fc.assert(
        fc.property(tensorCase(shapeWithZero()).map((c) => ({ ...c, data: c.data.map((v) => v * 5) })), (c) => {
          const y = f(fromCase(c));
          expectShape(y, c.shape);
          expectClose(vals(y), c.data.map(ref), 1e-15, 1e-13);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('sigmoid, silu and gelu stay finite and saturate correctly at ±1000', () => {
    const x = t64([-1000, -50, 0, 50, 1000], [5]);
    expectClose(vals(x.sigmoid()), [0, 1 / (1 + Math.exp(50)), 0.5, 1 / (1 + Math.exp(-50)), 1], 0, 1e-14);
    expectClose(vals(x.silu()), [-0, -50 / (1 + Math.exp(50)), 0, 50 / (1 + Math.exp(-50)), 1000]);
    expectClose(vals(x.gelu()), [-0, -0, 0, 50, 1000]);
    expect(vals(x.tanh())).toEqual([-1, -1, 0, 1, 1]);
  });
});

describe('where, clamp, cast = naive reference', () => {
  it('where(cond, a, b) with all three broadcast', () => {
    fc.assert(
      fc.property(
        broadcastTriple({ minDim: 0, maxDim: 3 }).chain(([sc, sa, sb]) =>
          fc.tuple(fc.constant([sc, sa, sb]), fc.array(fc.constantFrom(0, 1, -2), { minLength: sizeOf(sc), maxLength: sizeOf(sc) }), values(sizeOf(sa)), values(sizeOf(sb))),
        ),
        ([[sc, sa, sb], vc, va, vb]) => {
          const want = naive.where({ shape: sc!, data: vc }, { shape: sa!, data: va }, { shape: sb!, data: vb });
          const y = where(t64(vc, sc!), t64(va, sa!), t64(vb, sb!));
          expectShape(y, want.shape);
          expect(vals(y)).toEqual(want.data);
          const yi = where(tensor(vc, { shape: sc!, dtype: 'int32' }), t64(va, sa!), 7);
          expect(vals(yi)).toEqual(naive.where({ shape: sc!, data: vc }, { shape: sa!, data: va }, { shape: [], data: [7] }).data);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('clamp(min, max) = min(max(x, lo), hi), either bound optional', () => {
    fc.assert(
      fc.property(tensorCase(shapeWithZero()), scalar(), scalar(), (c, p, q) => {
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        const x = fromCase(c);
        expect(vals(x.clamp(lo, hi))).toEqual(c.data.map((v) => Math.min(Math.max(v, lo), hi)));
        expect(vals(x.clamp(lo))).toEqual(c.data.map((v) => Math.max(v, lo)));
        expect(vals(x.clamp(undefined, hi))).toEqual(c.data.map((v) => Math.min(v, hi)));
        expect(vals(x.clamp())).toEqual(c.data);
      }),
      { numRuns: RUNS },
    );
  });

  it('cast float64 → float32 rounds, float → int32 truncates toward zero, int32 → float is exact', () => {
    fc.assert(
      fc.property(tensorCase(shape()).map((c) => ({ ...c, data: c.data.map((v) => v * 1000.3) })), (c) => {
        const x = fromCase(c);
        expect(x.cast('float64')).toBe(x);
        const f = x.float();
        expect(f.dtype).toBe('float32');
        expect(vals(f)).toEqual(c.data.map(Math.fround));
        const i = x.int();
        expect(i.dtype).toBe('int32');
        expect(vals(i)).toEqual(c.data.map((v) => Math.trunc(v) + 0));
        expect(vals(i.double())).toEqual(c.data.map((v) => Math.trunc(v) + 0));
        expect(vals(f.double())).toEqual(c.data.map(Math.fround));
      }),
      { numRuns: RUNS },
    );
  });
});
