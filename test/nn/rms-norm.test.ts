import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { RMSNorm, randn, manualSeed } from '../../src/index.js';
import { gradcheckModule } from './helpers.js';

const dims = fc.record({ rows: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 5 }), seed: fc.nat() });

describe('RMSNorm', () => {
  test.prop([dims], { numRuns: 10 })('passes gradcheck (input, γ)', async ({ rows, d, seed }) => {
    manualSeed(seed);
    const n = new RMSNorm(d);
    n.loadStateDict({ weight: randn([d]) });
    const r = await gradcheckModule(n, [randn([rows, d])], (x) => n.forward(x));
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  test.prop([dims], { numRuns: 10 })('rows come out with mean square 1 and is scale invariant', async ({ rows, d, seed }) => {
    manualSeed(seed);
    const n = new RMSNorm(d, { eps: 1e-12 });
    const x = randn([rows, d]);
    const y = await n.forward(x).data();
    const y2 = await n.forward(x.mul(7.5)).data();
    const ms = await n.forward(x).square().mean(-1).data();
    for (const v of ms) expect(Math.abs(v - 1)).toBeLessThan(1e-4);
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i]! - y2[i]!)).toBeLessThan(1e-5);
  });

  test('bad input names the sizes', () => {
    expect(() => new RMSNorm(4).forward(randn([3]))).toThrow(/RMSNorm\(4\).*\[3\]/);
  });
});
