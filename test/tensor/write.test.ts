/**
 * writeAt: the result is dst with src over the chosen positions of one axis,
 * on a backend that writes in place (cpu, wasm: dst is donated) and on one
 * that composes it (gpu.js: dst stays readable).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { fromData, getBackend, noGrad, randn, setBackend, writeAt } from '../../src/index.js';

describe('writeAt', () => {
  for (const name of ['cpu', 'wasm', 'gpujs:cpu']) {
    test(`${name}: dst with src written along the axis, everything else kept`, async () => {
      await setBackend(name);
      expect(getBackend().name).toBe(name);
      await fc.assert(fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat(), fc.nat(),
        async (shape, axisSeed, atSeed, lenSeed) => {
          const axis = axisSeed % shape.length;
          const n = 1 + (lenSeed % shape[axis]!);
          const at = atSeed % (shape[axis]! - n + 1);
          const size = shape.reduce((a, b) => a * b, 1);
          const dstData = Float32Array.from({ length: size }, (_, i) => i);
          const srcShape = shape.map((d, i) => (i === axis ? n : d));
          const srcData = Float32Array.from({ length: srcShape.reduce((a, b) => a * b, 1) }, (_, i) => -1 - i);
          // The reference: walk dst's multi-indices; inside the window read src.
          const want = Array.from(dstData);
          const stride = (s: number[], i: number): number => s.slice(i + 1).reduce((a, b) => a * b, 1);
          for (let f = 0; f < size; f++) {
            const idx = shape.map((d, i) => Math.floor(f / stride(shape, i)) % d);
            if (idx[axis]! < at || idx[axis]! >= at + n) continue;
            const sIdx = idx.map((v, i) => (i === axis ? v - at : v));
            want[f] = srcData[sIdx.reduce((o, v, i) => o + v * stride(srcShape, i), 0)]!;
          }
          const dst = fromData(dstData, shape);
          await dst.data();
          const out = writeAt(dst, fromData(srcData, srcShape), axis, at);
          expect(Array.from(await out.data())).toEqual(want);
          if (name === 'gpujs:cpu') expect(Array.from(await dst.data())).toEqual(Array.from(dstData));
          else await expect(dst.data()).rejects.toThrow(/in-place write/);
        },
      ), { numRuns: 40 });
    });
  }

  test('refuses what does not fit, by shape and position', async () => {
    await setBackend('cpu');
    const dst = fromData(new Float32Array(12), [3, 4]);
    expect(() => writeAt(dst, fromData(new Float32Array(3), [1, 3]), 0, 0)).toThrow(/cannot write float32 \[1, 3\] into float32 \[3, 4\]/);
    expect(() => writeAt(dst, fromData(new Float32Array(8), [2, 4]), 0, 2)).toThrow(/positions 2 … 3 are outside axis 0 of size 3/);
    const w = randn([1, 4], { requiresGrad: true });
    expect(() => writeAt(dst, w, 0, 0)).toThrow(/no gradient/);
    expect(() => noGrad(() => writeAt(dst, w, 0, 0))).not.toThrow();
  });
});
