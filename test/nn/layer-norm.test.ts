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
    const n = d + 1;
    const input = randn([rows, n]).mul(3).add(5);
    const y = new LayerNorm(n, { eps: 1e-12 }).forward(input);
    const m = await y.mean(-1).data();
    const v = await y.variance(-1).data();
    const xs = await input.data();
    for (let r = 0; r < rows; r++) {
      // float32 centring loses about 2⁻²⁴·max|x| per value, which the division by σ magnifies:
      // a row whose values nearly coincide (σ ≪ |x|) is ill-conditioned, and the bound says so.
      const row = Array.from(xs.subarray(r * n, (r + 1) * n));
      const mu = row.reduce((a, b) => a + b, 0) / n;
      const sigma = Math.sqrt(row.reduce((a, b) => a + (b - mu) ** 2, 0) / n);
      const cond = (8 * 2 ** -24 * Math.max(...row.map(Math.abs))) / sigma;
      expect(Math.abs(m[r]!)).toBeLessThan(1e-5 + cond);
      expect(Math.abs(v[r]! - 1)).toBeLessThan(1e-4 + 4 * cond);
    }
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
