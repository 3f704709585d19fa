import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { SGD, warmupCosine, LrScheduler, tensor } from '../../../src/index.js';

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
