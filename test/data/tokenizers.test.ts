import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ByteTokenizer } from '../../src/data/byte-tokenizer.js';
import { BpeTokenizer } from '../../src/data/bpe-tokenizer.js';
import { trainBpeMerges } from '../../src/data/bpe-train.js';
import { chunks } from '../../src/data/pretokenize.js';
import { tokenizerFromJSON } from '../../src/data/tokenizer-json.js';
import { utf8Bytes } from '../../src/data/tokenizer.js';
import { loadBrown } from '../../src/data/brown.js';

const SAMPLE = [
  'The Fulton County Grand Jury said Friday an investigation of recent primary elections produced no evidence.',
  'The jury further said that the City Executive Committee deserves the praise and thanks of the City.',
  'Ünïcödé tèxt, emoji 🙂🙂 and 数字 123 456 — with   odd   spacing\n\nand new lines.',
].join('\n').repeat(20);

/** Any JS string: graphemes, arbitrary code points, and raw UTF-16 units (lone surrogates too). */
const anyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((u) => String.fromCharCode(...u)),
);

/** What UTF-8 can carry: lone surrogates become U+FFFD. */
const wellFormed = (s: string): string => s.replace(/\p{Cs}/gu, '\uFFFD');

describe('ByteTokenizer', () => {
  const tok = new ByteTokenizer({ specials: ['<|endoftext|>'] });

  test('ids are the UTF-8 bytes; the vocabulary is 256 plus specials', () => {
    expect(Array.from(tok.encode('hé'))).toEqual([0x68, 0xc3, 0xa9]);
    expect(tok.vocabSize).toBe(257);
    expect(tok.specialId('<|endoftext|>')).toBe(256);
    expect(tok.decode([0x68, 256, 0x69])).toBe('h<|endoftext|>i');
  });

  test('round trip: decode(encode(s)) is s (made well-formed) for any string', () => {
    fc.assert(fc.property(anyString, (s) => tok.decode(tok.encode(s)) === wellFormed(s)), { numRuns: 300 });
  });

  test('encoding text that spells a special token does not produce its id', () => {
    expect(Array.from(tok.encode('<|endoftext|>'))).not.toContain(256);
  });

  test('invalid byte sequences decode to U+FFFD instead of throwing', () => {
    expect(tok.decode([0xc3])).toBe('\uFFFD');
    expect(tok.decode([0xff, 0x41])).toBe('\uFFFDA');
  });

  test('bad ids and unknown specials are clear errors', () => {
    expect(() => tok.decode([1, 300])).toThrow(/id 300 at position 1 is out of range for a vocabulary of 257/);
    expect(() => tok.decode([1.5])).toThrow(/id 1.5/);
    expect(() => tok.specialId('<pad>')).toThrow(/no special token '<pad>'.*<\|endoftext\|>/);
    expect(() => new ByteTokenizer({ specials: ['a', 'a'] })).toThrow(/listed twice/);
  });

  test('toJSON / fromJSON round trip', () => {
    const back = tokenizerFromJSON(JSON.stringify(tok));
    expect(back).toBeInstanceOf(ByteTokenizer);
    expect(back.vocabSize).toBe(257);
    expect(back.toJSON()).toEqual(tok.toJSON());
  });
});

describe('pre-tokenization', () => {
  test('chunks concatenate back to the text', () => {
    fc.assert(fc.property(anyString, (s) => [...chunks(s)].join('') === s), { numRuns: 300 });
  });
  test('words keep their leading space', () => {
    expect([...chunks("I'm here, 42 times")]).toEqual(['I', "'m", ' here', ',', ' 42', ' times']);
  });
});

