import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { LayerNorm, randn, manualSeed, tensor } from '../../src/index.js';
import { gradcheckModule } from './helpers.js';

const dims = fc.record({ rows: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 5 }), seed: fc.nat() });

describe('LayerNorm', () => {
  test.prop([dims], { numRuns: 10 })('passes gradcheck (input, γ, β)', async ({ rows, d, seed }) => {
    manualSeed(seed);
    const ln = new LayerNorm(d);
    // Random γ, β so the check is not at the special point γ=1, β=0.
    ln.loadStateDict({ weight: randn([d]), bias: randn([d]) });
    const r = await gradcheckModule(ln, [randn([rows, 2, d])], (x) => ln.forward(x));
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  test.prop([dims], { numRuns: 10 })('rows come out with mean 0 and variance 1 before the affine part', async ({ rows, d, seed }) => {
    manualSeed(seed);
    const y = new LayerNorm(d + 1, { eps: 1e-12 }).forward(randn([rows, d + 1]).mul(3).add(5));
    const m = await y.mean(-1).data();
    const v = await y.variance(-1).data();
    for (const x of m) expect(Math.abs(x)).toBeLessThan(1e-5);
    for (const x of v) expect(Math.abs(x - 1)).toBeLessThan(1e-4);
  });

  test('matches a hand computation', async () => {
    const ln = new LayerNorm(2, { eps: 0 + 1e-5 });
    const y = await ln.forward(tensor([[1, 3]])).data();
    const s = Math.sqrt(1 + 1e-5);
    expect(y[0]).toBeCloseTo(-1 / s, 6);
    expect(y[1]).toBeCloseTo(1 / s, 6);
  });

  test('bad input names the sizes', () => {
    expect(() => new LayerNorm(4).forward(randn([2, 3]))).toThrow(/LayerNorm\(4\).*\[2, 3\]/);
    expect(() => new LayerNorm(4, { eps: -1 })).toThrow(/eps/);
    expect(() => new LayerNorm(0)).toThrow(/positive integer/);
  });

  test('without affine it has no parameters', () => {
    expect(new LayerNorm(3, { elementwiseAffine: false }).numParameters()).toBe(0);
    expect(new LayerNorm(3, { bias: false }).numParameters()).toBe(3);
  });
});
