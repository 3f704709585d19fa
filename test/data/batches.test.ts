import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { batchTensors, randomBatch, sequentialBatches } from '../../src/data/batches.js';
import { Generator } from '../../src/tensor/random.js';

const stream = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i); // token i is i: offsets are visible

describe('randomBatch', () => {
  test('rows are contiguous windows and targets are inputs shifted by one', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (n, B, S, seed) => {
      fc.pre(n > S);
      const batch = randomBatch(stream(n), B, S, new Generator(seed));
      for (let b = 0; b < B; b++) {
        const start = batch.inputs[b * S]!;
        for (let s = 0; s < S; s++) {
          expect(batch.inputs[b * S + s]).toBe(start + s);
          expect(batch.targets[b * S + s]).toBe(start + s + 1);
        }
        expect(start + S).toBeLessThan(n);
      }
    }), { numRuns: 100 });
  });

  test('the same generator state gives the same batch', () => {
    const g = new Generator(7);
    const state = g.getState();
    const a = randomBatch(stream(1000), 4, 16, g);
    g.setState(state);
    expect(randomBatch(stream(1000), 4, 16, g)).toEqual(a);
  });

  test('a window longer than the stream is a clear error', () => {
    expect(() => randomBatch(stream(10), 1, 10, new Generator(0))).toThrow(/window of 11 tokens does not fit in 10 tokens/);
    expect(() => randomBatch(stream(10), 0, 4, new Generator(0))).toThrow(/batchSize must be a positive integer, got 0/);
  });
});

describe('sequentialBatches', () => {
  test('every token after the first is a target exactly once, in order', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 400 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 50 }), (n, B, S) => {
      const seen: number[] = [];
      for (const batch of sequentialBatches(stream(n), B, S)) {
        expect(batch.batchSize).toBeLessThanOrEqual(B);
        expect(batch.seqLen).toBeLessThanOrEqual(S);
        batch.targets.forEach((t, i) => expect(batch.inputs[i]).toBe(t - 1));
        seen.push(...batch.targets);
      }
      expect(seen).toEqual(Array.from({ length: n - 1 }, (_, i) => i + 1));
    }), { numRuns: 100 });
  });
});

test('batchTensors makes int32 tensors of shape [B, S]', async () => {
  const batch = randomBatch(stream(100), 3, 5, new Generator(1));
  const { inputs, targets } = batchTensors(batch);
  expect(inputs.shape).toEqual([3, 5]);
  expect(inputs.dtype).toBe('int32');
  expect(Array.from(await targets.data())).toEqual(Array.from(batch.targets));
});
