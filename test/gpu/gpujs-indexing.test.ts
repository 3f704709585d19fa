/** gather, scatter-add (gather-style, from CSR lists) and strided views on every gpu.js mode, against the cpu backend. */
import fc from 'fast-check';
import { describe, expect, it, beforeAll } from 'vitest';
import type { ViewSpec } from '../../src/gpu/backend.js';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { csr } from '../../src/gpu/gpujs/indexing.js';
import { stridesOf } from '../../src/base/shape.js';
import { CI_MODES, both, expectRanOn, gpujs, runsFor, shapeArb, sizeOf } from './gpujs-helpers.js';
import { expectClose } from '../helpers/close.js';
import { float32Values } from '../helpers/arbitraries.js';

const indices = (count: number, rows: number): fc.Arbitrary<Int32Array> =>
  fc.array(fc.integer({ min: 0, max: rows - 1 }), { minLength: count, maxLength: count }).map((xs) => Int32Array.from(xs));

/** A view of a contiguous source: a permutation, then per axis a slice, an expand, or zero padding. */
const viewArb = shapeArb(3, 4).chain((src) =>
  fc.tuple(
    fc.shuffledSubarray([...src.keys()], { minLength: src.length, maxLength: src.length }),
    fc.array(fc.tuple(fc.constantFrom('keep', 'slice', 'pad', 'expand'), fc.nat(2), fc.nat(2)), { minLength: src.length, maxLength: src.length }),
    float32Values(sizeOf(src)),
  ).map(([perm, edits, data]) => {
    const srcStrides = stridesOf(src);
    let offset = 0;
    const shape: number[] = [];
    const strides: number[] = [];
    const window: [number, number][] = [];
    perm.forEach((axis, d) => {
      const n = src[axis]!;
      const [kind, p, q] = edits[d]!;
      if (kind === 'slice' && n > 1) {
        const start = Math.min(p, n - 1);
        offset += start * srcStrides[axis]!;
        shape.push(Math.max(1, n - start - q));
        strides.push(srcStrides[axis]!);
        window.push([0, shape[d]!]);
      } else if (kind === 'expand' && n === 1) {
        shape.push(p + 2);
        strides.push(0);
        window.push([0, p + 2]);
      } else if (kind === 'pad') {
        // Padding p before and q after: the window shifts the read back by p.
        offset -= p * srcStrides[axis]!;
        shape.push(n + p + q);
        strides.push(srcStrides[axis]!);
        window.push([p, p + n]);
      } else {
        shape.push(n);
        strides.push(srcStrides[axis]!);
        window.push([0, n]);
      }
    });
    const spec: ViewSpec = { shape, strides, offset, window };
    return { spec, data };
  }),
);

describe('csr', () => {
  it('lists each destination row its sources in increasing order', () => {
    const { offsets, order, longest } = csr(Int32Array.from([2, 0, 2, 2, 1]), 4);
    expect([...offsets]).toEqual([0, 1, 2, 5, 5]);
    expect([...order]).toEqual([1, 4, 0, 2, 3]);
    expect(longest).toBe(3);
  });
});

describe.each(CI_MODES)('gpujs:%s indexing', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  it('gather picks rows', async () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 }))
      .chain(([rows, cols, count]) => fc.tuple(fc.constant([rows, cols] as const), float32Values(rows * cols), indices(count, rows)));
    await fc.assert(
      fc.asyncProperty(arb, async ([[rows, cols], src, idx]) => {
        const { got, want } = await both(be, [src, idx], (b, [bs, bi]) => b.gather(bs!, rows, cols, bi!));
        expectClose(got, want, 0, 0);
      }),
      { numRuns: runsFor(mode) },
    );
    expectRanOn(be);
  });

  it('scatterAdd sums rows into their destinations, in increasing source order', async () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 10 }))
      .chain(([outRows, cols, count]) => fc.tuple(fc.constant([outRows, cols] as const), float32Values(count * cols), indices(count, outRows)));
    await fc.assert(
      fc.asyncProperty(arb, async ([[outRows, cols], src, idx]) => {
        const { got, want } = await both(be, [src, idx], (b, [bs, bi]) => b.scatterAdd(bs!, cols, bi!, outRows));
        expectClose(got, want, 1e-6, 1e-6);
      }),
      { numRuns: runsFor(mode) },
    );
    expectRanOn(be);
  });

  it('scatterAdd with indices computed on the device (read back once for the CSR lists)', async () => {
    const x = Float32Array.from([0.1, 0.9, 0.5, 0.7, 0.2, 0.3]);
    const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const { got, want } = await both(be, [x, src], async (b, [bx, bs]) => {
      const idx = await b.argReduce('argmax', bx!, 3, 2, 1); // [1, 1, 0]
      return b.scatterAdd(bs!, 2, idx, 2);
    });
    expectClose(got, want, 0, 0);
    expectRanOn(be);
  });

  it('scatterAdd into one row from 1200 sources (past the 1000-iteration loop cap)', async () => {
    const count = 1200;
    const idx = Int32Array.from({ length: count }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const src = Float32Array.from({ length: count * 2 }, (_, i) => (i % 7) / 7);
    const { got, want } = await both(be, [src, idx], (b, [bs, bi]) => b.scatterAdd(bs!, 2, bi!, 3));
    expectClose(got, want, 1e-3, 1e-5);
    expectRanOn(be);
  });

  it('an out-of-range index is an error naming it', async () => {
    const src = be.upload(Float32Array.from([1, 2, 3, 4]));
    const idx = be.upload(Int32Array.from([0, 5]));
    expect(() => be.gather(src, 2, 2, idx)).toThrow(/index 5 at position 1 is out of range for 2 rows/);
    await expect(async () => be.scatterAdd(src, 2, idx, 2)).rejects.toThrow(/index 5 at position 1 is out of range for 2 rows/);
  });

  it('an out-of-range index computed on the device is refused too (read back and checked, as the cpu kernel checks)', async () => {
    const src = be.upload(Float32Array.from([1, 2, 3, 4]));
    const x = be.upload(Float32Array.from([0.1, 0.9, 0.2, 0.3, 0.9, 0.1, 0.5, 0.4, 0.3]));
    const idx = await be.argReduce('argmax', x, 3, 3, 1); // [1, 1, 0], on the device
    await expect(async () => be.gather(src, 1, 4, idx)).rejects.toThrow(/gather: index 1 at position 0 is out of range for 1 rows/);
    const ok = await be.read(await be.gather(src, 2, 2, idx));
    expect(Array.from(ok)).toEqual([3, 4, 3, 4, 1, 2]);
    expectRanOn(be);
  });

  it('view: permute, slice, expand and pad equal the cpu backend', async () => {
    await fc.assert(
      fc.asyncProperty(viewArb, async ({ spec, data }) => {
        const { got, want } = await both(be, [data], (b, [bx]) => b.view(bx!, spec));
        expectClose(got, want, 0, 0);
      }),
      { numRuns: runsFor(mode) * 2 },
    );
    expectRanOn(be);
  });
});
