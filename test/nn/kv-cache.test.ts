/**
 * KvCache: whatever the chunking of the appends, the filled prefix of its
 * buffers is the concatenation of what was appended, on every backend; the
 * buffers grow by doubling (so a token's append copies nothing held), and a
 * tensor an append replaced cannot be read.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { cat, fromData, KvCache, setBackend, type Tensor } from '../../src/index.js';

const BACKENDS = ['cpu', 'wasm', 'gpujs:cpu'] as const;

function filled(t: Tensor, n: number): Promise<Float32Array> {
  return t.slice(2, 0, n).data() as Promise<Float32Array>;
}

function chunk(backend: string, s: number, seed: number): Tensor {
  const data = Float32Array.from({ length: 2 * 3 * s * 4 }, (_, i) => Math.sin(seed * 131 + i));
  return fromData(data, [2, 3, s, 4], { backend });
}

describe('KvCache', () => {
  for (const name of BACKENDS) {
    test(`${name}: the filled prefix is the concatenation of the appends, whatever their sizes`, async () => {
      const be = await setBackend(name);
      expect(be.name).toBe(name);
      await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const cache = new KvCache();
        const ks: Tensor[] = [];
        const vs: Tensor[] = [];
        let got: { k: Tensor; v: Tensor; length: number } | undefined;
        for (const [i, s] of sizes.entries()) {
          ks.push(chunk(name, s, i));
          vs.push(chunk(name, s, i + 100));
          got = cache.append(ks[i]!, vs[i]!);
        }
        const total = sizes.reduce((a, b) => a + b, 0);
        expect(got!.length).toBe(total);
        expect(cache.length).toBe(total);
        expect(got!.k.shape[2]).toBe(cache.capacity);
        expect(cache.capacity).toBeGreaterThanOrEqual(total);
        expect(cache.capacity).toBeLessThan(Math.max(2 * total, 16) + 1);
        expect(Array.from(await filled(got!.k, total))).toEqual(Array.from(await cat(ks, 2).data()));
        expect(Array.from(await filled(got!.v, total))).toEqual(Array.from(await cat(vs, 2).data()));
        cache.dispose();
      }), { numRuns: 15 });
    });
  }

  test('one token at a time never reallocates between doublings, and the replaced buffer is refused', async () => {
    await setBackend('wasm');
    const cache = new KvCache();
    const first = cache.append(chunk('wasm', 1, 0), chunk('wasm', 1, 1));
    await first.k.data();
    const capacities = new Set<number>();
    let last = first;
    for (let i = 1; i < 40; i++) {
      last = cache.append(chunk('wasm', 1, i), chunk('wasm', 1, i));
      capacities.add(cache.capacity);
    }
    expect([...capacities]).toEqual([16, 32, 64]);
    await last.k.data(); // realizes the writes, the one that took over first.k's buffer among them
    await expect(first.k.data()).rejects.toThrow(/in-place write/);
    cache.dispose();
  });

  test('bad appends are refused by name', async () => {
    await setBackend('cpu');
    const cache = new KvCache({ maxLength: 4 });
    expect(() => cache.append(chunk('cpu', 2, 0), chunk('cpu', 3, 0))).toThrow(/k and v must both be/);
    cache.append(chunk('cpu', 3, 0), chunk('cpu', 3, 0));
    expect(() => cache.append(chunk('cpu', 2, 0), chunk('cpu', 2, 0))).toThrow(/3 cached \+ 2 new positions exceed its maxLength 4/);
    const other = fromData(new Float32Array(1 * 3 * 1 * 4), [1, 3, 1, 4], { backend: 'cpu' });
    expect(() => cache.append(other, other)).toThrow(/cannot append float32 \[1, 3, 1, 4\]/);
    cache.clear();
    expect(cache.length).toBe(0);
  });
});
