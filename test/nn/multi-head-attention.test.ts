import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { MultiHeadAttention, KvCache, randn, manualSeed, cat, tensor, type Tensor } from '../../src/index.js';
import { gradcheckModule, maxAbsDiff } from './helpers.js';

/**
 * A loop-by-loop reference on the host, in float64: per batch, head and
 * query, softmax over the keys it may see, with rotary by its definition.
 */
async function naive(mha: MultiHeadAttention, x: Tensor): Promise<number[]> {
  const [B, S, dm] = x.shape as [number, number, number];
  const { nHeads: H, nKvHeads: Hk, headDim: D } = mha;
  const X = await x.data();
  const [Wq, Wk, Wv, Wo] = (await Promise.all([mha.wq, mha.wk, mha.wv, mha.wo].map((l) => l.weight.data()))) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const proj = (W: ArrayLike<number>, cols: number, b: number, t: number): number[] =>
    Array.from({ length: cols }, (_, c) => Array.from({ length: dm }, (_, i) => X[(b * S + t) * dm + i]! * W[i * cols + c]!).reduce((p, q) => p + q, 0));
  const rot = (v: number[], t: number): number[] => {
    if (mha.positional === 'none') return v;
    const h = D / 2;
    return v.map((_, i) => {
      const j = i % h;
      const a = t * Math.pow(10000, (-2 * j) / D);
      return i < h ? v[i]! * Math.cos(a) - v[i + h]! * Math.sin(a) : v[i]! * Math.cos(a) + v[i - h]! * Math.sin(a);
    });
  };
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const qs = Array.from({ length: S }, (_, t) => proj(Wq, H * D, b, t));
    const ks = Array.from({ length: S }, (_, t) => proj(Wk, Hk * D, b, t));
    const vs = Array.from({ length: S }, (_, t) => proj(Wv, Hk * D, b, t));
    for (let t = 0; t < S; t++) {
      const concat: number[] = [];
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / (H / Hk));
        const q = rot(qs[t]!.slice(h * D, (h + 1) * D), t);
        const scores = Array.from({ length: t + 1 }, (_, j) => {
          const k = rot(ks[j]!.slice(g * D, (g + 1) * D), j);
          return q.reduce((s, v, i) => s + v * k[i]!, 0) / Math.sqrt(D);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((p, q) => p + q, 0);
        for (let i = 0; i < D; i++) concat.push(e.reduce((s, w, j) => s + (w / z) * vs[j]![g * D + i]!, 0));
      }
      for (let c = 0; c < dm; c++) out.push(concat.reduce((s, v, i) => s + v * Wo[i * dm + c]!, 0));
    }
  }
  return out;
}

const config = fc.record({
  nKvHeads: fc.integer({ min: 1, max: 2 }),
  groups: fc.integer({ min: 1, max: 2 }),
  headDim: fc.constantFrom(2, 4),
  b: fc.integer({ min: 1, max: 2 }),
  s: fc.integer({ min: 1, max: 4 }),
  rotary: fc.boolean(),
  seed: fc.nat(),
});

function build(c: { nKvHeads: number; groups: number; headDim: number; rotary: boolean }, dModel = 6): MultiHeadAttention {
  return new MultiHeadAttention({ dModel, nHeads: c.nKvHeads * c.groups, nKvHeads: c.nKvHeads, headDim: c.headDim, positional: c.rotary ? 'rotary' : 'none' });
}

describe('MultiHeadAttention', () => {
  test.prop([config], { numRuns: 15 })('equals a naive per-head loop (GQA, rotary or none)', async (c) => {
    manualSeed(c.seed);
    const mha = build(c);
    const x = randn([c.b, c.s, 6]);
    const y = mha.forward(x);
    expect(y.shape).toEqual([c.b, c.s, 6]);
    expect(maxAbsDiff(await y.data(), await naive(mha, x))).toBeLessThan(1e-4);
  });

  test.prop([config], { numRuns: 10 })('causal: the output at t ignores tokens after t', async (c) => {
    manualSeed(c.seed);
    const mha = build(c);
    const t = c.s - 1 === 0 ? 0 : c.seed % c.s;
    const x = randn([c.b, c.s, 6]);
    const changed = c.s - 1 > t ? cat([x.slice(1, 0, t + 1), randn([c.b, c.s - t - 1, 6])], 1) : x;
    const a = await mha.forward(x).slice(1, 0, t + 1).data();
    const b = await mha.forward(changed).slice(1, 0, t + 1).data();
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
  });

  test.prop([config], { numRuns: 10 })('GQA equals standard MHA whose K/V heads are the shared heads repeated', async (c) => {
    manualSeed(c.seed);
    const gqa = build(c);
    const mha = build({ ...c, nKvHeads: c.nKvHeads * c.groups, groups: 1 });
    const repeatHeads = (w: Tensor): Tensor => {
      const heads = Array.from({ length: c.nKvHeads * c.groups }, (_, h) => w.slice(1, Math.floor(h / c.groups) * c.headDim, (Math.floor(h / c.groups) + 1) * c.headDim));
      return cat(heads, 1);
    };
    mha.loadStateDict({
      'wq.weight': gqa.wq.weight, 'wo.weight': gqa.wo.weight,
      'wk.weight': repeatHeads(gqa.wk.weight), 'wv.weight': repeatHeads(gqa.wv.weight),
    });
    const x = randn([c.b, c.s, 6]);
    expect(maxAbsDiff(await gqa.forward(x).data(), await mha.forward(x).data())).toBeLessThan(1e-5);
  });

  test.prop([fc.boolean(), fc.boolean(), fc.nat()], { numRuns: 10 })('passes gradcheck (input and all four projections)', async (rotary, bias, seed) => {
    manualSeed(seed);
    const mha = new MultiHeadAttention({ dModel: 4, nHeads: 2, nKvHeads: 1, positional: rotary ? 'rotary' : 'none', bias });
    const r = await gradcheckModule(mha, [randn([1, 3, 4])], (x) => mha.forward(x));
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  test.prop([config], { numRuns: 10 })('a KV cache fed token by token gives the full forward pass', async (c) => {
    manualSeed(c.seed);
    const mha = build(c);
    const x = randn([c.b, c.s, 6]);
    const cache = new KvCache();
    const steps = Array.from({ length: c.s }, (_, t) => mha.forward(x.slice(1, t, t + 1), cache));
    expect(cache.length).toBe(c.s);
    expect(maxAbsDiff(await cat(steps, 1).data(), await mha.forward(x).data())).toBeLessThan(1e-5);
  });

  test('bad configurations and inputs are named', () => {
    expect(() => new MultiHeadAttention({ dModel: 6, nHeads: 4 })).toThrow(/dModel 6 is not divisible by nHeads 4/);
    expect(() => new MultiHeadAttention({ dModel: 8, nHeads: 4, nKvHeads: 3 })).toThrow(/nKvHeads 3 must divide nHeads 4/);
    expect(() => new MultiHeadAttention({ dModel: 6, nHeads: 2 })).toThrow(/even headDim, got 3/);
    expect(() => new MultiHeadAttention({ dModel: 8, nHeads: 2 }).forward(randn([2, 8]))).toThrow(/\[B, S, 8\], got \[2, 8\]/);
    expect(new MultiHeadAttention({ dModel: 6, nHeads: 2, positional: 'none' }).forward(tensor([[[1, 2, 3, 4, 5, 6]]])).shape).toEqual([1, 1, 6]);
  });
});
