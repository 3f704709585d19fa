/**
 * Views a matmul reads in place (src/tensor/matmul-views.ts): a permuted,
 * sliced or expanded operand is described by strides and never copied, on
 * every backend, and the product equals the naive one. Where strides cannot
 * describe the view, it is copied as before and the answer is the same.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bmm, fromData, getBackend, gradcheck, realize, setBackend, type Tensor } from '../../src/index.js';
import { matmulLaunch } from '../../src/tensor/matmul-views.js';
import { ALL_BACKENDS, isSoftwareGpu, startBackends } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import * as naive from '../helpers/naive.js';

const backends = await startBackends(ALL_BACKENDS);

const ramp = (n: number, seed = 0): number[] => Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 11) - 5) / 4);

/** The launch plan realize() would use for the matmul that made `t`. */
function planOf(t: Tensor) {
  const op = t.lazy.op;
  if (op?.kind !== 'matmul') throw new Error(`expected a pending matmul, got ${op?.kind}`);
  return matmulLaunch(t.lazy, op.spec);
}

describe('the launch plan', () => {
  it("attention's head split [B, S, H, D] → [B·H, S, D] is a batch of two axes, rows H·D apart", () => {
    const [B, S, H, D] = [2, 3, 4, 5];
    const x = fromData(new Float32Array(B * S * H * D), [B, S, H, D]);
    const q = x.transpose(1, 2).reshape([B * H, S, D]);
    const k = fromData(new Float32Array(B * S * H * D), [B, S, H, D]).transpose(1, 2).reshape([B * H, S, D]);
    const plan = planOf(bmm(q, k, false, true)); // Q·Kᵀ
    expect(plan.spec.strides).toEqual({
      batchShape: [B, H],
      a: { offset: 0, batch: [S * H * D, D], row: H * D, col: 1 },
      b: { offset: 0, batch: [S * H * D, D], row: 1, col: H * D }, // Kᵀ: p runs along K's columns
    });
    expect(plan.a).toBe(x.lazy);
  });

  it('a slice reads from its offset; an expanded batch has stride 0; a realized operand is read as it is', () => {
    const w = fromData(new Float32Array(4 * 6), [4, 6]);
    const a = fromData(new Float32Array(3 * 5 * 4), [3, 5, 4]).slice(1, 1, 4); // [3, 3, 4], rows 4 apart, from element 4
    const plan = planOf(bmm(a, w.slice(1, 2, 5).reshape([1, 4, 3])));
    expect(plan.spec.strides).toEqual({
      batchShape: [3],
      a: { offset: 4, batch: [20], row: 4, col: 1 },
      b: { offset: 2, batch: [0], row: 6, col: 1 },
    });
    const w2 = fromData(new Float32Array(4 * 3), [1, 4, 3]);
    const plan2 = planOf(bmm(a, w2));
    expect(plan2.b).toBe(w2.lazy);
    expect(plan2.spec.strides?.b).toEqual({ offset: 0, batch: [0], row: 3, col: 1 });
  });

  it('falls back to a copy where strides cannot describe the view: padding, or batch splits that do not nest', () => {
    const padded = fromData(new Float32Array(6), [1, 2, 3]).pad([[0, 0], [1, 0]]);
    expect(planOf(bmm(padded, fromData(new Float32Array(3 * 2), [1, 3, 2]))).spec.strides).toBeUndefined();
    // A's batch of 6 splits as [2, 3] (a permute), B's as [3, 2]: no common split.
    const a = fromData(new Float32Array(3 * 2 * 1 * 1), [3, 2, 1, 1]).permute([1, 0, 2, 3]).reshape([6, 1, 1]);
    const b = fromData(new Float32Array(2 * 3), [2, 3, 1, 1]).permute([1, 0, 2, 3]).reshape([6, 1, 1]);
    expect(planOf(bmm(a, b)).spec.strides).toBeUndefined();
  });
});

/** A 4-D operand stored [d0..d3], permuted by `perm`, sliced on one axis, then read as [N, R, C] (the first two axes the batch). */
interface ViewCase {
  dims: number[];
  perm: number[];
  slice: [axis: number, start: number] | null;
  trans: boolean;
  n: number;
}

const viewCase: fc.Arbitrary<ViewCase> = fc.record({
  dims: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  perm: fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }),
  slice: fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 })), { nil: null }),
  trans: fc.boolean(),
  n: fc.integer({ min: 1, max: 3 }),
});

/** The view on a backend, and the same elements on the host. */
function build(c: ViewCase): { view: Tensor; host: naive.Arr } {
  const data = ramp(c.dims.reduce((p, d) => p * d, 1), c.n);
  let view = fromData(Float32Array.from(data), c.dims).permute(c.perm);
  let host = naive.permute({ shape: c.dims, data }, c.perm);
  if (c.slice && view.shape[c.slice[0]]! > c.slice[1]) {
    const [axis, start] = c.slice;
    view = view.slice(axis, start);
    host = sliced(host, axis, start);
  }
  return { view, host };
}

function sliced(x: naive.Arr, axis: number, start: number): naive.Arr {
  const shape = x.shape.map((d, i) => (i === axis ? d - start : d));
  const data = Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, o) => {
    const idx = naive.unravel(o, shape);
    idx[axis]! += start;
    return x.data[naive.ravel(idx, x.shape)]!;
  });
  return { shape, data };
}

