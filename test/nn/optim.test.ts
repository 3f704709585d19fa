import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import {
  AdamW, SGD, clipGradNorm, warmupCosine, LrScheduler, Linear, Sequential, GELU, crossEntropy,
  tensor, randn, manualSeed, type Tensor,
} from '../../src/index.js';
import { maxAbsDiff } from './helpers.js';

const f64 = { dtype: 'float64', backend: 'cpu' } as const;
const vals = (n: number) => fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n });
/** A few steps: a gradient and a learning rate per step. */
const steps = (n: number) => fc.array(fc.record({ g: vals(n), lr: fc.double({ min: 1e-4, max: 0.5, noNaN: true }) }), { minLength: 1, maxLength: 5 });

async function runSteps(opt: { lr: number; step(): void }, p: Tensor, seq: { g: number[]; lr: number }[]): Promise<number[]> {
  for (const { g, lr } of seq) {
    p.grad = tensor(g, f64);
    opt.lr = lr;
    opt.step();
  }
  return Array.from(await p.data());
}

describe('AdamW', () => {
  test.prop([vals(3), steps(3), fc.constantFrom(0, 0.01, 0.3), fc.constantFrom(0.9, 0.5), fc.constantFrom(0.999, 0.9)], { numRuns: 20 })(
    "equals PyTorch's formula computed by hand",
    async (p0, seq, wd, b1, b2) => {
      const eps = 1e-8;
      const p = tensor(p0, { ...f64, requiresGrad: true });
      const got = await runSteps(new AdamW([p], { weightDecay: wd, betas: [b1, b2], eps }), p, seq);
      // The reference: torch.optim.AdamW's single-tensor loop, element by element.
      const want = [...p0];
      const m = p0.map(() => 0);
      const v = p0.map(() => 0);
      seq.forEach(({ g, lr }, s) => {
        const t = s + 1;
        for (let i = 0; i < want.length; i++) {
          want[i]! *= 1 - lr * wd;
          m[i]! += (g[i]! - m[i]!) * (1 - b1);
          v[i] = v[i]! * b2 + (1 - b2) * g[i]! * g[i]!;
          const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
          want[i]! -= (lr / (1 - b1 ** t)) * (m[i]! / denom);
        }
      });
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
    },
  );

  test('the first step moves every coordinate by lr·sign(g) (bias correction)', async () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    p.grad = tensor([0.5, -2, 1e-3]);
    new AdamW([p], { lr: 0.1, weightDecay: 0 }).step();
    const got = await p.data();
    [0.9, 2.1, 2.9].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 4));
  });

  test('parameters without gradients are left alone; groups set their own weight decay', async () => {
    const a = tensor([1, 1], { requiresGrad: true });
    const b = tensor([1, 1], { requiresGrad: true });
    const c = tensor([1, 1], { requiresGrad: true });
    const opt = new AdamW([{ params: [a] }, { params: [b, c], weightDecay: 0 }], { lr: 0.1, weightDecay: 0.5 });
    a.grad = tensor([0, 0]);
    b.grad = tensor([0, 0]);
    opt.step();
    expect(Array.from(await a.data())).toEqual([0.949999988079071, 0.949999988079071]);
    expect(Array.from(await b.data())).toEqual([1, 1]);
    expect(Array.from(await c.data())).toEqual([1, 1]);
    expect(opt.stateDict().steps).toEqual([1, 1, 0]);
  });

  test('bad hyperparameters are named', () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => new AdamW([p], { betas: [1, 0.9] })).toThrow(/betas\[0\] must be in \[0, 1\), got 1/);
    expect(() => new AdamW([p], { lr: -1 })).toThrow(/lr must be in \[0, Infinity\], got -1/);
    expect(() => new AdamW([tensor([1])])).toThrow(/does not require grad/);
    expect(() => new AdamW([])).toThrow(/empty/);
    expect(() => new AdamW([p, p])).toThrow(/twice/);
  });
});

