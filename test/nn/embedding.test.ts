import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { Embedding, randn, manualSeed, tensor, zeros } from '../../src/index.js';
import { gradcheckModule } from './helpers.js';

const ids = (vocab: number, n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed + i * 7) % vocab);

describe('Embedding', () => {
  test.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.nat()], { numRuns: 10 })(
    'passes gradcheck: repeated ids accumulate their gradients',
    async (vocab, d, seed) => {
      manualSeed(seed);
      const emb = new Embedding(vocab, d);
      const idx = tensor(ids(vocab, 5, seed), { dtype: 'int32', shape: [5] });
      const r = await gradcheckModule(emb, [], () => emb.forward(idx));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    },
  );

  test.prop([fc.integer({ min: 1, max: 6 }), fc.nat()], { numRuns: 10 })('row i of the output is row ids[i] of the weight', async (vocab, seed) => {
    manualSeed(seed);
    const emb = new Embedding(vocab, 3);
    const list = ids(vocab, 6, seed);
    const y = await emb.forward(tensor(list, { dtype: 'int32', shape: [2, 3] })).data();
    const w = await emb.weight.data();
    list.forEach((id, i) => {
      for (let j = 0; j < 3; j++) expect(y[i * 3 + j]).toBe(w[id * 3 + j]);
    });
    expect(emb.forward(tensor(list, { dtype: 'int32', shape: [2, 3] })).shape).toEqual([2, 3, 3]);
  });

  test('bad ids are refused with the reason', () => {
    const emb = new Embedding(4, 2);
    expect(() => emb.forward(tensor([0, 1]))).toThrow(/int32/);
    expect(() => emb.forward(tensor([0, 4], { dtype: 'int32' }))).toThrow(/4.*out of range/);
  });
});
