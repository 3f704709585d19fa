/**
 * The wasm backend end to end: a DS-MoE FFN layer's training step (dense
 * forward, MSE + MI loss, backward) equals the cpu backend's, loss and every
 * gradient; and a training loop's heap stays bounded, because dead tensors'
 * blocks are reclaimed between steps (the heap is invisible to the garbage
 * collector, see WasmDevice.wantsReclaim).
 */
import { describe, expect, beforeAll } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fromData, manualSeed, realize, setBackend, type Tensor } from '../../src/index.js';
import { startBackend } from '../../src/gpu/registry.js';
import { LanguageModel, MoEFeedForward, lmConfig, type InferMode } from '../../src/moe/index.js';
import { sizeClass } from '../../src/gpu/wasm/heap.js';
import type { WasmBackend } from '../../src/gpu/wasm/index.js';
import { seededValues } from '../helpers/arbitraries.js';

const WASM = ['wasm:1', 'wasm:2'] as const;
beforeAll(async () => {
  for (const n of WASM) await startBackend(n);
});

/** One step on `backend`: the loss and every parameter's gradient, read back. */
async function step(backend: string, seed: number, t: number, d: number, n: number, h: number): Promise<{ backend: string; loss: number; grads: Float32Array[] }> {
  const be = await setBackend(backend);
  manualSeed(seed);
  const layer = new MoEFeedForward({ dModel: d, nExperts: n, expertHidden: h });
  const x = fromData(seededValues(t * d, seed + 1), [t, d]), target = fromData(seededValues(t * d, seed + 2), [t, d]);
  const { y, aux } = layer.forward(x);
  const loss = y.sub(target).square().mean().add(aux.mi.mul(0.1));
  loss.backward();
  const params: Tensor[] = layer.parameters();
  await realize(loss, ...params.map((p) => p.grad!));
  const out = { backend: be.name, loss: (await loss.data())[0]!, grads: (await Promise.all(params.map((p) => p.grad!.data()))) as Float32Array[] };
  await setBackend('cpu');
  return out;
}

describe('wasm backend: training', () => {
  test.prop([fc.constantFrom(...WASM), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 12 })], { numRuns: 12 })(
    'a DS-MoE FFN training step equals the cpu backend (loss and every gradient)',
    async (name, seed, t, d, n, h) => {
      const want = await step('cpu', seed, t, d, n, h);
      const got = await step(name, seed, t, d, n, h);
      expect(got.backend).toBe(name);
      expect(got.loss).toBeCloseTo(want.loss, 4);
      got.grads.forEach((g, i) => {
        const w = want.grads[i]!;
        const scale = Math.max(...Array.from(w, Math.abs), 1e-3);
        for (let j = 0; j < w.length; j++) expect(Math.abs(g[j]! - w[j]!)).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
      });
    },
  );

  test.each(WASM)('a training loop keeps the heap bounded on %s: dead tensors are reclaimed', async (name) => {
    const be = (await setBackend(name)) as WasmBackend;
    manualSeed(3);
    const [t, d] = [256, 128];
    const layer = new MoEFeedForward({ dModel: d, nExperts: 4, expertHidden: 64 });
    const x = fromData(seededValues(t * d, 5), [t, d]);
    const params = layer.parameters();
    const perStep = 40 * t * 4 * 64 * 4; // generous: ~40 hidden-sized buffers a step
    let peak = 0;
    for (let i = 0; i < 60; i++) {
      for (const p of params) p.grad = null;
      const { y, aux } = layer.forward(x);
      const loss = y.square().mean().add(aux.mi);
      loss.backward();
      await realize(loss, ...params.map((p) => p.grad!));
      peak = Math.max(peak, be.device.heap.live);
    }
    await setBackend('cpu');
    // Without reclaiming, 60 steps would hold 60 steps' buffers (measured: ~470 MB, against ~80 MB with).
    expect(peak).toBeLessThan(64 * 2 ** 20 + 10 * perStep);
  });

  test.each(WASM)('sparse inference frees its intermediates at once on %s: the heap keeps the output and the scores only', async (name) => {
    const be = (await setBackend(name)) as WasmBackend;
    manualSeed(4);
    const [t, d, n] = [64, 32, 4];
    const layer = new MoEFeedForward({ dModel: d, nExperts: n, expertHidden: 16 });
    const x = fromData(seededValues(t * d, 6), [t, d]);
    await layer.infer(x, { mode: 'topK', k: 2 }); // first call: the parameters' own buffers are realized
    const before = be.device.heap.live;
    const out = await layer.infer(x, { mode: 'topK', k: 2 });
    expect(out.y.lazy.isRealized).toBe(true);
    // y [t, d] and the router's scores [t, n]: nothing else (at most: a finalizer of an earlier test's tensor may free more meanwhile).
    expect(be.device.heap.live - before).toBeLessThanOrEqual(4 * t * d + 4 * t * n);
    await setBackend('cpu');
  });

  // Every kind, every mode, attention experts dense or routed, rotary or learned positions: the layers are tidies
  // joined by awaits, and each stage's result is freed once the next has read it.
  const modes: InferMode[] = [{ mode: 'dense' }, { mode: 'topK', k: 2 }, { mode: 'threshold', eps: 0.5 }, { mode: 'thresholdTopK', eps: 0.5 }];
  test.prop([fc.constantFrom(...WASM), fc.constantFrom('dsmoe', 'dense', 'smoe' as const), fc.constantFrom(...modes), fc.constantFrom('dense', 'follow' as const), fc.constantFrom('rotary', 'learned' as const)], { numRuns: 16 })(
    'language-model inference leaves only its logits on the heap',
    async (name, kind, mode, attention, positions) => {
      const be = (await setBackend(name)) as WasmBackend;
      manualSeed(5);
      const config = lmConfig('tiny', { kind, vocabSize: 13, maxSeqLen: 8, dModel: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 4, attnExperts: 2, nExperts: 4, expertHidden: 8, positions, smoeTopK: 1 });
      const model = new LanguageModel(config);
      const ids = fromData(Int32Array.from({ length: 2 * 8 }, (_, i) => (i * 5 + 3) % 13), [2, 8]);
      const first = await model.infer(ids, { mode, attention }); // parameters, caches (masks, rotary tables) realized
      first.logits.dispose();
      const before = be.device.heap.live;
      const r = await model.infer(ids, { mode, attention });
      expect(r.logits.lazy.isRealized).toBe(true);
      // The logits [2, 8, 13] are all that is left (a finalizer of an earlier tensor may free more meanwhile, never less).
      expect(be.device.heap.live - before).toBeLessThanOrEqual(sizeClass(4 * 2 * 8 * 13));
      r.logits.dispose();
      await setBackend('cpu');
    },
  );
});