describe('SGD', () => {
  test.prop([vals(3), steps(3), fc.constantFrom(0, 0.9), fc.constantFrom(0, 0.1), fc.constantFrom(0, 0.01), fc.boolean()], { numRuns: 20 })(
    "equals PyTorch's formula computed by hand (momentum, dampening, weight decay, nesterov)",
    async (p0, seq, momentum, dampening0, wd, nesterov0) => {
      const nesterov = nesterov0 && momentum > 0;
      const dampening = nesterov ? 0 : dampening0;
      const p = tensor(p0, { ...f64, requiresGrad: true });
      const got = await runSteps(new SGD([p], { momentum, dampening, weightDecay: wd, nesterov }), p, seq);
      const want = [...p0];
      let buf: number[] | null = null;
      for (const { g, lr } of seq) {
        let d = g.map((x, i) => x + wd * want[i]!);
        if (momentum !== 0) {
          const b: number[] = buf ? buf.map((x, i) => momentum * x + (1 - dampening) * d[i]!) : [...d];
          buf = b;
          d = nesterov ? d.map((x, i) => x + momentum * b[i]!) : b;
        }
        d.forEach((x, i) => (want[i]! -= lr * x));
      }
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
    },
  );

  test('nesterov needs momentum', () => {
    expect(() => new SGD([tensor([1], { requiresGrad: true })], { nesterov: true })).toThrow(/nesterov needs momentum > 0/);
  });
});

describe('clipGradNorm', () => {
  test.prop([vals(4), vals(3), fc.double({ min: 0.01, max: 10, noNaN: true })], { numRuns: 20 })(
    'returns the global norm and scales the gradients to at most maxNorm',
    async (g1, g2, maxNorm) => {
      const a = tensor([0, 0, 0, 0], { ...f64, requiresGrad: true });
      const b = tensor([0, 0, 0], { ...f64, requiresGrad: true });
      const c = tensor([0], { ...f64, requiresGrad: true });
      a.grad = tensor(g1, f64);
      b.grad = tensor(g2, f64);
      const norm = await clipGradNorm([a, b, c], maxNorm).item();
      const want = Math.hypot(...g1, ...g2);
      expect(norm).toBeCloseTo(want, 10);
      const after = Math.hypot(...(await a.grad.data()), ...(await b.grad!.data()));
      const scale = Math.min(1, maxNorm / (want + 1e-6));
      expect(after).toBeCloseTo(want * scale, 10);
      expect(after).toBeLessThanOrEqual(maxNorm + 1e-9);
      expect(c.grad).toBeNull();
      // Direction is kept.
      const ga = await a.grad.data();
      g1.forEach((x, i) => expect(ga[i]).toBeCloseTo(x * scale, 10));
    },
  );

  test('bad maxNorm is named', () => {
    expect(() => clipGradNorm([], 0)).toThrow(/maxNorm must be a positive finite number, got 0/);
  });
});

