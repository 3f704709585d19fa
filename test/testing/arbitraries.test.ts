import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastShapes, checkMode } from '../../src/index.js';
import {
  broadcastOf, broadcastPairArb, epsFor, modeArb, permutationArb, permuteRows, scalarArb, scoreRow, scoresArb, shapeArb, sizeOf,
  tensorValuesArb, toTensor,
} from '../../src/testing/index.js';

describe('the arbitraries', () => {
  it('shapes stay within their ranks, dims and size; broadcast pairs broadcast, to what the rule says', () => {
    fc.assert(fc.property(shapeArb({ minRank: 1, maxRank: 3, maxDim: 5, maxSize: 20 }), (s) => {
      expect(s.length).toBeGreaterThanOrEqual(1);
      expect(s.length).toBeLessThanOrEqual(3);
      expect(s.every((d) => d >= 1 && d <= 5)).toBe(true);
      expect(sizeOf(s)).toBeLessThanOrEqual(20);
    }));
    fc.assert(fc.property(broadcastPairArb(), ([a, b]) => {
      expect(broadcastShapes('test', a, b)).toEqual(broadcastOf(a, b));
    }));
  });

  it('values lie in range; NaN and ±∞ only when opted in; float32 values are float32 numbers', () => {
    fc.assert(fc.property(scalarArb({ min: -0.5, max: 3 }), (v) => v >= -0.5 && v <= 3));
    fc.assert(fc.property(scalarArb({ dtype: 'float32', min: 0.1, max: 0.3 }), (v) => v === Math.fround(v) && v >= 0.1 && v <= 0.3));
    fc.assert(fc.property(scalarArb({ dtype: 'int32', min: -3.5, max: 3.5 }), (v) => Number.isInteger(v) && v >= -3 && v <= 3));
    const special = fc.sample(scalarArb({ nan: true, infinity: true }), { numRuns: 400, seed: 1 });
    expect(special.some(Number.isNaN)).toBe(true);
    expect(special.includes(Infinity) && special.includes(-Infinity)).toBe(true);
    expect(fc.sample(scalarArb(), { numRuns: 400, seed: 1 }).every(Number.isFinite)).toBe(true);
    expect(() => scalarArb({ dtype: 'int32', nan: true })).toThrow(/int32 has no NaN/);
    fc.assert(fc.property(tensorValuesArb({ dtype: 'float32' }), (v) => {
      const t = toTensor(v);
      expect([t.dtype, [...t.shape]]).toEqual(['float32', v.shape]);
      expect(Array.from(t.dataSync())).toEqual(v.data);
    }), { numRuns: 30 });
  });

  it('score rows are distributions, and exact ties, near-ties and ε on a score boundary all come up', () => {
    let [ties, nearTies, onBoundary] = [0, 0, 0];
    fc.assert(fc.property(scoresArb({ minTokens: 1, minExperts: 2 }).chain((m) => fc.tuple(fc.constant(m), epsFor(m))), ([m, eps]) => {
      expect(m.scores).toHaveLength(m.tokens * m.nExperts);
      for (let t = 0; t < m.tokens; t++) {
        const row = scoreRow(m, t);
        expect(row.every((s) => s >= 0)).toBe(true);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
        const pairs = row.flatMap((a, i) => row.slice(i + 1).map((b) => Math.abs(a - b) / Math.max(a, b)));
        if (pairs.some((d) => d === 0)) ties++;
        if (pairs.some((d) => d > 0 && d < 1e-8)) nearTies++;
      }
      if (m.scores.some((s) => m.nExperts * s === eps)) onBoundary++;
    }), { numRuns: 300 });
    expect(ties).toBeGreaterThan(50);
    expect(nearTies).toBeGreaterThan(20);
    expect(onBoundary).toBeGreaterThan(50);
  });

  it('modes are valid for N experts, and every kind is drawn; permutations are permutations', () => {
    const kinds = new Set<string>();
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(fc.constant(n), modeArb(n))), ([n, mode]) => {
      checkMode(mode, n);
      kinds.add(mode.mode);
    }));
    expect([...kinds].sort()).toEqual(['dense', 'threshold', 'thresholdTopK', 'topK', 'topP']);
    expect(fc.sample(modeArb(3, { modes: ['topK'] }), 50).every((m) => m.mode === 'topK')).toBe(true);
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }).chain((n) => permutationArb(n).map((p) => [n, p] as const)), ([n, p]) => {
      expect([...p].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    }));
    expect(permuteRows([1, 2, 3, 4, 5, 6], [2, 0, 1], 2)).toEqual([5, 6, 1, 2, 3, 4]);
  });
});
