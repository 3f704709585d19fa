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

  it('is reproducible from a seed', () => {
    fc.assert(fc.property(logitsArb, fc.nat(), (logits, seed) => {
      const a = sampleToken(logits, { temperature: 0.8, topP: 0.9 }, new Generator(seed));
      const b = sampleToken(logits, { temperature: 0.8, topP: 0.9 }, new Generator(seed));
      expect(a).toBe(b);
    }), { numRuns: 20 });
  });
});
