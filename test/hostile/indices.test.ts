/**
 * An out-of-range index, already on the host or still pending on the
 * device, on every backend: each indexing op refuses it with the op the
 * user called, the real value, its position and what it indexes — never
 * NaN, another row, or a bare "memory access out of bounds" (which the
 * gpu.js modes gave for a pending index). An index in range gives the same
 * answer pending as on the host.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crossEntropy, fromData, gatherRows, groupedMatmul, oneHot, scatterAddRows, startBackend, type Backend, type Tensor,
} from '../../src/index.js';
import { KERNEL_CLASS } from '../../src/gpu/gpujs/api.js';
import { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { CI_MODES } from '../gpu/gpujs-helpers.js';
import { record } from './harness.js';

const BACKENDS = ['cpu', 'wasm', ...CI_MODES.map((m) => `gpujs:${m}`)];
/** How much one case may grow the process (MiB): the tensors are a few numbers. */
const GROWTH_MB = 64;

interface Case {
  op: string;
  /** Valid index values are 0 … size − 1. */
  size: number;
  /** The index's shape. */
  shape: number[];
  /** The message's tail: what the index counts. */
  what: string;
  run: (be: Backend, idx: Tensor) => Tensor;
}

const f32 = (be: Backend, v: number[], shape: number[]): Tensor => fromData(Float32Array.from(v), shape, { backend: be });
const x23 = (be: Backend): Tensor => f32(be, [1, 2, 3, 4, 5, 6], [2, 3]);

const CASES: Case[] = [
  { op: 'gather', size: 3, shape: [2, 1], what: 'size 3 (axis 1 of [2, 3])', run: (be, i) => x23(be).gather(1, i) },
  { op: 'indexSelect', size: 2, shape: [2], what: 'axis 0 of [2, 3]', run: (be, i) => x23(be).indexSelect(0, i) },
  { op: 'scatterAdd', size: 3, shape: [2, 1], what: 'size 3 (axis 1 of [2, 3])', run: (be, i) => x23(be).scatterAdd(1, i, f32(be, [1, 2], [2, 1])) },
  { op: 'indexAdd', size: 3, shape: [2], what: 'axis 1 of [2, 3]', run: (be, i) => x23(be).indexAdd(1, i, f32(be, [1, 2, 3, 4], [2, 2])) },
  { op: 'gatherRows', size: 2, shape: [3], what: 'size 2', run: (be, i) => gatherRows(x23(be), i) },
  { op: 'scatterAddRows', size: 4, shape: [2], what: 'size 4', run: (be, i) => scatterAddRows(x23(be), i, 4) },
  { op: 'crossEntropy', size: 3, shape: [2], what: '3 classes (logits [2, 3])', run: (be, i) => crossEntropy(x23(be), i, { reduction: 'none' }) },
  { op: 'oneHot', size: 3, shape: [2], what: '3 classes', run: (_, i) => oneHot(i, 3) },
  {
    op: 'groupedMatmul', size: 2, shape: [3], what: 'the 2 rows of A (rowIndex)',
    run: (be, i) => groupedMatmul(x23(be), f32(be, Array.from({ length: 12 }, (_, k) => k / 4), [2, 3, 2]), fromData(Int32Array.from([0, 1, 3]), [3], { backend: be }), { rowIndex: i }),
  },
];

/** The index on the host, or computed on the device (v − 1, then + 1: pending until realized). */
function index(be: Backend, values: number[], shape: number[], pending: boolean): Tensor {
  if (!pending) return fromData(Int32Array.from(values), shape, { backend: be });
  const t = fromData(Int32Array.from(values, (v) => v - 1), shape, { backend: be }).add(1);
  expect(t.lazy.isRealized).toBe(false);
  return t;
}

/** A case, good index values for it, and one bad value at one position. */
const draw = fc.constantFrom(...CASES).chain((c) => {
  const n = c.shape.reduce((a, b) => a * b, 1);
  return fc.record({
    c: fc.constant(c),
    good: fc.array(fc.integer({ min: 0, max: c.size - 1 }), { minLength: n, maxLength: n }),
    bad: fc.oneof(fc.integer({ min: -100_000, max: -1 }), fc.integer({ min: c.size, max: 1 << 20 })),
    at: fc.integer({ min: 0, max: n - 1 }),
    pending: fc.boolean(),
  });
});

describe.each(BACKENDS)('out-of-range indices on %s', (name) => {
  it('every indexing op names itself, the value, its position and the range; in range, pending equals host', async () => {
    const be = await startBackend(name);
    expect(be.name).toBe(name);
    await fc.assert(
      fc.asyncProperty(draw, async ({ c, good, bad, at, pending }) => {
        const values = good.slice();
        values[at] = bad;
        const message = `${c.op}: index ${bad} at position ${at} is out of range for ${c.what}`;
        // Refused at the op (host index) or at realize (pending): either way, before any value is produced.
        const before = process.memoryUsage().rss;
        let said = '(no error)';
        try {
          await c.run(be, index(be, values, c.shape, pending)).data();
        } catch (e) {
          said = (e as Error).message;
        }
        const growthMB = (process.memoryUsage().rss - before) / 2 ** 20;
        record({
          suite: 'out-of-range indices', name: `${name}: ${c.op}, index ${bad} at position ${at}, ${pending ? 'pending' : 'on the host'}`,
          outcome: said === message ? 'error' : said === '(no error)' ? 'wrong' : 'unexpected', detail: said, peakMB: growthMB, limitMB: GROWTH_MB,
        });
        expect(said).toBe(message);
        expect(growthMB).toBeLessThan(GROWTH_MB);
        const want = await c.run(be, index(be, good, c.shape, false)).data();
        const got = await c.run(be, index(be, good, c.shape, true)).data();
        expect(Array.from(got)).toEqual(Array.from(want));
      }),
      { numRuns: 20 },
    );
    if (be instanceof GpujsBackend) expect(be.kernelClass).toBe(KERNEL_CLASS[be.mode]);
  });
});