describe('gradients through a view read in place', () => {
  it('pass gradcheck: autograd still differentiates the view, the launch only reads it where it lies', async () => {
    const [B, S, H, D] = [2, 3, 2, 2];
    const x = fromData(Float64Array.from(ramp(B * S * H * D, 2)), [B, S, H, D], { requiresGrad: true });
    const w = fromData(Float64Array.from(ramp(B * H * D * 3, 5)), [B * H, 3, D], { requiresGrad: true });
    const heads = (t: Tensor) => t.transpose(1, 2).reshape([B * H, S, D]);
    expect(planOf(bmm(heads(x), w, false, true)).spec.strides).toBeDefined();
    const r = await gradcheck((t, v) => bmm(heads(t), heads(t), false, true).tanh().sum().add(bmm(heads(t), v, false, true).sum()), [x, w]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});

describe.each(backends)('views read in place on %s', (name) => {
  beforeEach(async () => {
    await setBackend(name);
    expect(getBackend().name).toBe(name);
  });
  afterEach(async () => {
    await setBackend('cpu');
  });

  it('a permuted, sliced [B, H, S, D] times a contiguous operand equals the naive product, and the view is never copied when strides describe it', async () => {
    await fc.assert(
      fc.asyncProperty(viewCase, async (c) => {
        const { view, host } = build(c);
        const [b0, b1, r, k] = view.shape as [number, number, number, number];
        const a = view.reshape([b0 * b1, r, k]);
        const w = ramp(b0 * b1 * k * c.n, 3);
        // Stored [N, n, k] and read transposed, or stored [N, k, n].
        const other = c.trans ? fromData(Float32Array.from(w), [b0 * b1, c.n, k]) : fromData(Float32Array.from(w), [b0 * b1, k, c.n]);
        const out = bmm(a, other, false, c.trans);
        const folds = planOf(out).spec.strides !== undefined;
        await realize(out);
        expect(out.backend.name).toBe(name);
        const hostB: naive.Arr = c.trans ? naive.permute({ shape: [b0 * b1, c.n, k], data: w }, [0, 2, 1]) : { shape: [b0 * b1, k, c.n], data: w };
        const want = naive.matmul({ shape: [b0 * b1, r, k], data: host.data }, hostB);
        expectClose(await out.data(), want.data, 1e-5, 1e-5);
        // Described by strides: read in place, the view itself never realized.
        if (folds) expect(view.lazy.isRealized).toBe(false);
        return true;
      }),
      { numRuns: isSoftwareGpu(name) ? 8 : 40 },
    );
  });

  it('a view another consumer realizes first (a KV cache write) is read from its own buffer; the same product from sources of other sizes', async () => {
    const [B, S, H, D] = [2, 2, 2, 3];
    const x = fromData(Float32Array.from(ramp(B * S * H * D, 4)), [B, S, H, D]);
    const v = x.transpose(1, 2); // [B, H, S, D]
    const k = fromData(Float32Array.from(ramp(B * H * S * D, 6)), [B * H, S, D]);
    const copy = fromData(await v.reshape([B * H, S, D]).data(), [B * H, S, D]);
    const want = await bmm(copy, k, false, true).data();
    // In one of the two orders the other consumer realizes v after the product was planned to read it in place.
    for (const first of [true, false]) {
      const view = x.transpose(1, 2);
      const twice = view.mul(2);
      const product = bmm(view.reshape([B * H, S, D]), k, false, true);
      await (first ? realize(twice, product) : realize(product, twice));
      expectClose(await product.data(), want, 1e-5, 1e-5);
    }
    // Equal specs, sources of 12 and 24 rows: each is its own kernel where a kernel is compiled per input size (gpu.js).
    for (const rows of [12, 24]) {
      const src = fromData(Float32Array.from(ramp(rows * 2, rows)), [rows, 2]);
      const a = src.slice(0, 1, 5).reshape([1, 4, 2]);
      const got = await bmm(a, fromData(Float32Array.from([1, 2, 3, 4]), [1, 2, 2])).data();
      const rowsOf = (await src.data()).slice(2, 10);
      const want = naive.matmul({ shape: [4, 2], data: [...rowsOf] }, { shape: [2, 2], data: [1, 2, 3, 4] });
      expectClose(got, want.data, 1e-5, 1e-5);
    }
  });

  it('a spec whose strides reach past an operand is refused, naming the reach and the buffer', async () => {
    const be = getBackend();
    const buf = be.upload(new Float32Array(6));
    const strides = { batchShape: [2], a: { offset: 0, batch: [3], row: 3, col: 1 }, b: { offset: 0, batch: [0], row: 3, col: 1 } };
    // A as 2 matrices [2, 3] three apart reaches element 3 + 3 + 2 = 8 of 6.
    expect(() => be.matmul(buf, buf, { batch: 2, m: 2, k: 3, n: 1, transA: false, transB: false, aBatchStride: 6, bBatchStride: 0, strides })).toThrow(/left operand's strides reach elements 0…8, outside its buffer of 6/);
    be.dispose(buf);
  });

  it("attention's head split is read in place for q·kᵀ and equals the product of a copy", async () => {
    const [B, S, H, D] = [2, 3, 2, 4];
    const x = fromData(Float32Array.from(ramp(B * S * H * D, 1)), [B, S, H, D]);
    const heads = x.transpose(1, 2); // [B, H, S, D]
    const q = heads.reshape([B * H, S, D]);
    const scores = bmm(q, q, false, true);
    expect(planOf(scores).spec.strides?.batchShape).toEqual([B, H]);
    await realize(scores);
    expect(heads.lazy.isRealized).toBe(false);
    const copy = fromData(await x.transpose(1, 2).reshape([B * H, S, D]).data(), [B * H, S, D]);
    expectClose(await scores.data(), await bmm(copy, copy, false, true).data(), 1e-5, 1e-5);
  });
});
