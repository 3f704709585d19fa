import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setBackend, type Tensor } from '../../src/index.js';
import { broadcastPairArb, gradcheckProperty, shapeArb, tensorValuesArb, valuesOfShapeArb } from '../../src/testing/index.js';

await setBackend('cpu');

const pair = broadcastPairArb({ maxRank: 3, maxDim: 3 }).chain(([a, b]) => fc.tuple(valuesOfShapeArb(a), valuesOfShapeArb(b)));

describe('gradcheckProperty', () => {
  it('passes correct gradients: a broadcast product, a float32 input checked in float64', async () => {
    const r = await gradcheckProperty((a, b) => a.mul(b).tanh(), pair, { numRuns: 25 });
    expect(r.numRuns).toBe(25);
    expect(r.maxAbsErr).toBeLessThan(1e-6);
    await gradcheckProperty((x) => x.exp().sum(-1), [tensorValuesArb({ dtype: 'float32', min: -1, max: 1, shape: shapeArb({ minRank: 1, maxRank: 2, maxDim: 3 }) })], { numRuns: 10 });
  });

  it('fails on a missing gradient path, naming the input, the element and both derivatives, with a replay seed', async () => {
    // x·detach(x): autograd sees ∂ = x where the derivative is 2x.
    const bad = (x: Tensor): Tensor => x.mul(x.detach());
    const arb = [tensorValuesArb({ min: 0.5, max: 2, shape: { minRank: 1, maxRank: 2, maxDim: 3 } })];
    const err = await gradcheckProperty(bad, arb, { numRuns: 20 }).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/input 0 \(float64 \[[\d, ]+\]\) at \[[\d, ]+\] \(value [\d.e-]+\): analytic ∂ [-\d.e]+, numeric ∂ [-\d.e]+/);
    const replay = /replay with \{ seed: (-?\d+), path: '([\d:]*)' \}/.exec(err!.message);
    expect(replay).not.toBeNull();
    // The printed seed and path replay the same failure.
    const again = await gradcheckProperty(bad, arb, { seed: Number(replay![1]), path: replay![2] }).then(() => null, (e: Error) => e);
    expect(again?.message.split('\n')[0]).toBe(err!.message.split('\n')[0]);
  });

  it('reports a function that throws as such', async () => {
    const throws = (x: Tensor): Tensor => x.reshape([7, 11]);
    await expect(gradcheckProperty(throws, [tensorValuesArb({ shape: { minRank: 1, maxRank: 1, maxDim: 3 } })], { numRuns: 10 })).rejects.toThrow(/fn threw: reshape[\s\S]*replay with \{ seed: /);
  });
});
