/**
 * The dense-to-sparse gate (EvoMoE, dts-gate.ts): the schedule's values,
 * the routing entropy falling with the temperature (for a router, and for a
 * model as its schedule advances), the trainer and a checkpoint setting the
 * temperature from the steps taken, gradcheck at τ ≠ 1, and a bad schedule
 * refused by value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromData, getBackend, manualSeed, setBackend } from '../../src/index.js';
import { checkDtsSchedule, dtsTemperature, type DtsSchedule } from '../../src/moe/dts-gate.js';
import { lmConfig } from '../../src/moe/lm-config.js';
import { LanguageModel } from '../../src/moe/lm.js';
import { conditionalEntropy } from '../../src/moe/mi-loss.js';
import { MoEFeedForward } from '../../src/moe/moe-ffn.js';
import { MoEAttention } from '../../src/moe/moe-attention.js';
import { Router } from '../../src/moe/router.js';
import { noGrad } from '../../src/tensor/grad-mode.js';
import { Trainer } from '../../src/train/trainer.js';
import { trainPreset } from '../../src/train/settings.js';
import { checkpointFiles, readModel } from '../../src/train/checkpoint.js';
import { ByteTokenizer } from '../../src/data/byte-tokenizer.js';
import { randomTensor, layerGradcheck } from './helpers.js';

await setBackend('cpu');

const schedule: DtsSchedule = { tauStart: 2, tauEnd: 0.25, from: 10, to: 50 };

describe('the DTS gate', () => {
  it('anneals geometrically from τ₀ to τ₁ between its steps, monotone, and steps at once when from = to', () => {
    expect(dtsTemperature(schedule, 0)).toBe(2);
    expect(dtsTemperature(schedule, 10)).toBe(2);
    expect(dtsTemperature(schedule, 30)).toBeCloseTo(Math.sqrt(2 * 0.25), 12);
    expect(dtsTemperature(schedule, 50)).toBe(0.25);
    expect(dtsTemperature(schedule, 1000)).toBe(0.25);
    for (let s = 0; s < 60; s++) expect(dtsTemperature(schedule, s + 1)).toBeLessThanOrEqual(dtsTemperature(schedule, s));
    const jump = { tauStart: 3, tauEnd: 0.5, from: 7, to: 7 };
    expect([6, 7, 8].map((s) => dtsTemperature(jump, s))).toEqual([3, 0.5, 0.5]);
  });

  it("a router's routing entropy decreases with its temperature (every token, any logits)", async () => {
    expect(getBackend().name).toBe('cpu');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0.05, max: 5, noNaN: true }), fc.double({ min: 0.05, max: 5, noNaN: true }), async (seed, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      manualSeed(seed);
      const router = new Router({ dModel: 4, nExperts: 5, dtype: 'float64' });
      const x = randomTensor([6, 4], seed + 1).cast('float64');
      const entropies = async (tau: number): Promise<Float64Array> => {
        router.temperature = tau;
        const logits = router.forward(x);
        // Per token: −Σ S log S.
        return Float64Array.from(await logits.softmax(-1).mul(logits.logSoftmax(-1)).sum(-1).neg().data());
      };
      const [hLo, hHi] = [await entropies(lo), await entropies(hi)];
      hLo.forEach((h, t) => expect(h, `token ${t}, τ ${lo} vs ${hi}`).toBeLessThanOrEqual(hHi[t]! + 1e-12));
    }), { numRuns: 50 });
  });

  it('in a model, the routers\' mean entropy falls as the schedule advances, and the trainer and a checkpoint set it from the steps', async () => {
    const c = lmConfig('tiny', { vocabSize: 256, dModel: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 8, nExperts: 4, expertHidden: 4, maxSeqLen: 16, attnExperts: 2, dts: { tauStart: 4, tauEnd: 0.2, from: 0, to: 3 } });
    manualSeed(2);
    const model = new LanguageModel(c);
    expect(model.gateTemperature).toBe(4);
    const ids = fromData(Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 32), [2, 8]);
    const entropy = async (): Promise<number> => {
      const { aux } = noGrad(() => model.forward(ids));
      return (await conditionalEntropy(aux.ffnScores[0]!).item()) + (await conditionalEntropy(aux.attnScores[0]!).item());
    };
    const h: number[] = [];
    for (const step of [0, 1, 2, 3]) {
      model.setTrainedSteps(step);
      h.push(await entropy());
    }
    for (let i = 1; i < h.length; i++) expect(h[i]!).toBeLessThan(h[i - 1]!);
    // The trainer moves the temperature after every step; a checkpoint's step sets it on load.
    model.setTrainedSteps(0);
    const tokens = Int32Array.from({ length: 400 }, (_, i) => (i * 13) % 32);
    const trainer = new Trainer(model, { ...trainPreset('tiny'), batchSize: 2, seqLen: 8, steps: 5, warmup: 1 }, { train: tokens, val: tokens });
    await trainer.trainStep();
    await trainer.trainStep();
    expect(model.trainedSteps).toBe(2);
    expect(model.blocks[0]!.ffn instanceof MoEFeedForward && model.blocks[0]!.ffn.router.temperature).toBe(dtsTemperature(c.dts!, 2));
    const files = await checkpointFiles(trainer, new ByteTokenizer(), { settings: trainer.settings, corpus: { tokenizer: 'byte', bpeVocab: 512, valFraction: 0.1, seed: 1 }, backend: 'cpu' });
    const loaded = readModel(files.model, 'model.safetensors');
    expect(loaded.metadata.format_version).toBe('3');
    expect(loaded.model.gateTemperature).toBe(dtsTemperature(c.dts!, 2));
    expect(loaded.model.blocks[0]!.attn instanceof MoEAttention && loaded.model.blocks[0]!.attn.router.temperature).toBe(dtsTemperature(c.dts!, 2));
  });

  it('passes gradcheck (float64) with the router at a temperature ≠ 1', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0.3, 2.5), async (seed, tau) => {
      manualSeed(seed);
      const layer = new MoEFeedForward({ dModel: 3, nExperts: 3, expertHidden: 2, dtype: 'float64' });
      layer.router.temperature = tau;
      const x = randomTensor([3, 3], seed + 1).cast('float64');
      const probe = randomTensor([3, 3], seed + 2).cast('float64');
      const report = await layerGradcheck(layer, x, probe, (aux) => aux.mi.add(aux.z));
      expect(report.ok, JSON.stringify(report)).toBe(true);
    }), { numRuns: 10 });
  });

  it('refuses a schedule that ends before it starts, a temperature ≤ 0 and a bad step, by value, at construction', () => {
    const bad = (dts: unknown) => () => lmConfig('tiny', { dts: dts as DtsSchedule });
    expect(bad({ tauStart: 2, tauEnd: 0.5, from: 100, to: 40 })).toThrow('model config: dts: the schedule ends (to=40) before it starts (from=100)');
    expect(bad({ tauStart: 0, tauEnd: 0.5, from: 0, to: 40 })).toThrow('model config: dts.tauStart must be a finite number > 0, got 0');
    expect(bad({ tauStart: 1, tauEnd: -1, from: 0, to: 40 })).toThrow('model config: dts.tauEnd must be a finite number > 0, got -1');
    expect(bad({ tauStart: 1, tauEnd: 0.5, from: 1.5, to: 40 })).toThrow('model config: dts.from must be an integer ≥ 0, got 1.5');
    expect(bad({ tauStart: 1, tauEnd: 0.5, from: 0, to: 40, noise: true })).toThrow("model config: dts: unknown field 'noise'");
    expect(() => checkDtsSchedule('x', null as unknown as DtsSchedule)).toThrow('x must be an object { tauStart, tauEnd, from, to } or null, got null');
    expect(() => { new Router({ dModel: 2, nExperts: 2 }).temperature = 0; }).toThrow('Router: temperature must be a finite number > 0, got 0');
  });
});
