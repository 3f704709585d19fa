/** Preparing a corpus: a single file is cut into parts so it splits like a folder; streams and spans line up. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOf, cutDocument } from '../../src/data/corpus.js';
import { loadCorpus } from '../../src/cli/load-corpus.js';
import { ByteTokenizer } from '../../src/data/byte-tokenizer.js';
import { tempDir, tinyCorpus } from './helpers.js';

describe('cutDocument', () => {
  it('cuts a text into at most `parts` non-empty consecutive pieces that join back to it', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 30 }), (text, parts) => {
      const pieces = cutDocument({ id: 'f', genre: '', text }, parts);
      expect(pieces.map((p) => p.text).join('')).toBe(text);
      expect(pieces.length).toBeLessThanOrEqual(parts);
      if (text.length > 0) for (const p of pieces) expect(p.text.length).toBeGreaterThan(0);
      expect(new Set(pieces.map((p) => p.id)).size).toBe(pieces.length);
    }), { numRuns: 50 });
  });
});

describe('loadCorpus', () => {
  it('a folder: validation spans tile the validation stream, one per held-out document', () => {
    const data = loadCorpus({ corpus: tinyCorpus(), tokenizer: 'byte', bpeVocab: 0, valFraction: 0.34, seed: 1 });
    expect(data.trainDocs + data.valDocs).toBe(6);
    expect(data.valSpans.length).toBe(data.valDocs);
    expect(data.valSpans[0]!.start).toBe(0);
    expect(data.valSpans[data.valSpans.length - 1]!.end).toBe(data.val.length);
    data.valSpans.slice(1).forEach((s, i) => expect(s.start).toBe(data.valSpans[i]!.end));
    expect(bytesOf(new ByteTokenizer(), data.val)).toBe(data.val.length);
  });

  it('a single file trains and validates on different parts of it', () => {
    const file = join(tempDir(), 'book.txt');
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => `Line ${i} of a single long text file.`).join('\n'));
    const data = loadCorpus({ corpus: file, tokenizer: 'byte', bpeVocab: 0, valFraction: 0.1, seed: 2 });
    expect(data.trainDocs).toBeGreaterThan(data.valDocs);
    expect(data.valDocs).toBeGreaterThan(0);
    expect(data.train.length + data.val.length).toBeGreaterThan(200 * 30);
  });

  it('a missing path is named in the error', () => {
    expect(() => loadCorpus({ corpus: '/no/such/place', tokenizer: 'byte', bpeVocab: 0, valFraction: 0.1, seed: 1 })).toThrow(/\/no\/such\/place/);
  });
});
