/**
 * Creating and reading tensors: nested arrays and typed arrays, shape and
 * dtype inference, constants, ranges, seeded random draws, *Like variants,
 * toArray / data / item round trips.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  arange, defaultGenerator, fromData, full, fullLike, Generator, manualSeed, ones, onesLike, rand, randLike, randn, randnLike, tensor, zeros, zerosLike,
  type NestedArray,
} from '../../src/index.js';
import { shapeWithZero, sizeOf, tensorCase } from '../helpers/arbitraries.js';
import { expectShape, t64, vals } from '../helpers/tensors.js';

/** Nests a flat list into a shape (the independent inverse of flattening). */
function nestInto(data: readonly number[], shape: readonly number[]): NestedArray {
  if (shape.length === 0) return data[0]!;
  const [n, ...rest] = shape as [number, ...number[]];
  const step = sizeOf(rest);
  return Array.from({ length: n }, (_, i) => nestInto(data.slice(i * step, (i + 1) * step), rest));
}

describe('tensor()', () => {
  it('nested arrays round trip through toArray(), with the inferred shape (size-0 axes too)', async () => {
    await fc.assert(
      fc.asyncProperty(tensorCase(shapeWithZero({ minRank: 1, minDim: 1 })), async (c) => {
        const nested = nestInto(c.data, c.shape);
        const t = tensor(nested as never, { dtype: 'float64' });
        expectShape(t, c.shape);
        expect(await t.toArray()).toEqual(nested);
        expect(Array.from(await t.data())).toEqual(c.data);
      }),
      { numRuns: 100 },
    );
  });

  it('dtypes: float32 by default, typed arrays keep theirs, an explicit dtype converts', async () => {
    expect(tensor([1.1, 2]).dtype).toBe('float32');
    expect((await tensor([1.1, 2]).data()) instanceof Float32Array).toBe(true);
    expect(tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor(new Float64Array([1.5, 2]), { dtype: 'float32' }).dtype).toBe('float32');
    expect(vals(tensor([[1, 2], [3, 4]], { dtype: 'int32' }))).toEqual([1, 2, 3, 4]);
    expectShape(tensor(new Float32Array(6), { shape: [2, 3] }), [2, 3]);
    expectShape(tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }), [3, 2]);
    expectShape(tensor([[], []]), [2, 0]);
    expectShape(tensor([]), [0]);
  });

  it('scalars: rank 0, item() and toArray() give the number', async () => {
    const s = tensor(2.5);
    expectShape(s, []);
    expect(await s.item()).toBe(2.5);
    expect(await s.toArray()).toBe(2.5);
    expect(s.itemSync()).toBe(2.5);
  });

  it('requiresGrad and the backend option', () => {
    const t = tensor([1, 2], { requiresGrad: true, backend: 'cpu' });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(t.backend.name).toBe('cpu');
    expect(t.toString()).toBe('Tensor(shape=[2], dtype=float32, backend=cpu, requiresGrad)');
  });

  it('the tensor does not alias the caller\'s array', () => {
    const src = new Float64Array([1, 2, 3]);
    const t = tensor(src);
    src[0] = 99;
    expect(vals(t)).toEqual([1, 2, 3]);
  });
});

describe('constants, ranges, *Like', () => {
  it('zeros, ones, full and their *Like variants', () => {
    fc.assert(
      fc.property(shapeWithZero(), fc.integer({ min: -5, max: 5 }), fc.constantFrom('float32' as const, 'float64' as const, 'int32' as const), (s, v, dtype) => {
        const z = zeros(s, { dtype });
        expect(z.dtype).toBe(dtype);
        expectShape(z, s);
        expect(vals(z)).toEqual(new Array(sizeOf(s)).fill(0));
        expect(vals(ones(s, { dtype }))).toEqual(new Array(sizeOf(s)).fill(1));
        expect(vals(full(s, v, { dtype }))).toEqual(new Array(sizeOf(s)).fill(v));
        const like = zerosLike(full(s, v, { dtype }));
        expect(like.dtype).toBe(dtype);
        expectShape(like, s);
        expect(vals(onesLike(z))).toEqual(new Array(sizeOf(s)).fill(1));
        expect(vals(fullLike(z, 3))).toEqual(new Array(sizeOf(s)).fill(3));
        expect(zerosLike(z, { dtype: 'float64' }).dtype).toBe('float64');
      }),
      { numRuns: 50 },
    );
  });

  it('arange(start, end, step): int32 for integer arguments, float32 otherwise; empty when end ≤ start', () => {
    expect(vals(arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('int32');
    expect(vals(arange(2, 8, 3))).toEqual([2, 5]);
    expect(vals(arange(5, 0, -2))).toEqual([5, 3, 1]);
    expect(vals(arange(3, 3))).toEqual([]);
    expect(vals(arange(3, 1))).toEqual([]);
    expect(arange(0, 1, 0.25).dtype).toBe('float32');
    expect(vals(arange(0, 1, 0.25))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(0, 3, 1, { dtype: 'float64' }).dtype).toBe('float64');
  });
});

describe('seeded random draws', () => {
  it('manualSeed makes rand/randn reproducible; different seeds differ', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        manualSeed(seed);
        const a = vals(randn([16]));
        const b = vals(rand([16]));
        manualSeed(seed);
        expect(vals(randn([16]))).toEqual(a);
        expect(vals(rand([16]))).toEqual(b);
        manualSeed(seed + 1);
        expect(vals(randn([16]))).not.toEqual(a);
      }),
      { numRuns: 20 },
    );
  });

  it('rand is in [0, 1) and randn has mean ≈ 0, variance ≈ 1 (10⁴ draws)', () => {
    const g = new Generator(42);
    const u = vals(rand([10000], { generator: g, dtype: 'float64' }));
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / u.length - 0.5)).toBeLessThan(0.02);
    const n = vals(randn([10000], { generator: g, dtype: 'float64' }));
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const variance = n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('a Generator\'s state can be saved and restored (mid-way through a normal pair too)', () => {
    const g = new Generator(9);
    g.normal();
    const state = g.getState();
    const next = [g.normal(), g.normal(), g.uniform()];
    g.setState(state);
    expect([g.normal(), g.normal(), g.uniform()]).toEqual(next);
  });

  it('randLike / randnLike take shape, dtype and backend from the tensor; the default generator is what manualSeed seeds', () => {
    const t = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = randLike(t);
    expectShape(r, [2, 3]);
    expect(r.dtype).toBe('float64');
    expect(randnLike(t, { dtype: 'float32' }).dtype).toBe('float32');
    manualSeed(5);
    const a = defaultGenerator.uniform();
    manualSeed(5);
    expect(vals(rand([1], { dtype: 'float64' }))).toEqual([a]);
  });

  it('fromData wraps a typed array of the right dtype without copying semantics leaking', () => {
    const t = fromData(new Int32Array([3, 1, 2]), [3]);
    expect(t.dtype).toBe('int32');
    expect(vals(t.argmax().unsqueeze(0))).toEqual([0]);
  });
});

describe('reading values', () => {
  it('data() and dataSync() return a copy: writing to it never changes the tensor (or tensors sharing its buffer)', async () => {
    const x = t64([1, 2, 3, 4], [2, 2]);
    const view = x.reshape([4]);
    const d = await x.data();
    d[0] = 100;
    x.dataSync()[1] = 100;
    expect(vals(x)).toEqual([1, 2, 3, 4]);
    expect(vals(view)).toEqual([1, 2, 3, 4]);
  });
});
