import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { AdamW, Linear, Sequential, GELU, clipGradNorm, crossEntropy, tensor, randn, manualSeed } from '../../../src/index.js';
import { maxAbsDiff } from '../helpers.js';
import { f64, runSteps, steps, vals } from './helpers.js';

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
