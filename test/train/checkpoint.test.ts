/**
 * The checkpoint format as bytes, with no file system (what the browser
 * page does): both files round-trip into a model and a trainer that goes on
 * exactly as the original, and every value read back from the metadata is
 * validated by name (src/train/checkpoint.ts, src/data/corpus.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, manualSeed, setBackend } from '../../src/index.js';
import { ByteTokenizer } from '../../src/data/byte-tokenizer.js';
import { corpusOptionsFromJSON } from '../../src/data/corpus.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { LanguageModel } from '../../src/moe/lm.js';
import { lmConfig } from '../../src/moe/lm-config.js';
import { checkpointFiles, readModel, restoreTrainer, type RunInfo } from '../../src/train/checkpoint.js';
import { TRAIN_PRESETS, type TrainSettings } from '../../src/train/settings.js';
import { Trainer } from '../../src/train/trainer.js';

const settings: TrainSettings = { ...TRAIN_PRESETS.tiny!, steps: 6, batchSize: 2, seqLen: 8, warmup: 1, evalTokens: 32 };
const corpus = { tokenizer: 'byte', bpeVocab: 512, valFraction: 0.1, seed: 1 } as const;
const info: RunInfo = { settings, corpus, backend: 'cpu' };
const text = new ByteTokenizer().encode('The jury said it did find that the city had been ably run. '.repeat(8));
const data = { train: text, val: text.subarray(0, 64) };

function freshTrainer(): Trainer {
  manualSeed(3);
  const config = lmConfig('tiny', { dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 4, nExperts: 2, expertHidden: 4, maxSeqLen: 8 });
  return new Trainer(new LanguageModel(config), settings, data);
}

async function weights(t: Trainer): Promise<number[]> {
  const all = await Promise.all(t.model.parameters().map((p) => p.data()));
  return all.flatMap((a) => Array.from(a));
}

/** The file with its metadata changed by `edit`. */
function withMetadata(bytes: Uint8Array, edit: (m: Record<string, string>) => void): Uint8Array {
  const f = decodeSafetensors(bytes);
  edit(f.metadata);
  return encodeSafetensors(f.tensors, f.metadata);
}

let files: { checkpoint: Uint8Array; model: Uint8Array };

beforeAll(async () => {
  await setBackend('cpu');
  const t = freshTrainer();
  for (let i = 0; i < 2; i++) await t.trainStep();
  files = await checkpointFiles(t, new ByteTokenizer(), info);
});

describe('checkpoint bytes', () => {
  it('a checkpoint restored into a fresh trainer continues bit-identically to the unbroken run', async () => {
    expect(getBackend().name).toBe('cpu');
    const whole = freshTrainer();
    for (let i = 0; i < 4; i++) await whole.trainStep();
    const loaded = readModel(files.checkpoint, 'checkpoint.safetensors');
    expect(loaded.step).toBe(2);
    const resumed = new Trainer(loaded.model, settings, data);
    restoreTrainer(resumed, loaded, 'checkpoint.safetensors');
    for (let i = 0; i < 2; i++) await resumed.trainStep();
    expect(resumed.step).toBe(4);
    expect(resumed.history.map((p) => p.loss)).toEqual(whole.history.map((p) => p.loss));
    expect(await weights(resumed)).toEqual(await weights(whole));
  });

  it('the model file holds the weights and the tokenizer, and no optimizer state', () => {
    const loaded = readModel(files.model, 'model.safetensors');
    expect(loaded.tokenizer.kind).toBe('byte');
    expect(Object.keys(loaded.extra)).toEqual([]);
    expect(Object.keys(readModel(files.checkpoint, 'c').extra).every((k) => k.startsWith('optimizer.'))).toBe(true);
  });

  it('errors start with the name given and say what is wrong', () => {
    expect(() => readModel(new Uint8Array(3), 'https://x/m.safetensors')).toThrow(/^https:\/\/x\/m\.safetensors: /);
    expect(() => readModel(withMetadata(files.model, (m) => { m.format = 'other'; }), 'f')).toThrow(/f: not a dsmoe language model/);
    expect(() => readModel(withMetadata(files.model, (m) => { m.step = '-1'; }), 'f')).toThrow(/f: metadata step "-1" is not a non-negative integer/);
  });

  const hostile: [string, (m: Record<string, string>) => void, RegExp][] = [
    ['a negative learning rate', (m) => { m.optimizer = JSON.stringify({ ...JSON.parse(m.optimizer!), lr: -1 }); }, /optimizer\.lr must be a finite number ≥ 0, got -1/],
    ['step counts that are not counts', (m) => { m.optimizer = JSON.stringify({ ...JSON.parse(m.optimizer!), steps: ['x'] }); }, /optimizer\.steps must be a list of step counts/],
    ['a generator state of the wrong length', (m) => { m.rng = JSON.stringify({ ...JSON.parse(m.rng!), data: [1, 2, 3] }); }, /rng\.data is not a generator state/],
    ['a history point whose loss is a string', (m) => { m.history = JSON.stringify([{ ...JSON.parse(m.history!)[0], loss: 'low' }]); }, /history\[0\]: loss must be a number, got "low"/],
    ['seconds that are not a number', (m) => { m.seconds = 'soon'; }, /metadata seconds "soon" is not a finite number ≥ 0/],
    ['no optimizer entry', (m) => { delete m.optimizer; }, /metadata has no 'optimizer'/],
  ];

  it.each(hostile)('restoreTrainer refuses %s, by name, and leaves the trainer as it was', async (_what, edit, pattern) => {
    const loaded = readModel(withMetadata(files.checkpoint, edit), 'ck');
    const t = new Trainer(loaded.model, settings, data);
    expect(() => restoreTrainer(t, loaded, 'ck')).toThrow(pattern);
    expect([t.step, t.optimizer.lr, t.history.length]).toEqual([0, settings.lr, 0]);
  });
});

describe('corpusOptionsFromJSON', () => {
  it('keeps valid options in their own order', () => {
    const json = { seed: 4, corpus: 'docs', tokenizer: 'bpe', bpeVocab: 300, valFraction: 0.2 };
    expect(JSON.stringify(corpusOptionsFromJSON('f', json))).toBe(JSON.stringify(json));
  });

  it.each([
    [{ ...corpus, tokenizer: 'words' }, /corpus\.tokenizer must be one of byte, bpe, got "words"/],
    [{ ...corpus, valFraction: 1 }, /corpus\.valFraction must be a number in \[0\.001, 0\.9\], got 1/],
    [{ ...corpus, seed: 1.5 }, /corpus\.seed must be an integer, got 1\.5/],
    [{ ...corpus, corpus: 7 }, /corpus\.corpus must be a path, got 7/],
    [[], /corpus must be a JSON object/],
  ])('refuses %j by name', (json, pattern) => {
    expect(() => corpusOptionsFromJSON('f', json)).toThrow(pattern);
  });
});
