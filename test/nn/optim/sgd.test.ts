import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { SGD, tensor } from '../../../src/index.js';
import { maxAbsDiff } from '../helpers.js';
import { f64, runSteps, steps, vals } from './helpers.js';

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
