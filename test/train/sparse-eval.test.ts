/**
 * Sparse evaluation (src/train/sparse-eval.ts) against what it must agree
 * with: dense mode scores the tokens exactly as the trainer's validation
 * does, top-K at K = N is dense, and a sparser mode keeps fewer parameters
 * active. Tiny model, cpu backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import { ByteTokenizer } from '../../src/data/byte-tokenizer.js';
import { lmConfig } from '../../src/moe/lm-config.js';
import { TRAIN_PRESETS } from '../../src/train/settings.js';
import { evaluateModes, modeLabel } from '../../src/train/sparse-eval.js';
import { newTrainer } from '../../src/train/trainer.js';

const tokenizer = new ByteTokenizer();
const val = tokenizer.encode('She opened the letter slowly and read it twice by the window. '.repeat(3));
const config = lmConfig('tiny', { dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 4, nExperts: 4, expertHidden: 4, maxSeqLen: 16 });
const settings = { ...TRAIN_PRESETS.tiny!, steps: 4, warmup: 0, batchSize: 2, seqLen: 16, evalTokens: 100 };

beforeAll(async () => {
  await setBackend('cpu');
});

describe('evaluateModes', () => {
  it('dense mode is the trainer\'s validation loss; topK at K = N is dense; top-1 keeps fewer parameters active', async () => {
    expect(getBackend().name).toBe('cpu');
    const trainer = newTrainer(config, settings, { train: val, val });
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    const opts = { batchSize: settings.batchSize, seqLen: settings.seqLen, maxTokens: settings.evalTokens };
    const [dense, all, top1] = await evaluateModes(trainer.model, val, tokenizer, [{ mode: 'dense' }, { mode: 'topK', k: 4 }, { mode: 'topK', k: 1 }], opts);
    expect([dense!.label, all!.label, top1!.label]).toEqual(['dense', modeLabel({ mode: 'topK', k: 4 }), 'topK k=1']);
    expect(dense!.loss).toBeCloseTo(await trainer.validate(), 5);
    expect(dense!.perplexity).toBeCloseTo(Math.exp(dense!.loss), 10);
    // Byte tokens: bits per byte is the loss in bits.
    expect(dense!.bitsPerByte).toBeCloseTo(dense!.loss / Math.LN2, 10);
    expect(all!.loss).toBeCloseTo(dense!.loss, 5);
    expect(all!.ffnActive).toBe(1);
    expect(top1!.ffnActive).toBeLessThan(all!.ffnActive);
    expect(top1!.activeParams).toBeLessThan(dense!.activeParams);
    // The first maxTokens + 1 tokens, each after the first predicted once.
    expect(dense!.tokens).toBe(settings.evalTokens);
  });
});
