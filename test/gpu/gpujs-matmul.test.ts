/** Batched matmul on every gpu.js mode, every transpose and batch broadcast, against the cpu backend. */
import fc from 'fast-check';
import { describe, it, beforeAll } from 'vitest';
import type { MatmulSpec } from '../../src/gpu/backend.js';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { CI_MODES, both, expectRanOn, gpujs, runsFor } from './gpujs-helpers.js';
import { expectClose } from '../helpers/close.js';
import { float32Values } from '../helpers/arbitraries.js';

const specArb: fc.Arbitrary<MatmulSpec & { aBatches: number; bBatches: number }> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    m: fc.integer({ min: 1, max: 9 }),
    k: fc.integer({ min: 1, max: 9 }),
    n: fc.integer({ min: 1, max: 9 }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    broadcastA: fc.boolean(),
    broadcastB: fc.boolean(),
  })
  .map(({ broadcastA, broadcastB, ...s }) => {
    // A batch stride of 0 shares one matrix across the batch.
    const aBatches = broadcastA ? 1 : s.batch;
    const bBatches = broadcastB ? 1 : s.batch;
    return { ...s, aBatches, bBatches, aBatchStride: broadcastA ? 0 : s.m * s.k, bBatchStride: broadcastB ? 0 : s.k * s.n };
  });

describe.each(CI_MODES)('gpujs:%s matmul', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  it('equals the cpu backend for every layout', async () => {
    const arb = specArb.chain((s) => fc.tuple(fc.constant(s), float32Values(s.aBatches * s.m * s.k), float32Values(s.bBatches * s.k * s.n)));
    await fc.assert(
      fc.asyncProperty(arb, async ([s, a, b]) => {
        const { got, want } = await both(be, [a, b], (k, [ba, bb]) => k.matmul(ba!, bb!, s));
        expectClose(got, want, 1e-5, 1e-5);
      }),
      { numRuns: runsFor(mode) * 2 },
    );
    expectRanOn(be);
  });

  it('sums an inner dimension longer than 1000 to the end (k = 1100)', async () => {
    const [m, k, n] = [3, 1100, 2];
    const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 37) % 17) / 17 - 0.5);
    const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 53) % 13) / 13 - 0.5);
    const spec = { batch: 1, m, k, n, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    const { got, want } = await both(be, [a, b], (kb, [ba, bb]) => kb.matmul(ba!, bb!, spec));
    expectClose(got, want, 1e-3, 1e-4);
    expectRanOn(be);
  });
});
