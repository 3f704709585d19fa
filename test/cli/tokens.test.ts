/** `dsmoe tokens`: a run's own token streams (what dsmoe eval reads), or a corpus's, for the PyTorch twin. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/index.js';
import { tokensCommand } from '../../src/cli/tokens.js';
import { trainCommand } from '../../src/cli/train.js';
import { loadCorpus as prepareCorpus } from '../../src/cli/load-corpus.js';
import { loadModel } from '../../src/cli/run-folder.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from './helpers.js';

const corpus = tinyCorpus();
let run = '';

beforeAll(async () => {
  run = join(tempDir(), 'run');
  await capture(() => trainCommand([...tinyFlags(corpus, run), '--steps', '1', '--tokenizer', 'bpe', '--bpe-vocab', '300']));
});

function read(file: string): ReturnType<typeof decodeSafetensors> {
  return decodeSafetensors(new Uint8Array(readFileSync(file)));
}

describe('dsmoe tokens', () => {
  it('--run writes the run\'s training and validation streams with its tokenizer', async () => {
    const out = join(tempDir(), 'tokens.safetensors');
    await capture(() => tokensCommand(['--run', run, '--corpus', corpus, '--out', out]));
    const { tensors, metadata } = read(out);
    const { tokenizer } = loadModel(run);
    const data = prepareCorpus({ corpus, tokenizer: 'bpe', bpeVocab: 300, valFraction: 0.34, seed: 1, reuse: tokenizer });
    expect(tensors.train!.dtype).toBe('I32');
    expect(Array.from(tensors.train!.data as Int32Array)).toEqual(Array.from(data.train));
    expect(Array.from(tensors.val!.data as Int32Array)).toEqual(Array.from(data.val));
    expect(metadata.format).toBe('dsmoe-tokens');
    expect(metadata.format_version).toBe('1');
    expect(JSON.parse(metadata.tokenizer!)).toEqual(tokenizer.toJSON());
    expect(JSON.parse(metadata.corpus!)).toMatchObject({ corpus, tokenizer: 'bpe', bpeVocab: 300 });
  });

  it('without a run, tokenizes and splits a corpus as dsmoe train would', async () => {
    const out = join(tempDir(), 'tokens.safetensors');
    await capture(() => tokensCommand(['--corpus', corpus, '--val-fraction', '0.34', '--out', out]));
    const data = prepareCorpus({ corpus, tokenizer: 'byte', bpeVocab: 512, valFraction: 0.34, seed: 1 });
    expect(Array.from(read(out).tensors.val!.data as Int32Array)).toEqual(Array.from(data.val));
  });

  it('refuses what it cannot honour, by name', async () => {
    const out = join(tempDir(), 'tokens.safetensors');
    await expect(tokensCommand(['--run', run])).rejects.toThrow(/give --out FILE/);
    await expect(tokensCommand(['--run', run, '--corpus', corpus, '--tokenizer', 'byte', '--out', out])).rejects.toThrow(/--run uses the run's own split and tokenizer; drop --tokenizer/);
    await expect(tokensCommand(['--run', run, '--out', out])).rejects.toThrow(/was trained on the corpus .*; pass --corpus/);
  });
});
