import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { Linear, manualSeed, randn } from '../../src/index.js';
import { gradcheckModule } from './helpers.js';

describe('Linear', () => {
  test.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat()], { numRuns: 10 })(
    'passes gradcheck (input, W, b)',
    async (i, o, bias, seed) => {
      manualSeed(seed);
      const lin = new Linear(i, o, { bias });
      const r = await gradcheckModule(lin, [randn([2, 3, i])], (x) => lin.forward(x));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    },
  );

  test('bad input names the sizes', () => {
    expect(() => new Linear(3, 2).forward(randn([4, 5]))).toThrow(/Linear\(3→2\).*\[4, 5\]/);
    expect(() => new Linear(0, 2)).toThrow(/positive integers/);
  });
});
