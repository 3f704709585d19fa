import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBrown } from '../../src/data/brown.js';
import { detagBrown, detagSentence, wordOf } from '../../src/data/brown-detag.js';
import { BROWN_GENRES, brownGenreName, brownGenreOf } from '../../src/data/brown-genres.js';

describe('detagging', () => {
  test('drops tags and prints English spacing and quotes', () => {
    const line = "\tThe/at jury/nn said/vbd ,/, ``/`` considering/in the/at size/nn ''/'' ./.";
    expect(detagSentence(line)).toBe('The jury said, "considering the size".');
    expect(detagSentence('He/pps paid/vbd (/( 1-1/2/cd )/) pounds/nns --/-- twice/rb !/.')).toBe('He paid (1-1/2) pounds -- twice!');
    expect(detagSentence("say/vb ,/, '/' Don't/do* worry/vb '/' ./.")).toBe("say, 'Don't worry'.");
  });

  test('tidies the corpus artefacts: doubled marks, and a period after an abbreviation', () => {
    expect(detagSentence('whom/wpo shall/md I/ppss fear/vb ?/. ?/.')).toBe('whom shall I fear?');
    expect(detagSentence('won/vbn by/in Ivan/np Allen/np Jr./np ./.')).toBe('won by Ivan Allen Jr.');
    expect(detagSentence("bars/nns of/in 1/8''/nn ''/'' brass/nn ./.")).toBe('bars of 1/8" brass.');
  });

  test('one sentence per line; the word is what comes before the last slash', () => {
    expect(detagBrown('\n\n\tA/at b/nn ./.\n\n\n\tC/np ./.\n')).toBe('A b.\nC.');
    expect(wordOf('and/or/cc')).toBe('and/or');
  });
});

describe('genres', () => {
  test('15 genres; ids name them', () => {
    expect(Object.keys(BROWN_GENRES)).toHaveLength(15);
    expect(brownGenreOf('ck12')).toBe('k');
    expect(brownGenreName('r')).toBe('humor');
    expect(() => brownGenreOf('ci01')).toThrow(/not a Brown Corpus file id: 'ci01'/);
  });
});

describe('loadBrown', () => {
  const docs = loadBrown();

  test('500 documents with the corpus manual\'s genre sizes', () => {
    expect(docs).toHaveLength(500);
    const sizes: Record<string, number> = {};
    for (const d of docs) sizes[d.genre] = (sizes[d.genre] ?? 0) + 1;
    expect(sizes).toEqual({ a: 44, b: 27, c: 17, d: 17, e: 36, f: 48, g: 75, h: 30, j: 80, k: 29, l: 24, m: 6, n: 29, p: 29, r: 9 });
    expect(docs[0]!.id).toBe('ca01');
    expect(docs[0]!.text.startsWith('The Fulton County Grand Jury said Friday an investigation of')).toBe(true);
  });

  test('no tags or TeX quotes are left in the text', () => {
    for (const d of docs) {
      expect(d.text).not.toMatch(/\S\/(nn|at|in|vbd|np)(\s|$)/m);
      expect(d.text).not.toMatch(/``|''/);
      expect(d.text.length).toBeGreaterThan(5000);
    }
  });

  test('filters by genre; a missing or empty folder is a clear error', () => {
    expect(loadBrown({ genres: ['r'] }).map((d) => d.id)).toEqual(['cr01', 'cr02', 'cr03', 'cr04', 'cr05', 'cr06', 'cr07', 'cr08', 'cr09']);
    expect(() => loadBrown({ genres: ['z'] })).toThrow(/no Brown documents in genres \[z\]/);
    const empty = mkdtempSync(join(tmpdir(), 'brown-'));
    writeFileSync(join(empty, 'README'), 'x');
    expect(() => loadBrown({ dir: empty })).toThrow(/no Brown Corpus files/);
  });
});
