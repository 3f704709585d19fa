import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { splitDocuments } from '../../src/data/split.js';
import type { TextDocument } from '../../src/data/document.js';

const docsArb = fc.uniqueArray(
  fc.record({ id: fc.string({ minLength: 1, maxLength: 6 }), genre: fc.constantFrom('a', 'b', 'c', ''), text: fc.constant('x') }),
  { selector: (d) => d.id, minLength: 2, maxLength: 60 },
);
const fraction = fc.double({ min: 0.05, max: 0.5, noNaN: true });

describe('splitDocuments', () => {
  test('is a partition of the documents, by id, keeping input order', () => {
    fc.assert(fc.property(docsArb, fraction, fc.integer(), (docs, f, seed) => {
      const { train, val } = splitDocuments(docs, { valFraction: f, seed });
      expect(train.length + val.length).toBe(docs.length);
      const valIds = new Set(val.map((d) => d.id));
      expect(train.some((d) => valIds.has(d.id))).toBe(false);
      expect(train).toEqual(docs.filter((d) => !valIds.has(d.id)));
      expect(val.length).toBeGreaterThan(0);
      expect(train.length).toBeGreaterThan(0);
    }), { numRuns: 100 });
  });

  test('is reproducible and does not depend on input order', () => {
    fc.assert(fc.property(docsArb, fraction, fc.integer(), (docs, f, seed) => {
      const a = splitDocuments(docs, { valFraction: f, seed });
      const b = splitDocuments([...docs].reverse(), { valFraction: f, seed });
      expect(new Set(b.val.map((d) => d.id))).toEqual(new Set(a.val.map((d) => d.id)));
    }), { numRuns: 100 });
  });

  test('every genre with two or more documents is represented in validation', () => {
    fc.assert(fc.property(docsArb, fraction, fc.integer(), (docs, f, seed) => {
      const { val } = splitDocuments(docs, { valFraction: f, seed });
      for (const g of new Set(docs.map((d) => d.genre))) {
        if (docs.filter((d) => d.genre === g).length >= 2) expect(val.some((d) => d.genre === g)).toBe(true);
      }
    }), { numRuns: 100 });
  });

  test('holds out about valFraction of each genre, and different seeds give different splits', () => {
    const docs: TextDocument[] = Array.from({ length: 200 }, (_, i) => ({ id: `d${i}`, genre: i % 2 ? 'odd' : 'even', text: '' }));
    const a = splitDocuments(docs, { valFraction: 0.1, seed: 1 });
    expect(a.val.filter((d) => d.genre === 'odd')).toHaveLength(10);
    expect(a.val.filter((d) => d.genre === 'even')).toHaveLength(10);
    const b = splitDocuments(docs, { valFraction: 0.1, seed: 2 });
    expect(b.val.map((d) => d.id)).not.toEqual(a.val.map((d) => d.id));
  });

  test('genres of one document stay in training; one document is still held out', () => {
    const docs: TextDocument[] = [{ id: 'x', genre: 'c', text: '' }, { id: 'y', genre: 'a', text: '' }];
    const { train, val } = splitDocuments(docs, { valFraction: 0.5, seed: 0 });
    expect([train.length, val.length]).toEqual([1, 1]);
  });

  test('valFraction 0 keeps everything for training', () => {
    const docs: TextDocument[] = [{ id: 'only', genre: '', text: 'x' }];
    expect(splitDocuments(docs, { valFraction: 0, seed: 0 })).toEqual({ train: docs, val: [] });
  });

  test('bad input is a clear error', () => {
    const one: TextDocument[] = [{ id: 'a', genre: '', text: '' }];
    expect(() => splitDocuments(one, { valFraction: 0.1, seed: 0 })).toThrow(/at least 2 documents, got 1/);
    expect(() => splitDocuments([...one, ...one], { valFraction: 0.1, seed: 0 })).toThrow(/id 'a' appears twice/);
    expect(() => splitDocuments(one, { valFraction: 1, seed: 0 })).toThrow(/valFraction must be in \[0, 1\), got 1/);
    expect(() => splitDocuments(one, { valFraction: 0.1, seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});
