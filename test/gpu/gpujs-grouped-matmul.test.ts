/** Grouped matmul on every gpu.js mode, both kinds, B stacked or as column blocks, transposed or not, against the cpu backend. */
import fc from 'fast-check';
import { describe, expect, it, beforeAll } from 'vitest';
import type { Backend, DeviceBuffer, GroupedMatmulSpec } from '../../src/gpu/backend.js';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import type { GpujsBuffer } from '../../src/gpu/gpujs/buffer.js';
import { MAX_EXACT_INDEX } from '../../src/gpu/gpujs/index-math.js';
import { columnStrides, stackedStrides } from '../../src/gpu/grouped-layout.js';
import { gpujsStats } from '../../src/gpu/gpujs/stats.js';
import { CI_MODES, both, cpu, expectRanOn, gpujs, runOn, runsFor } from './gpujs-helpers.js';
import { expectClose } from '../helpers/close.js';
import { float32Values } from '../helpers/arbitraries.js';

/** Offsets [G + 1] from the rows of each group: their running sum from 0. */
function offsetsOf(counts: readonly number[]): Int32Array {
  const offsets = new Int32Array(counts.length + 1);
  counts.forEach((c, g) => (offsets[g + 1] = offsets[g]! + c));
  return offsets;
}

/** 1…4 groups of 0…4 rows each: empty groups, one group, and no rows at all all occur. */
const countsArb = fc.integer({ min: 1, max: 4 }).chain((g) => fc.array(fc.nat(4), { minLength: g, maxLength: g }));
const dim = fc.integer({ min: 1, max: 6 });

/** Deterministic values in [-0.5, 0.5) for the fixed-size cases. */
const ramp = (len: number, period = 7): Float32Array => Float32Array.from({ length: len }, (_, i) => (i % period) / period - 0.5);

/** A case: the spec, A, B and the offsets as host arrays. */
type Case = [GroupedMatmulSpec, Float32Array, Float32Array, Int32Array];

const rowsArb: fc.Arbitrary<Case> = fc.tuple(countsArb, dim, dim, fc.boolean(), fc.boolean()).chain(([counts, k, n, transB, columns]) => {
  const offsets = offsetsOf(counts);
  const rows = offsets[counts.length]!;
  // The stored B_g is k×n, or n×k read transposed; stacked [G, ., .] or side by side as column blocks.
  const k2 = transB ? k : n;
  const bStrides = columns ? columnStrides(counts.length, k2, transB) : stackedStrides(transB ? n : k, k2, transB);
  const spec: GroupedMatmulSpec = { kind: 'rows', groups: counts.length, rows, k, n, bStrides };
  return fc.tuple(fc.constant(spec), float32Values(rows * k), float32Values(counts.length * k * n), fc.constant(offsets));
});

const innerArb: fc.Arbitrary<Case> = fc.tuple(countsArb, dim, dim).chain(([counts, m, n]) => {
  const offsets = offsetsOf(counts);
  const rows = offsets[counts.length]!;
  const spec: GroupedMatmulSpec = { kind: 'inner', groups: counts.length, rows, m, n };
  return fc.tuple(fc.constant(spec), float32Values(rows * m), float32Values(rows * n), fc.constant(offsets));
});

/** Cases every run includes, whatever fast-check draws. */
function edgeCases(kind: 'rows' | 'inner'): [Case][] {
  const make = (counts: number[], d: number): Case => {
    const offsets = offsetsOf(counts);
    const [groups, rows] = [counts.length, offsets[counts.length]!];
    const spec: GroupedMatmulSpec = kind === 'rows' ? { kind, groups, rows, k: d, n: 2, bStrides: stackedStrides(d, 2, false) } : { kind, groups, rows, m: d, n: 2 };
    return [spec, ramp(rows * d), ramp(kind === 'rows' ? groups * d * 2 : rows * 2), offsets];
  };
  // No rows at all (one group or two); one group; empty groups first, between and last; an empty k (or m): all zeros.
  return [[make([0], 3)], [make([0, 0], 3)], [make([5], 3)], [make([0, 2, 0, 3, 0], 2)], [make([2, 1], 0)]];
}

