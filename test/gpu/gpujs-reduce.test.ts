/** reduce, argReduce and topk on every gpu.js mode, against the cpu backend; loops longer than gpu.js's 1000-iteration default included. */
import fc from 'fast-check';
import { describe, it, beforeAll } from 'vitest';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { CI_MODES, both, expectRanOn, gpujs, runsFor } from './gpujs-helpers.js';
import { expectClose } from '../helpers/close.js';
import { float32Values } from '../helpers/arbitraries.js';

const dims = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }));

/** Values on a coarse grid, so rows have ties (argmax and topk must break them by index). */
const tied = (n: number): fc.Arbitrary<Float32Array> => float32Values(n, [-3, 3]).map((v) => v.map((x) => Math.round(x * 2) / 2));

describe.each(CI_MODES)('gpujs:%s reductions', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  it.each(['sum', 'max', 'min'] as const)('reduce %s over the middle axis of [outer, n, inner]', async (op) => {
    const arb = dims.chain(([o, n, i]) => fc.tuple(fc.constant([o, n, i] as const), float32Values(o * n * i)));
    await fc.assert(
      fc.asyncProperty(arb, async ([[o, n, i], x]) => {
        const { got, want } = await both(be, [x], (b, [bx]) => b.reduce(op, bx!, o, n, i));
        expectClose(got, want, 1e-5, 1e-5);
      }),
      { numRuns: runsFor(mode) },
    );
    expectRanOn(be);
  });

  it.each(['argmax', 'argmin'] as const)('%s gives the first extreme', async (op) => {
    const arb = dims.chain(([o, n, i]) => fc.tuple(fc.constant([o, n, i] as const), tied(o * n * i)));
    await fc.assert(
      fc.asyncProperty(arb, async ([[o, n, i], x]) => {
        const { got, want } = await both(be, [x], (b, [bx]) => b.argReduce(op, bx!, o, n, i));
        expectClose(got, want, 0, 0);
      }),
      { numRuns: runsFor(mode) },
    );
    expectRanOn(be);
  });

  it('topk gives the k largest, descending, lower index first on ties', async () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 24 }))
      .chain(([rows, n]) => fc.tuple(fc.constant(rows), fc.constant(n), fc.integer({ min: 0, max: n }), tied(rows * n)));
    await fc.assert(
      fc.asyncProperty(arb, async ([rows, n, k, x]) => {
        const { got, want } = await both(be, [x], (b, [bx]) => b.topk(bx!, rows, n, k));
        expectClose(got, want, 0, 0);
      }),
      { numRuns: runsFor(mode) },
    );
    expectRanOn(be);
  });

  it('loops past 1000 iterations run to the end (sum, argmax, topk over n = 1500)', async () => {
    const n = 1500;
    const x = Float32Array.from({ length: 2 * n }, (_, j) => ((j * 7919) % 1000) / 1000);
    x[1400] = 5; // the maximum of row 0 sits past iteration 1000
    x[n + 1200] = 5;
    const sum = await both(be, [x], (b, [bx]) => b.reduce('sum', bx!, 2, n, 1));
    expectClose(sum.got, sum.want, 1e-3, 1e-5);
    const arg = await both(be, [x], (b, [bx]) => b.argReduce('argmax', bx!, 2, n, 1));
    expectClose(arg.got, arg.want, 0, 0);
    const top = await both(be, [x], (b, [bx]) => b.topk(bx!, 2, n, 3));
    expectClose(top.got, top.want, 0, 0);
    expectRanOn(be);
  });
});