describe('warmupCosine', () => {
  const opts = fc.record({ warmup: fc.integer({ min: 0, max: 50 }), extra: fc.integer({ min: 1, max: 200 }), lrMax: fc.double({ min: 1e-5, max: 1, noNaN: true }), frac: fc.double({ min: 0, max: 1, noNaN: true }) });

  test.prop([opts], { numRuns: 20 })('rises linearly from 0 to lrMax, then falls along a cosine to lrMin and stays', ({ warmup, extra, lrMax, frac }) => {
    const total = warmup + extra;
    const lrMin = lrMax * frac;
    const f = warmupCosine({ warmup, total, lrMax, lrMin });
    if (warmup > 0) expect(f(0)).toBe(0);
    for (let s = 0; s < warmup; s++) expect(f(s)).toBeCloseTo((lrMax * s) / warmup, 12);
    expect(f(warmup)).toBeCloseTo(lrMax, 12);
    for (let s = warmup; s < total; s++) expect(f(s + 1)).toBeLessThanOrEqual(f(s) + 1e-15);
    const mid = warmup + extra / 2;
    expect(f(mid)).toBeCloseTo((lrMax + lrMin) / 2, 10);
    expect(f(total)).toBeCloseTo(lrMin, 12);
    expect(f(total + 100)).toBe(lrMin);
  });

  test('LrScheduler sets the optimizer rate each step and resumes', () => {
    const p = tensor([1], { requiresGrad: true });
    const opt = new SGD([p], { lr: 1 });
    const f = warmupCosine({ warmup: 2, total: 10, lrMax: 0.1 });
    const sch = new LrScheduler(opt, f);
    expect(opt.lr).toBe(0);
    sch.step();
    expect(opt.lr).toBeCloseTo(0.05, 12);
    sch.step();
    sch.step();
    const again = new LrScheduler(opt, f);
    again.loadStateDict(sch.stateDict());
    expect(opt.lr).toBe(f(3));
    expect(() => warmupCosine({ warmup: 5, total: 3, lrMax: 1 })).toThrow(/total must be an integer ≥ warmup \(5\), got 3/);
  });
});

describe('optimizer state', () => {
  test.prop([fc.nat(), fc.boolean()], { numRuns: 10 })('stateDict round trip continues the same trajectory exactly', async (seed, adam) => {
    manualSeed(seed);
    const make = (ps: Tensor[]) => (adam ? new AdamW(ps, { lr: 0.05 }) : new SGD(ps, { lr: 0.05, momentum: 0.9 }));
    const a = randn([2, 3], { requiresGrad: true });
    const grads = Array.from({ length: 6 }, () => randn([2, 3]));
    const optA = make([a]);
    for (const g of grads.slice(0, 3)) { a.grad = g; optA.step(); }
    const b = tensor(await a.data(), { shape: [2, 3], requiresGrad: true });
    const optB = make([b]);
    optB.loadStateDict(optA.stateDict());
    for (const g of grads.slice(3)) {
      a.grad = g; optA.step();
      b.grad = g; optB.step();
    }
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
  });

  test('loadStateDict errors name the slot and both shapes', () => {
    const p = randn([2, 3], { requiresGrad: true });
    const opt = new AdamW([p]);
    p.grad = randn([2, 3]);
    opt.step();
    const s = opt.stateDict();
    const other = new AdamW([randn([3, 2], { requiresGrad: true })]);
    expect(() => other.loadStateDict(s)).toThrow(/'0\.expAvg' has shape \[2, 3\] in the state but its parameter has shape \[3, 2\]/);
    expect(() => new AdamW([p, randn([1], { requiresGrad: true })]).loadStateDict(s)).toThrow(/state has 1 parameters, the optimizer has 2/);
    expect(() => opt.loadStateDict({ ...s, slots: { ...s.slots, '7.expAvg': randn([1]) } })).toThrow(/unexpected slot '7\.expAvg'/);
  });
});

describe('training', () => {
  test.prop([fc.nat()], { numRuns: 10 })('a tiny MLP fits a small classification task with AdamW', async (seed) => {
    manualSeed(seed);
    const net = new Sequential(new Linear(4, 16), new GELU(), new Linear(16, 3));
    const x = randn([24, 4]);
    // Labels from a fixed rule on the inputs, so the task is learnable.
    const xs = await x.data();
    const y = tensor(Array.from({ length: 24 }, (_, i) => (xs[i * 4]! > 0 ? 1 : 0) + (xs[i * 4 + 1]! > 0.5 ? 1 : 0)), { dtype: 'int32' });
    const opt = new AdamW(net.parameters(), { lr: 0.03, weightDecay: 0 });
    const losses: number[] = [];
    for (let s = 0; s < 60; s++) {
      opt.zeroGrad();
      const loss = crossEntropy(net.forward(x), y);
      loss.backward();
      clipGradNorm(net.parameters(), 5);
      opt.step();
      losses.push(await loss.item());
    }
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.5);
  });
});
