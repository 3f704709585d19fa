/**
 * Device limits are handled, not hit: 1-D outputs longer than the largest
 * texture side (16384 on headless-gl's llvmpipe), outputs past WebGPU's
 * 65,535-workgroup dispatch limit, tensors past 2^24 elements (where float32
 * index arithmetic stops being exact: they are computed in chunks), and a
 * clear error — never a wrong answer — for what chunking does not cover.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { GpujsBuffer } from '../../src/gpu/gpujs/buffer.js';
import { CHUNK, MAX_EXACT_INDEX } from '../../src/gpu/gpujs/index-math.js';
import type { TypedArray } from '../../src/base/dtype.js';
import { CI_MODES, both, expectRanOn, gpujs } from './gpujs-helpers.js';
import { expectClose } from '../helpers/close.js';

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

  it('reductions longer than the 65,535 iterations llvmpipe runs a loop for (70,001 elements a row)', async () => {
    for (const op of ['sum', 'max'] as const) {
      const r = await both(be, [ramp(2 * 70_001)], (b, [x]) => b.reduce(op, x!, 2, 70_001, 1));
      expectClose(r.got, r.want, 1e-3, 1e-5);
    }
    expectRanOn(be);
  });

  describe('past 2^24 elements (chunked)', () => {
    const N = MAX_EXACT_INDEX + 3;
    const S = 4097; // S × S = 2^24 + 2·4096 + 1 cells
    let big: Float32Array;
    let square: Float32Array;
    beforeAll(() => {
      big = ramp(N);
      square = ramp(S * S, 1013);
    });

    it('upload, read, unary, cast, binary with broadcasting, where', async () => {
      const x = be.upload(big);
      expect((x as GpujsBuffer).parts?.length).toBe(3);
      expectAt(await be.read(x), big, 0, 0);
      const u = await both(be, [big], (b, [v]) => b.unary('exp', v!));
      expectAt(u.got, u.want, 1e-6, 1e-5);
      const c = await both(be, [big], (b, [v]) => b.cast(v!, 'int32'));
      expectAt(c.got, c.want, 0, 0);
      // Same shape (read part by part), a row broadcast and a column broadcast (small inputs).
      const row = await both(be, [square, ramp(S, 97)], (b, [v, w]) => b.binary('add', v!, [S, S], w!, [S], [S, S]));
      expectAt(row.got, row.want, 1e-6, 1e-6);
      const col = await both(be, [ramp(S, 89), ramp(S, 97)], (b, [v, w]) => b.binary('mul', v!, [S, 1], w!, [1, S], [S, S]));
      expectAt(col.got, col.want, 1e-7, 1e-6);
      const w = await both(be, [square, ramp(S, 7), square], (b, [cond, v, y]) => b.where(cond!, [S, S], v!, [S], y!, [S, S], [S, S]));
      expectAt(w.got, w.want, 0, 0);
      expectRanOn(be);
    });

    it('views: slices straddling parts, expand, padding; a transpose this large is refused', async () => {
      const shifted = await both(be, [big], (b, [v]) => b.view(v!, { shape: [N - 2], strides: [1], offset: 2 }));
      expectAt(shifted.got, shifted.want, 0, 0);
      const small = await both(be, [big], (b, [v]) => b.view(v!, { shape: [2, 500], strides: [1000, 2], offset: CHUNK - 1001 }));
      expectClose(small.got, small.want, 0, 0);
      const joined = await both(be, [big], (b, [v]) => b.view(v!, { shape: [MAX_EXACT_INDEX], strides: [1], offset: 3 }));
      expect((joined.got as Float32Array).length).toBe(MAX_EXACT_INDEX);
      expectAt(joined.got, joined.want, 0, 0);
      const padded = await both(be, [ramp(S, 31)], (b, [v]) => b.view(v!, { shape: [S, S], strides: [0, 1], offset: -5, window: [[0, S], [5, S - 5]] }));
      expectAt(padded.got, padded.want, 0, 0);
      const x = be.upload(square);
      expect(() => be.view(x, { shape: [S, S], strides: [1, S], offset: 0 })).toThrow(/too widely/);
      expectRanOn(be);
    });

    it('reduce sum and max: over everything, over rows, over the first axis', async () => {
      for (const op of ['sum', 'max'] as const) {
        const all = await both(be, [big], (b, [v]) => b.reduce(op, v!, 1, N, 1));
        expectClose(all.got, all.want, 1e-2, 1e-4);
        const rows = await both(be, [square], (b, [v]) => b.reduce(op, v!, S, S, 1));
        expectClose(rows.got, rows.want, 1e-3, 1e-4);
        const first = await both(be, [square], (b, [v]) => b.reduce(op, v!, 1, S, S));
        expectClose(first.got, first.want, 1e-3, 1e-4);
      }
      expectRanOn(be);
    });

    it('outputs past 2^24 cells from small inputs: matmul, gather, scatterAdd', async () => {
      const mm = await both(be, [ramp(S * 2, 13), ramp(2 * S, 17)], (b, [x, y]) =>
        b.matmul(x!, y!, { batch: 1, m: S, k: 2, n: S, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }),
      );
      expectAt(mm.got, mm.want, 1e-6, 1e-5);
      const idx = Int32Array.from({ length: S }, (_, i) => (i * 7) % 5);
      const g = await both(be, [ramp(5 * S, 101), idx], (b, [src, ix]) => b.gather(src!, 5, S, ix!));
      expectAt(g.got, g.want, 0, 0);
      const cols = 2 ** 21;
      const to = Int32Array.from([8, 0, 3, 8]); // two rows into 8, none into most rows
      const sc = await both(be, [ramp(4 * cols, 103), to], (b, [src, ix]) => b.scatterAdd(src!, cols, ix!, 9));
      expectAt(sc.got, sc.want, 1e-6, 1e-5);
      expectRanOn(be);
    });

    it('what chunking does not cover is a clear error', () => {
      const x = be.upload(big);
      expect(() => be.argReduce('argmax', x, 1, N, 1)).toThrow(/16777219 elements, more than 2\^24/);
      expect(() => be.topk(x, 1, N, 2)).toThrow(/more than 2\^24/);
      expect(() => be.view(be.upload(Float32Array.from([1])), { shape: [2, MAX_EXACT_INDEX + 1], strides: [0, 0], offset: 0 })).toThrow(/inner axis 1 of 16777217 elements/);
    });
  });
});

/** Positions worth checking in an array of n cells: both sides of every part boundary, the ends, and a sparse sweep. */
function samples(n: number): number[] {
  const at = new Set<number>([0, 1, 2, n - 3, n - 2, n - 1]);
  for (let b = CHUNK; b < n + CHUNK; b += CHUNK) for (let d = -3; d <= 3; d++) at.add(b + d);
  for (let i = 0; i < n; i += 65_537) at.add(i);
  return [...at].filter((i) => i >= 0 && i < n).sort((a, b) => a - b);
}

