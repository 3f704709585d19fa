/**
 * tidy(fn): the result is realized and correct; every other buffer fn made
 * is freed at once (the wasm heap's live bytes come back to where they
 * were); buffers the result shares (a reshaped result's owner) and inputs
 * made outside survive, and so does what `untracked` makes (caches); the
 * scope closes when fn throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromData, noGrad, setBackend, tidy, type Tensor } from '../../src/index.js';
import { untracked } from '../../src/tensor/tidy.js';
import { causalMask } from '../../src/nn/attention-core.js';
import type { WasmBackend } from '../../src/gpu/wasm/index.js';
import { creationScopes } from '../../src/tensor/lazy.js';
import { values } from '../helpers/arbitraries.js';

let wasm: WasmBackend;
beforeAll(async () => {
  wasm = (await setBackend('wasm:1')) as unknown as WasmBackend;
  expect(wasm.name).toBe('wasm:1');
});
afterAll(async () => {
  await setBackend('cpu');
});

const live = (): number => wasm.device.heap.live;
const f32 = (v: readonly number[], shape: readonly number[]): Tensor => fromData(Float32Array.from(v), shape);

describe('tidy', () => {
  it('returns the realized result, equal to the untidied one, and frees every intermediate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }).chain((n) => values(n, 'positive')), async (v) => {
        const x = f32(v, [v.length]);
        const f = (): Tensor => x.log().mul(x).add(1).exp().sum().reshape([1]);
        const want = await f().data();
        const before = live();
        const y = await tidy(f);
        expect(y.lazy.isRealized).toBe(true);
        expect(Array.from(await y.data())).toEqual(Array.from(want));
        // Only the result's block (sum's [] output, which the reshape shares) is still live.
        expect(live() - before).toBe(64);
        expect(Array.from(await x.data())).toEqual(Array.from(Float32Array.from(v)));
      }),
      { numRuns: 20 },
    );
  });

  it('keeps every tensor of a returned list, frees the rest', async () => {
    const x = f32([1, 2, 3, 4], [2, 2]);
    await tidy(() => x.mul(2).add(1)); // uploads the lifted constants 2 and 1, which stay (scalarOn keeps them)
    const before = live();
    const [a, b] = await tidy(() => {
      const h = x.mul(2).add(1);
      return [h.sum(0), h.matmul(x).reshape([4])] as const;
    });
    expect(Array.from(await a.data())).toEqual([10, 14]);
    expect(Array.from(await b.data())).toEqual([3 + 15, 6 + 20, 7 + 27, 14 + 36]);
    expect(live() - before).toBe(2 * 64);
  });

  it('closes its scope when fn throws, and frees nothing of the caller', async () => {
    const x = f32([1, 2], [2]);
    await expect(tidy(() => x.reshape([3]))).rejects.toThrow(/reshape/);
    expect(creationScopes).toHaveLength(0);
    expect(Array.from(await x.add(1).data())).toEqual([2, 3]);
  });

  it('frees what fn realized before it threw (those buffers are the tidy\'s alone: no finalizer would)', async () => {
    const x = f32([1, 2, 3, 4], [4]);
    await tidy(() => x.mul(2).add(1)); // the lifted constants stay (scalarOn keeps them)
    const before = live();
    await expect(tidy(() => {
      const y = x.mul(2).add(1);
      y.dataSync(); // realized inside fn: two blocks live
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(live()).toBe(before);
  });

  it('hands its results to the collector: results dropped unfreed in a loop do not grow the heap without bound', async () => {
    const x = fromData(new Float32Array(1 << 20).fill(1), [1 << 20]); // 4 MiB
    await tidy(() => x.mul(2).add(1));
    const before = live();
    let peak = 0;
    for (let i = 0; i < 120; i++) {
      const y = await tidy(() => x.mul(2).add(1)); // 4 MiB kept, then dropped without dispose
      expect(y.lazy.isRealized).toBe(true);
      peak = Math.max(peak, live() - before);
    }
    // 480 MiB if no finalizer were registered; the backend reclaims past ~64 MiB of growth.
    expect(peak).toBeLessThan(160 * 2 ** 20);
  });

  it('untracked: a cache first built inside a tidy survives it (the causal mask)', async () => {
    const x = f32([1, 2, 3], [3]);
    let cached: Tensor | null = null;
    const y = await tidy(() => {
      const m = untracked(() => x.mul(2));
      cached = m;
      return m.add(causalMask(3, x).sum());
    });
    expect(Array.from(await y.data())).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(Array.from(await cached!.data())).toEqual([2, 4, 6]);
    // The mask made inside the tidy above is still usable.
    expect(causalMask(3, x).lazy.isDisposed).toBe(false);
    expect(Array.from(await causalMask(3, x).data())).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
  });
});
