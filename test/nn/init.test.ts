import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { init, manualSeed } from '../../src/index.js';

describe('init', () => {
  test.prop([fc.integer({ min: 1, max: 64 }), fc.nat()], { numRuns: 10 })('kaimingUniform stays within ±1/√fanIn and requires grad', async (fanIn, seed) => {
    manualSeed(seed);
    const w = init.kaimingUniform([fanIn, 8], fanIn);
    expect(w.requiresGrad).toBe(true);
    for (const v of await w.data()) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
  });

  test.prop([fc.double({ min: 0.01, max: 3, noNaN: true }), fc.nat()], { numRuns: 10 })('normal has the asked standard deviation', async (std, seed) => {
    manualSeed(seed);
    const v = Array.from(await init.normal([4000], std).data());
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan((5 * std) / Math.sqrt(v.length));
    expect(Math.abs(sd / std - 1)).toBeLessThan(0.06);
  });

  test('the same seed gives the same initialisation', async () => {
    manualSeed(5);
    const a = await init.xavierUniform([3, 4], 3, 4).data();
    manualSeed(5);
    const b = await init.xavierUniform([3, 4], 3, 4).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(await init.zerosParam([2]).data())).toEqual([0, 0]);
  });
});
