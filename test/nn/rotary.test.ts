import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { applyRotary, gradcheck, randn, tensor, manualSeed } from '../../src/index.js';

const f64 = { dtype: 'float64', backend: 'cpu' } as const;

/** x [D] placed at position `pos` (a [1, 1, 1, D] tensor rotated with offset pos). */
async function rotatedAt(x: number[], pos: number): Promise<Float64Array> {
  return (await applyRotary(tensor(x, { ...f64, shape: [1, 1, 1, x.length] }), pos).data()) as Float64Array;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
const vec = (d: number) => fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: d, maxLength: d });

describe('applyRotary', () => {
  test.prop([fc.integer({ min: 1, max: 4 }).chain((h) => fc.tuple(vec(2 * h), vec(2 * h))), fc.nat(50), fc.nat(50), fc.nat(1000)], { numRuns: 20 })(
    'q·k after rotation depends only on the position difference',
    async ([q, k], m, n, shift) => {
      const a = dot(await rotatedAt(q, m), await rotatedAt(k, n));
      const b = dot(await rotatedAt(q, m + shift), await rotatedAt(k, n + shift));
      expect(Math.abs(a - b)).toBeLessThan(1e-9 * (1 + Math.abs(a)));
    },
  );

  test.prop([fc.integer({ min: 1, max: 4 }).chain((h) => vec(2 * h)), fc.nat(100)], { numRuns: 10 })(
    'is a rotation: norms are kept, position 0 is the identity',
    async (x, pos) => {
      const y = await rotatedAt(x, pos);
      expect(Math.abs(dot(y, y) - dot(x, x))).toBeLessThan(1e-9 * (1 + dot(x, x)));
      // Equal as numbers: x1·1 − x2·0 may turn a −0 into +0 or back (v + 0 maps −0 to +0 on both sides).
      expect(Array.from(await rotatedAt(x, 0), (v) => v + 0)).toEqual(x.map((v) => v + 0));
    },
  );

  test('matches the pairwise formula at one position', async () => {
    // D = 4: pairs (0, 2) with θ = 1 and (1, 3) with θ = 10000^(−1/2) = 0.01.
    const y = await rotatedAt([1, 2, 3, 4], 3);
    const [c0, s0, c1, s1] = [Math.cos(3), Math.sin(3), Math.cos(0.03), Math.sin(0.03)];
    const want = [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1];
    want.forEach((w, i) => expect(y[i]).toBeCloseTo(w, 12));
  });

  test.prop([fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.nat(5), fc.nat()], { numRuns: 10 })(
    'passes gradcheck',
    async (s, h, offset, seed) => {
      manualSeed(seed);
      const r0 = randn([2, 1, s, 2 * h], f64);
      const rep = await gradcheck((x) => applyRotary(x, offset).mul(r0).sum(), [randn([2, 1, s, 2 * h])]);
      expect(rep.ok, JSON.stringify(rep)).toBe(true);
    },
  );

  test('a row at offset p equals row p of a longer sequence', async () => {
    const x = randn([1, 2, 5, 6]);
    const whole = await applyRotary(x).data();
    const tail = await applyRotary(x.slice(2, 3), 3).data();
    const want = await applyRotary(x).slice(2, 3).data();
    expect(Array.from(tail)).toEqual(Array.from(want));
    expect(whole.length).toBe(60);
  });

  test('bad input is named', () => {
    expect(() => applyRotary(randn([1, 1, 2, 3]))).toThrow(/even.*3/);
    expect(() => applyRotary(randn([2, 3]))).toThrow(/\[B, H, S, D\].*\[2, 3\]/);
    expect(() => applyRotary(randn([1, 1, 2, 4]), -1)).toThrow(/offset/);
  });
});
