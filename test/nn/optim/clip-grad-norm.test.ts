import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { clipGradNorm, tensor } from '../../../src/index.js';
import { f64, vals } from './helpers.js';

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