/** expectClose at the sample positions only (comparing all 2^24 cells costs more than it tells). */
function expectAt(got: TypedArray, want: TypedArray, atol: number, rtol: number): void {
  expect(got.constructor.name).toBe(want.constructor.name);
  expect(got.length).toBe(want.length);
  const pick = (a: TypedArray, at: number[]): Float64Array => Float64Array.from(at, (i) => a[i]!);
  const at = samples(want.length);
  expectClose(pick(got, at), pick(want, at), atol, rtol);
}


describe.each(CI_MODES)('gpujs:%s loops past 65,535 iterations', (mode) => {
  // Mesa llvmpipe ends any GLSL loop after 65,535 iterations: on GL modes such a
  // kernel must be refused, elsewhere it must be right.
  const k = 65_536;
  const spec = { batch: 1, m: 1, k, n: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const ones = new Float32Array(k).fill(1);
  const idx = new Int32Array(70_000);

  it('matmul with k = 65,536 and a scatter-add list of 70,000 rows: right, or refused on GL', async () => {
    const be = await gpujs(mode);
    if (mode === 'headlessgl') {
      expect(() => be.matmul(be.upload(ones), be.upload(ones), spec)).toThrow(/65536 iterations.*65535/);
      expect(() => be.scatterAdd(be.upload(new Float32Array(70_000).fill(1)), 1, be.upload(idx), 1)).toThrow(/70000 iterations/);
      return;
    }
    const mm = await both(be, [ones, ones], (b, [x, y]) => b.matmul(x!, y!, spec));
    expectClose(mm.got, mm.want, 0, 0);
    const sa = await both(be, [new Float32Array(70_000).fill(1), idx], (b, [x, i]) => b.scatterAdd(x!, 1, i!, 1));
    expectClose(sa.got, sa.want, 0, 0);
    expectRanOn(be);
  });
});