describe.each(CI_MODES)('gpujs:%s groupedMatmul', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  const run = async ([spec, a, b, offsets]: Case): Promise<void> => {
    const { got, want } = await both(be, [a, b, offsets], (k, [ba, bb, bo]) => k.groupedMatmul(ba!, bb!, bo!, spec));
    expectClose(got, want, 1e-5, 1e-5);
  };

  it("'rows': each row times its group's matrix, B plain or transposed", async () => {
    await fc.assert(fc.asyncProperty(rowsArb, run), { numRuns: runsFor(mode) * 2, examples: edgeCases('rows') });
    expectRanOn(be);
  });

  it("'inner': each group's rows summed into its own matrix, zero for an empty group", async () => {
    await fc.assert(fc.asyncProperty(innerArb, run), { numRuns: runsFor(mode) * 2, examples: edgeCases('inner') });
    expectRanOn(be);
  });

  it("fused 'rows': A gathered through a row index, a bias row per group", async () => {
    const fusedArb = fc.tuple(rowsArb, fc.integer({ min: 1, max: 5 }), fc.nat(), fc.boolean(), fc.boolean()).chain(([[spec, , b, offsets], aRows, seed, gathered, bias]) => {
      const s = spec as Extract<GroupedMatmulSpec, { kind: 'rows' }>;
      const idx = Int32Array.from({ length: s.rows }, (_, r) => (r * 3 + seed) % aRows);
      const fused: GroupedMatmulSpec = { ...s, ...(gathered ? { aRows } : {}), ...(bias ? { bias: true } : {}) };
      return fc.tuple(fc.constant({ fused, gathered, bias, idx, offsets, b }), float32Values((gathered ? aRows : s.rows) * s.k), float32Values(s.groups * s.n));
    });
    await fc.assert(
      fc.asyncProperty(fusedArb, async ([{ fused, gathered, bias, idx, offsets, b }, a, vbias]) => {
        const { got, want } = await both(be, [a, b, offsets, idx, vbias], (k, [ba, bb, bo, bi, bz]) =>
          k.groupedMatmul(ba!, bb!, bo!, fused, { ...(gathered ? { rowIndex: bi! } : {}), ...(bias ? { bias: bz! } : {}) }));
        expectClose(got, want, 1e-5, 1e-5);
      }),
      { numRuns: runsFor(mode) * 2 },
    );
    expectRanOn(be);
  });

  it('a fused row index computed on the device is checked before the kernel reads through it', async () => {
    const spec: GroupedMatmulSpec = { kind: 'rows', groups: 1, rows: 3, k: 1, n: 1, bStrides: stackedStrides(1, 1, false), aRows: 2 };
    const x = be.upload(Float32Array.from([0.1, 0.9, 0.2, 0.3, 0.9, 0.1, 0.5, 0.4, 0.3]));
    const row = await be.argReduce('argmax', x, 3, 3, 1); // [1, 1, 0] on the device
    const far = await be.binary('add', row, [3], be.upload(Int32Array.from([4])), [1], [3]); // [5, 5, 4]
    const [a, b, o] = [be.upload(Float32Array.from([2, 3])), be.upload(Float32Array.from([10])), be.upload(Int32Array.from([0, 3]))];
    await expect(async () => be.groupedMatmul(a, b, o, spec, { rowIndex: far })).rejects.toThrow(/row index 5 at position 0 is out of range for A's 2 rows/);
    expect(Array.from(await be.read(await be.groupedMatmul(a, b, o, spec, { rowIndex: row })))).toEqual([30, 30, 20]);
    expectRanOn(be);
  });

  it('offsets computed on the device (read back once)', async () => {
    const [a, b] = [Float32Array.from([1, 2, 3, 4, 5, 6]), Float32Array.from([1, -1, 2, 0.5, 3, 1])];
    const spec: GroupedMatmulSpec = { kind: 'inner', groups: 2, rows: 3, m: 2, n: 2 };
    const readbacks: number[] = [];
    const { got, want } = await both(be, [a, b, Float32Array.from([0, 1, 3])], async (k, [ba, bb, bf]) => {
      const offsets = await k.cast(bf!, 'int32');
      const before = gpujsStats().readbacks;
      const out = await k.groupedMatmul(ba!, bb!, offsets, spec);
      readbacks.push(gpujsStats().readbacks - before);
      return out;
    });
    expectClose(got, want, 0, 0);
    expect(readbacks).toEqual([1, 0]); // gpujs reads the offsets once; the cpu oracle has them already
    expectRanOn(be);
  });

  it("loops longer than 1000: 'rows' with k = 1100, an 'inner' group of 1150 rows", async () => {
    await run([{ kind: 'rows', groups: 2, rows: 3, k: 1100, n: 2, bStrides: stackedStrides(2, 1100, true) }, ramp(3 * 1100, 17), ramp(2 * 2 * 1100, 13), Int32Array.from([0, 1, 3])]);
    await run([{ kind: 'inner', groups: 2, rows: 1200, m: 2, n: 3 }, ramp(1200 * 2, 17), ramp(1200 * 3, 13), Int32Array.from([0, 50, 1200])]);
    expectRanOn(be);
  });

  it('one compiled kernel serves new offsets of the same shapes, even a longer group than its first call had', async () => {
    for (const kind of ['rows', 'inner'] as const) {
      const rows = 1200;
      const spec: GroupedMatmulSpec = kind === 'rows' ? { kind, groups: 2, rows, k: 3, n: 2, bStrides: stackedStrides(3, 2, false) } : { kind, groups: 2, rows, m: 3, n: 2 };
      const a = Float32Array.from({ length: rows * 3 }, (_, i) => (i % 11) / 11);
      const b = Float32Array.from({ length: kind === 'rows' ? 2 * 3 * 2 : rows * 2 }, (_, i) => (i % 5) / 5 - 0.4);
      await run([spec, a, b, Int32Array.from([0, 600, rows])]);
      const [kernels, before] = [be.kernelCount, gpujsStats().compiles];
      await run([spec, a, b, Int32Array.from([0, 1150, rows])]);
      expect(be.kernelCount).toBe(kernels);
      expect(gpujsStats().compiles - before).toBe(0);
    }
    expectRanOn(be);
  });

  it('bad offsets are an error naming the problem', async () => {
    const a = be.upload(new Float32Array(3 * 2).fill(1));
    const b = be.upload(new Float32Array(2 * 2 * 2).fill(1));
    const spec: GroupedMatmulSpec = { kind: 'rows', groups: 2, rows: 3, k: 2, n: 2, bStrides: stackedStrides(2, 2, false) };
    const call = (offsets: number[]) => async () => be.groupedMatmul(a, b, be.upload(Int32Array.from(offsets)), spec);
    await expect(call([1, 2, 3])).rejects.toThrow(/groupedMatmul: offsets must start at 0, got 1/);
    await expect(call([0, 3, 2])).rejects.toThrow(/groupedMatmul: offsets must not decrease: offset 2 is 2 after 3/);
    await expect(call([0, 1, 2])).rejects.toThrow(/groupedMatmul: the last offset must be the row count 3, got 2/);
    await expect(call([0, 3])).rejects.toThrow(/groupedMatmul: 2 groups need 3 offsets, got 2/);
    // The same check when the offsets were computed on the device.
    const onDevice = await be.cast(be.upload(Float32Array.from([0, 2, 1])), 'int32');
    await expect(async () => be.groupedMatmul(a, b, onDevice, spec)).rejects.toThrow(/offset 2 is 1 after 2/);
  });

  it('a loop past 65,535 iterations: right, or refused on GL', async () => {
    const long = 70_000;
    const ones = new Float32Array(long).fill(1);
    const rowsSpec: GroupedMatmulSpec = { kind: 'rows', groups: 1, rows: 1, k: long, n: 1, bStrides: stackedStrides(long, 1, false) };
    const innerSpec: GroupedMatmulSpec = { kind: 'inner', groups: 2, rows: long, m: 1, n: 1 };
    const offsets = Int32Array.from([0, long, long]);
    if (mode === 'headlessgl') {
      expect(() => be.groupedMatmul(be.upload(ones), be.upload(ones), be.upload(Int32Array.from([0, 1])), rowsSpec)).toThrow(/70000 iterations.*65535/);
      expect(() => be.groupedMatmul(be.upload(ones), be.upload(ones), be.upload(offsets), innerSpec)).toThrow(/70000 iterations.*65535/);
      return;
    }
    await run([rowsSpec, ones, ones, Int32Array.from([0, 1])]);
    await run([innerSpec, ones, ones, offsets]);
    expectRanOn(be);
  });
});

