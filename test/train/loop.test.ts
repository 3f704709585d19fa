/**
 * trainLoop's schedule: which steps validate, which save a checkpoint, where
 * it stops, and that the final validation lands on the last history point
 * only when the run is complete (src/train/loop.ts). Tiny model, cpu.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import { ByteTokenizer } from '../../src/data/byte-tokenizer.js';
import { lmConfig } from '../../src/moe/lm-config.js';
import { trainLoop } from '../../src/train/loop.js';
import { TRAIN_PRESETS } from '../../src/train/settings.js';
import { newTrainer } from '../../src/train/trainer.js';

const text = new ByteTokenizer().encode('Rain fell all night on the quiet streets of the old town. '.repeat(6));
const config = lmConfig('tiny', { dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 4, nExperts: 2, expertHidden: 4, maxSeqLen: 8 });

beforeAll(async () => {
  await setBackend('cpu');
});

describe('trainLoop', () => {
  it('validates every evalEvery steps before the last, saves every checkpointEvery steps before the stop and once at the end', async () => {
    expect(getBackend().name).toBe('cpu');
    const arb = fc.record({
      steps: fc.integer({ min: 1, max: 6 }),
      evalEvery: fc.integer({ min: 0, max: 4 }),
      checkpointEvery: fc.integer({ min: 0, max: 4 }),
      stopAfter: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    });
    await fc.assert(fc.asyncProperty(arb, async ({ steps, evalEvery, checkpointEvery, stopAfter }) => {
      const settings = { ...TRAIN_PRESETS.tiny!, steps, warmup: 0, batchSize: 1, seqLen: 8, evalEvery, checkpointEvery, evalTokens: 16 };
      const trainer = newTrainer(config, settings, { train: text, val: text.subarray(0, 32) });
      const seen = { steps: [] as number[], validations: [] as number[], saves: [] as number[] };
      const res = await trainLoop(trainer, {
        stopAfter,
        onStep: (p) => seen.steps.push(p.step),
        onValidation: (p) => seen.validations.push(p.step),
        checkpoint: async (t) => { seen.saves.push(t.step); },
      });
      const last = Math.min(steps, stopAfter ?? steps);
      const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
      expect(seen.steps).toEqual(upTo(last));
      expect(seen.validations).toEqual(upTo(last).filter((s) => evalEvery > 0 && s % evalEvery === 0 && s < steps));
      expect(seen.saves).toEqual([...upTo(last).filter((s) => checkpointEvery > 0 && s % checkpointEvery === 0 && s < last), last]);
      expect(trainer.history.filter((p) => p.valLoss !== undefined).map((p) => p.step))
        .toEqual([...seen.validations, ...(last === steps ? [steps] : [])]);
      expect(res.valLoss).toBeGreaterThan(0);
    }), { numRuns: 15 });
  });
});
