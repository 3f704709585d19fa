import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { Dropout, Generator, gradcheck, ones, randn } from '../../src/index.js';

describe('Dropout', () => {
  test.prop([fc.double({ min: 0.05, max: 0.9, noNaN: true }), fc.nat()], { numRuns: 10 })(
    'keeps a fraction 1 − p of the elements, scaled by 1/(1 − p), so the mean is preserved',
    async (p, seed) => {
      const n = 20000;
      const y = await new Dropout(p, { generator: new Generator(seed) }).forward(ones([n])).data();
      let kept = 0;
      for (const v of y) {
        if (v !== 0) {
          kept++;
          expect(v).toBeCloseTo(1 / (1 - p), 5);
        }
      }
      // Binomial(n, 1 − p): 5 standard deviations.
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * sd);
    },
  );

  test.prop([fc.double({ min: 0, max: 1, noNaN: true })], { numRuns: 10 })('is the identity in eval mode', async (p) => {
    const x = randn([3, 4]);
    const d = new Dropout(p).eval();
    expect(d.forward(x)).toBe(x);
  });

  test('the same seed draws the same mask; p = 0 and p = 1 are exact', async () => {
    const x = randn([50]);
    const a = await new Dropout(0.3, { generator: new Generator(7) }).forward(x).data();
    const b = await new Dropout(0.3, { generator: new Generator(7) }).forward(x).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(Array.from(await new Dropout(1).forward(x).data()).every((v) => v === 0)).toBe(true);
    expect(() => new Dropout(1.5)).toThrow(/p must be in \[0, 1\], got 1.5/);
  });

  test.prop([fc.double({ min: 0.1, max: 0.8, noNaN: true }), fc.nat()], { numRuns: 10 })(
    'passes gradcheck with a fixed mask (the gradient is mask/(1 − p))',
    async (p, seed) => {
      // A fresh generator per call: every evaluation of f draws the same mask.
      const f = (x: ReturnType<typeof randn>) => new Dropout(p, { generator: new Generator(seed) }).forward(x).square().sum();
      const r = await gradcheck(f, [randn([3, 4])]);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    },
  );
});
