/** Unary, binary (with broadcasting), where and cast on every gpu.js mode, against the cpu backend. */
import fc from 'fast-check';
import { describe, it, beforeAll } from 'vitest';
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from '../../src/gpu/backend.js';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { broadcastShapes } from '../../src/base/shape.js';
import { CI_MODES, both, expectRanOn, gpujs, runsFor, shapeArb, sizeOf } from './gpujs-helpers.js';
import { expectClose } from '../helpers/close.js';
import { float32Values } from '../helpers/arbitraries.js';

/** Input domains away from poles and overflow. */
const DOMAIN: Partial<Record<UnaryOp, [number, number]>> = { log: [0.05, 4], sqrt: [0, 4], exp: [-4, 4] };

/** `count` shapes that broadcast together: drawn from one output shape, each with leading axes dropped or axes set to 1. */
function broadcastOperands(count: number): fc.Arbitrary<number[][]> {
  return shapeArb(3, 4).chain((out) => {
    const operand = fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.array(operand, { minLength: count, maxLength: count });
  });
}
const broadcastPair = broadcastOperands(2) as fc.Arbitrary<[number[], number[]]>;

describe.each(CI_MODES)('gpujs:%s elementwise', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  it.each(UNARY_OPS)('unary %s equals the cpu backend', async (op) => {
    const [lo, hi] = DOMAIN[op] ?? [-3, 3];
    const arb = fc.integer({ min: 1, max: 40 }).chain((n) => float32Values(n, [lo, hi]));
    await fc.assert(
      fc.asyncProperty(arb, async (x) => {
        const { got, want } = await both(be, [x], (b, [bx]) => b.unary(op, bx!));
        // Vulkan allows sin/cos an absolute error of 2^-11 on [-π, π] (SwiftShader uses some of it).
        expectClose(got, want, op === 'sin' || op === 'cos' ? 5e-4 : 2e-6, 2e-5);
      }),
      { numRuns: runsFor(mode) },
    );
    expectRanOn(be);
  });

  const ops = BINARY_OPS as readonly BinaryOp[];
  it('binary ops with broadcasting equal the cpu backend', async () => {
    const arb = fc.tuple(fc.constantFrom(...ops), broadcastPair).chain(([op, [as, bs]]) => {
      // Comparisons get ties from small integers; pow gets a positive base or a whole exponent.
      const ints = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'max', 'min'].includes(op);
      const va = ints ? float32Values(sizeOf(as), [-2, 2]).map((v) => v.map(Math.round)) : float32Values(sizeOf(as), [op === 'pow' ? 0.1 : -2, 2]);
      const vb = ints ? float32Values(sizeOf(bs), [-2, 2]).map((v) => v.map(Math.round)) : op === 'div' ? float32Values(sizeOf(bs), [0.5, 2]) : float32Values(sizeOf(bs), [-2, 2]);
      return fc.record({ op: fc.constant(op), as: fc.constant(as), bs: fc.constant(bs), a: va, b: vb });
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ op, as, bs, a, b }) => {
        const out = broadcastShapes(op, as, bs);
        const { got, want } = await both(be, [a, b], (k, [ba, bb]) => k.binary(op, ba!, as, bb!, bs, out));
        expectClose(got, want, 1e-5, 1e-5);
      }),
      { numRuns: runsFor(mode) * 2 },
    );
    expectRanOn(be);
  });

  it('pow of a negative base with a whole exponent keeps JavaScript semantics', async () => {
    const a = Float32Array.from([-2, -2, -1.5, 0, 3]);
    const b = Float32Array.from([3, 2, 2, 0, 0.5]);
    const { got, want } = await both(be, [a, b], (k, [ba, bb]) => k.binary('pow', ba!, [5], bb!, [5], [5]));
    expectClose(got, want);
    expectRanOn(be);
  });

  it('where broadcasts condition and both branches', async () => {
    const arb = (broadcastOperands(3) as fc.Arbitrary<[number[], number[], number[]]>).chain(([cs, as, bs]) =>
      fc.record({
        out: fc.constant(broadcastShapes('where', broadcastShapes('where', as, bs), cs)),
        cs: fc.constant(cs),
        as: fc.constant(as),
        bs: fc.constant(bs),
        c: float32Values(sizeOf(cs), [-1, 1]).map((v) => v.map(Math.round)),
        a: float32Values(sizeOf(as)),
        b: float32Values(sizeOf(bs)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ out, as, bs, cs, a, b, c }) => {
        const { got, want } = await both(be, [c, a, b], (k, [bc, ba, bb]) => k.where(bc!, cs, ba!, as, bb!, bs, out));
        expectClose(got, want);
      }),
      { numRuns: runsFor(mode) },
    );
    expectRanOn(be);
  });

  it('cast truncates float32 → int32 toward zero and keeps int32 → float32 exact', async () => {
    const x = Float32Array.from([-2.7, -0.5, 0, 0.5, 2.7, 1e6 + 0.25, -3]);
    const { got, want } = await both(be, [x], (k, [bx]) => k.cast(bx!, 'int32'));
    expectClose(got, want, 0, 0);
    const i = Int32Array.from([-5, 0, 7, 16777215]);
    const r = await both(be, [i], (k, [bi]) => k.cast(bi!, 'float32'));
    expectClose(r.got, r.want, 0, 0);
    expectRanOn(be);
  });
});