describe.each(CI_MODES)('gpujs:%s groupedMatmul past 2^24 elements', (mode) => {
  it("'rows' (4097 × 4097) and 'inner' (2 × 2897 × 2897) from small inputs", async () => {
    const be = await gpujs(mode);
    const S = 4097;
    const rows: Case = [{ kind: 'rows', groups: 2, rows: S, k: 2, n: S, bStrides: columnStrides(2, S, false) }, ramp(S * 2, 13), ramp(2 * 2 * S, 17), Int32Array.from([0, 2000, S])];
    const M = 2897;
    const inner: Case = [{ kind: 'inner', groups: 2, rows: 3, m: M, n: M }, ramp(3 * M, 13), ramp(3 * M, 17), Int32Array.from([0, 1, 3])];
    for (const [spec, a, b, offsets] of [rows, inner]) {
      const op = (k: Backend, [ba, bb, bo]: DeviceBuffer[]) => k.groupedMatmul(ba!, bb!, bo!, spec);
      const out = await op(be, [a, b, offsets].map((x) => be.upload(x)));
      expect((out as GpujsBuffer).parts?.length).toBe(3); // past 2^24 cells: two parts of 2^23 and a short third
      expectClose(await be.read(out), await runOn(cpu, [a, b, offsets], op), 1e-6, 1e-5);
    }
    expectRanOn(be);
  });

  it('an operand past 2^24 elements is a clear error', async () => {
    const be = await gpujs(mode);
    const rows = MAX_EXACT_INDEX / 2 + 1;
    const spec: GroupedMatmulSpec = { kind: 'rows', groups: 1, rows, k: 2, n: 1, bStrides: stackedStrides(2, 1, false) };
    const a = be.upload(new Float32Array(rows * 2));
    const call = async () => be.groupedMatmul(a, be.upload(new Float32Array(2)), be.upload(Int32Array.from([0, rows])), spec);
    await expect(call).rejects.toThrow(/the left operand of groupedMatmul has 16777218 elements, more than 2\^24/);
  });
});
