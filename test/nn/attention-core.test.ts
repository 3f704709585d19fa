import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { causalAttention, causalMask, repeatKv, gradcheck, randn, manualSeed } from '../../src/index.js';
import { maxAbsDiff } from './helpers.js';

const dims = fc.record({
  b: fc.integer({ min: 1, max: 2 }),
  hkv: fc.integer({ min: 1, max: 2 }),
  groups: fc.integer({ min: 1, max: 2 }),
  s: fc.integer({ min: 1, max: 4 }),
  d: fc.integer({ min: 1, max: 3 }),
  seed: fc.nat(),
});

describe('causalMask', () => {
  test.prop([fc.integer({ min: 1, max: 5 }), fc.nat(3)], { numRuns: 10 })('query i sees key j exactly when j ≤ i + (Sk − S)', async (s, past) => {
    const sk = s + past;
    const m = await causalMask(s, randn([1]), sk).data();
    for (let i = 0; i < s; i++) for (let j = 0; j < sk; j++) expect(m[i * sk + j]).toBe(j <= i + past ? 0 : -Infinity);
    expect(() => causalMask(3, randn([1]), 2)).toThrow(/2 keys cannot serve 3 queries/);
  });
});

describe('causalAttention', () => {
  test.prop([dims], { numRuns: 10 })('passes gradcheck in q, k and v (grouped-query)', async ({ b, hkv, groups, s, d, seed }) => {
    manualSeed(seed);
    const r = await gradcheck(
      (q, k, v) => causalAttention(q, k, v).square().sum(),
      [randn([b, hkv * groups, s, d]), randn([b, hkv, s, d]), randn([b, hkv, s, d])],
    );
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  test.prop([dims, fc.integer({ min: 1, max: 3 })], { numRuns: 10 })(
    'the last S queries over Sk cached keys equal the last S rows of attention over the whole sequence',
    async ({ b, hkv, groups, s, d, seed }, past) => {
      manualSeed(seed);
      const total = s + past;
      const q = randn([b, hkv * groups, total, d]);
      const k = randn([b, hkv, total, d]);
      const v = randn([b, hkv, total, d]);
      const whole = await causalAttention(q, k, v).slice(2, past).data();
      const tail = await causalAttention(q.slice(2, past), k, v).data();
      expect(maxAbsDiff(tail, whole)).toBeLessThan(1e-6);
    },
  );

  test('grouped heads read their shared K/V head', async () => {
    const x = randn([1, 2, 3, 4]);
    const r = repeatKv(x, 3);
    expect(r.shape).toEqual([1, 6, 3, 4]);
    expect(Array.from(await r.slice(1, 2, 3).data())).toEqual(Array.from(await x.slice(1, 0, 1).data()));
    expect(Array.from(await r.slice(1, 3, 4).data())).toEqual(Array.from(await x.slice(1, 1, 2).data()));
  });

  test('bad shapes name all three', () => {
    expect(() => causalAttention(randn([1, 3, 2, 4]), randn([1, 2, 2, 4]), randn([1, 2, 2, 4]))).toThrow(/q \[1, 3, 2, 4\].*k \[1, 2, 2, 4\], v \[1, 2, 2, 4\]/);
    expect(() => causalAttention(randn([1, 2, 3, 4]), randn([1, 2, 2, 4]), randn([1, 2, 2, 4]))).toThrow(/Sk ≥ 3/);
    expect(() => causalAttention(randn([2, 4]), randn([2, 4]), randn([2, 4]))).toThrow(/\[B, H, S, D\]/);
  });
});
