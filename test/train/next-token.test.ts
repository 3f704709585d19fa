/** Choosing the next token from logits: greedy at temperature 0, only from the nucleus, reproducible from a seed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleToken } from '../../src/train/next-token.js';
import { Generator } from '../../src/tensor/random.js';

describe('sampleToken', () => {
  const logitsArb = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 });

  it('temperature 0 is greedy (the first largest logit)', () => {
    fc.assert(fc.property(logitsArb, fc.nat(), (logits, seed) => {
      const best = logits.indexOf(Math.max(...logits));
      expect(sampleToken(logits, { temperature: 0, topP: 1 }, new Generator(seed))).toBe(best);
    }), { numRuns: 30 });
  });

  it('draws only from the nucleus: the most likely tokens whose mass first reaches p', () => {
    fc.assert(fc.property(logitsArb, fc.double({ min: 0.01, max: 1, noNaN: true }), fc.nat(), (logits, topP, seed) => {
      const max = Math.max(...logits);
      const p = logits.map((l) => Math.exp(l - max));
      const z = p.reduce((a, b) => a + b, 0);
      const order = p.map((_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
      const nucleus = new Set<number>();
      let mass = 0;
      for (const i of order) {
        nucleus.add(i);
        mass += p[i]! / z;
        if (mass >= topP) break;
      }
      const rng = new Generator(seed);
      for (let i = 0; i < 5; i++) expect(nucleus.has(sampleToken(logits, { temperature: 1, topP }, rng))).toBe(true);
    }), { numRuns: 30 });
  });

  it('draws exactly what sorting the whole vocabulary would (long nuclei, flat and tied logits included)', () => {
    // The reference: every token sorted by probability (ties by lower id), the nucleus its shortest prefix reaching p.
    const reference = (logits: number[], t: number, topP: number, rng: Generator): number => {
      const max = Math.max(...logits);
      const p = logits.map((l) => Math.exp((l - max) / t));
      const z = p.reduce((a, b) => a + b, 0);
      const keep: number[] = [];
      let mass = 0;
      for (const i of p.map((_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b)) {
        keep.push(i);
        mass += p[i]! / z;
        if (mass >= topP) break;
      }
      let u = rng.uniform() * keep.reduce((s, i) => s + p[i]!, 0);
      for (const i of keep) {
        u -= p[i]!;
        if (u < 0) return i;
      }
      return keep[keep.length - 1]!;
    };
    const vocab = fc.array(fc.integer({ min: -3, max: 3 }).map((x) => x / 2), { minLength: 1, maxLength: 300 });
    fc.assert(fc.property(vocab, fc.double({ min: 0.05, max: 1, noNaN: true }), fc.double({ min: 0.3, max: 3, noNaN: true }), fc.nat(), (logits, topP, t, seed) => {
      expect(sampleToken(logits, { temperature: t, topP }, new Generator(seed))).toBe(reference(logits, t, topP, new Generator(seed)));
    }), { numRuns: 200 });
  });

  it('is reproducible from a seed', () => {
    fc.assert(fc.property(logitsArb, fc.nat(), (logits, seed) => {
      const a = sampleToken(logits, { temperature: 0.8, topP: 0.9 }, new Generator(seed));
      const b = sampleToken(logits, { temperature: 0.8, topP: 0.9 }, new Generator(seed));
      expect(a).toBe(b);
    }), { numRuns: 20 });
  });
});