/** The textbook trainer: re-count every pair from scratch before each merge. */
function naiveMerges(text: string, targetVocab: number): number[] {
  let words = [...chunks(text)].map((c) => Array.from(utf8Bytes(c)));
  const merges: number[] = [];
  while (256 + merges.length / 2 < targetVocab) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) {
      const k = `${w[i]},${w[i + 1]}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let best: [number, number] | null = null;
    let bestCount = 1; // minCount 2
    for (const [k, c] of counts) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best !== null && (a < best[0] || (a === best[0] && b < best[1])))) {
        if (c >= 2) { best = [a, b]; bestCount = c; }
      }
    }
    if (!best) break;
    const id = 256 + merges.length / 2;
    merges.push(...best);
    words = words.map((w) => {
      const out: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === best![0] && w[i + 1] === best![1]) { out.push(id); i++; } else out.push(w[i]!);
      }
      return out;
    });
  }
  return merges;
}

describe('BpeTokenizer', () => {
  const tok = BpeTokenizer.train(SAMPLE, 400, { specials: ['<|endoftext|>'] });

  test('learns merges up to the requested vocabulary and compresses its training text', () => {
    expect(tok.vocabSize).toBe(400);
    expect(tok.numMerges).toBe(400 - 256 - 1);
    expect(tok.encode(SAMPLE).length).toBeLessThan(utf8Bytes(SAMPLE).length / 3);
  });

  test('the incremental trainer learns exactly what re-counting from scratch learns', () => {
    const text = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', 'é'), maxLength: 120 }), fc.string({ maxLength: 80 }));
    fc.assert(fc.property(text, fc.integer({ min: 256, max: 320 }), (t, v) => {
      expect(trainBpeMerges(t, v)).toEqual(naiveMerges(t, v));
    }), { numRuns: 60 });
  });

  test('training is deterministic', () => {
    expect(BpeTokenizer.train(SAMPLE, 400).toJSON()).toEqual(BpeTokenizer.train(SAMPLE, 400).toJSON());
  });

  test('round trip for any string, seen in training or not', () => {
    fc.assert(fc.property(anyString, (s) => tok.decode(tok.encode(s)) === wellFormed(s)), { numRuns: 300 });
  });

  test('every id decodes and stops early when no pair repeats', () => {
    const small = BpeTokenizer.train('abcabc', 1000);
    expect(small.vocabSize).toBe(256 + 2); // 'ab' then 'abc' (each seen twice); nothing else repeats
    expect(small.decode([256, 257])).toBe('ababc');
  });

  test('toJSON / fromJSON gives the same encoder', () => {
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok)));
    expect(back).toBeInstanceOf(BpeTokenizer);
    fc.assert(fc.property(anyString, (s) => Array.from(back.encode(s)).join() === Array.from(tok.encode(s)).join()), { numRuns: 100 });
  });

  test('bad tokenizer JSON is a clear error', () => {
    const good = tok.toJSON();
    expect(() => tokenizerFromJSON('{')).toThrow(/does not parse/);
    expect(() => tokenizerFromJSON({ ...good, format: 'x' })).toThrow(/not a dsmoe tokenizer/);
    expect(() => tokenizerFromJSON({ ...good, version: 9 })).toThrow(/version 9 is not supported/);
    expect(() => tokenizerFromJSON({ ...good, kind: 'wordpiece' })).toThrow(/unknown tokenizer kind 'wordpiece'/);
    expect(() => tokenizerFromJSON({ ...good, pretokenizer: '(a+)+$' })).toThrow(/unknown pre-tokenizer/);
    expect(() => tokenizerFromJSON({ ...good, merges: [1, 2, 3] })).toThrow(/in pairs/);
    expect(() => tokenizerFromJSON({ ...good, merges: [1, 256] })).toThrow(/merge 0 refers to id 256/);
    expect(() => BpeTokenizer.train('abc', 100)).toThrow(/at least 256 bytes \+ 0 special tokens = 256, got 100/);
    expect(() => BpeTokenizer.train('abc', 256, { specials: ['<s>'] })).toThrow(/= 257, got 256/);
  });
});

test('BPE on a megabyte of real English: compresses it and round-trips held-out text', () => {
  const docs = loadBrown({ genres: ['a', 'k', 'j'] });
  const train = docs.slice(0, 100).map((d) => d.text).join('\n\n').slice(0, 1_000_000);
  const tok = BpeTokenizer.train(train, 2048);
  expect(tok.vocabSize).toBe(2048);
  const held = docs.slice(100).map((d) => d.text).join('\n\n');
  const ids = tok.encode(held);
  expect(tok.decode(ids)).toBe(held);
  expect(utf8Bytes(held).length / ids.length).toBeGreaterThan(2.5); // bytes per token on unseen text
  expect(tok.decode(tok.encode(' the'))).toBe(' the');
  expect(tok.encode(' the')).toHaveLength(1); // the commonest word is one token
});
