import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import { PositionalEmbedding, randn, manualSeed, zeros } from '../../src/index.js';
import { gradcheckModule } from './helpers.js';

describe('PositionalEmbedding', () => {
  test('adds the rows of the positions at the offset', async () => {
    manualSeed(1);
    const pe = new PositionalEmbedding(5, 2);
    const y = await pe.forward(zeros([1, 2, 2]), 3).data();
    const w = await pe.weight.data();
    expect(Array.from(y)).toEqual(Array.from(w.slice(6, 10)));
    expect(() => pe.forward(zeros([1, 3, 2]), 3)).toThrow(/exceed maxLen 5/);
    expect(() => pe.forward(zeros([1, 3, 4]))).toThrow(/\[1, 3, 4\]/);
  });

  test('passes gradcheck', async () => {
    const pe = new PositionalEmbedding(4, 3);
    const r = await gradcheckModule(pe, [randn([2, 3, 3])], (x) => pe.forward(x, 1));
    expect(r.ok).toBe(true);
  });
});
