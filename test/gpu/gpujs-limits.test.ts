/**
 * Device limits are handled, not hit: 1-D outputs longer than the largest
 * texture side (16384 on headless-gl's llvmpipe), outputs past WebGPU's
 * 65,535-workgroup dispatch limit, and a clear error — never a wrong
 * answer — past 2^24 elements, where float32 index arithmetic stops being exact.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { MAX_EXACT_INDEX } from '../../src/gpu/gpujs/index-math.js';
import { CI_MODES, both, expectClose, expectRanOn, gpujs } from './gpujs-helpers.js';

const ramp = (n: number, period = 1009): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i % period) - period / 2) / period);

describe.each(CI_MODES)('gpujs:%s limits', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  it('outputs longer than the largest texture side (40,000 cells in one row)', async () => {
    const n = 40_000;
    const u = await both(be, [ramp(n)], (b, [x]) => b.unary('exp', x!));
    expectClose(u.got, u.want, 1e-6, 1e-5);
    const bin = await both(be, [ramp(3 * 13_001), ramp(13_001, 97)], (b, [x, y]) => b.binary('mul', x!, [3, 13_001], y!, [13_001], [3, 13_001]));
    expectClose(bin.got, bin.want, 1e-7, 1e-6);
    const mm = await both(be, [ramp(3), ramp(3 * 20_000)], (b, [x, y]) =>
      b.matmul(x!, y!, { batch: 1, m: 1, k: 3, n: 20_000, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }),
    );
    expectClose(mm.got, mm.want, 1e-6, 1e-5);
    expectRanOn(be);
  });

  it('outputs past the 65,535 × 64 threads of one WebGPU dispatch axis (2049 × 2048 cells)', async () => {
    const [rows, cols] = [2049, 2048];
    const r = await both(be, [ramp(rows * cols), ramp(cols, 101)], (b, [x, y]) => b.binary('add', x!, [rows, cols], y!, [cols], [rows, cols]));
    expectClose(r.got, r.want, 1e-6, 1e-6);
    const t = await both(be, [ramp(rows * cols)], (b, [x]) => b.view(x!, { shape: [cols, rows], strides: [1, cols], offset: 0 }));
    expectClose(t.got, t.want, 0, 0);
    expectRanOn(be);
  });

  it('past 2^24 elements, a clear error instead of inexact indexing', () => {
    const one = be.upload(Float32Array.from([1]));
    expect(() => be.view(one, { shape: [MAX_EXACT_INDEX + 1], strides: [0], offset: 0 })).toThrow(/16777217 elements, more than 2\^24/);
    expect(() => be.binary('add', one, [1], one, [1], [4097, 4097])).toThrow(/more than 2\^24/);
    expect(() => be.upload(new Float32Array(MAX_EXACT_INDEX + 1))).toThrow(/uploaded to gpujs:.* has 16777217 elements, more than 2\^24/);
  });
});
