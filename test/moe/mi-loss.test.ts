import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, fromData, grad, gradcheck, manualSeed, noGrad, setBackend, tensor } from '../../src/index.js';
import { conditionalEntropy, marginalEntropy, miLoss } from '../../src/moe/mi-loss.js';
import { Router } from '../../src/moe/router.js';
import { moeBackends } from './backends.js';
import { randomTensor } from './helpers.js';

const backends = await moeBackends();

const logitsArb = fc.record({
  tokens: fc.integer({ min: 1, max: 12 }),
  nExperts: fc.integer({ min: 1, max: 8 }),
  scale: fc.double({ min: 0, max: 20, noNaN: true }),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

describe.each(backends)('miLoss on %s', (backendName) => {
  it('lies within [−log N, log N] (in fact [−log N, 0]) in both forms', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(logitsArb, async ({ tokens, nExperts, scale, seed }) => {
      const logits = randomTensor([tokens, nExperts], seed, scale);
      const scores = logits.softmax(-1);
      const logN = Math.log(nExperts);
      for (const l of [await miLoss(scores, { logits }).item(), await miLoss(scores).item()]) {
        expect(l).toBeGreaterThanOrEqual(-logN - 1e-5);
        expect(l).toBeLessThanOrEqual(logN + 1e-6);
        expect(l).toBeLessThanOrEqual(1e-5);
      }
    }), { numRuns: 30 });
  });

  it('equals −log N for balanced one-hot routing', async () => {
    await setBackend(backendName);
    const arb = fc.record({ nExperts: fc.integer({ min: 1, max: 8 }), copies: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 1e6 }) });
    await fc.assert(fc.asyncProperty(arb, async ({ nExperts, copies, seed }) => {
      const g = new Generator(seed);
      const ids = [...Array(nExperts * copies).keys()].map((i) => i % nExperts);
      for (let i = ids.length - 1; i > 0; i--) {
        const j = g.int(i + 1);
        [ids[i], ids[j]] = [ids[j]!, ids[i]!];
      }
      const data = new Float32Array(ids.length * nExperts);
      ids.forEach((e, t) => (data[t * nExperts + e] = 1));
      const l = await miLoss(fromData(data, [ids.length, nExperts])).item();
      expect(Math.abs(l + Math.log(nExperts))).toBeLessThanOrEqual(1e-6);
    }), { numRuns: 20 });
  });

  it('matches a hand computation, and its parts are the two entropies', async () => {
    await setBackend(backendName);
    // S = [[1, 0], [0.5, 0.5]]: p = [0.75, 0.25]; mean H(e|x) = (0 + log 2)/2
    const s = tensor([[1, 0], [0.5, 0.5]]);
    const hMarg = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    expect(await marginalEntropy(s).item()).toBeCloseTo(hMarg, 6);
    expect(await conditionalEntropy(s).item()).toBeCloseTo(Math.log(2) / 2, 6);
    expect(await miLoss(s).item()).toBeCloseTo(Math.log(2) / 2 - hMarg, 6);
    // [..., N] inputs: tokens are every position but the last axis
    const s3 = s.reshape([1, 2, 2]);
    expect(await miLoss(s3).item()).toBeCloseTo(Math.log(2) / 2 - hMarg, 6);
    expect(() => miLoss(s, { logits: tensor([1, 2]) })).toThrow(/logits \[2\] and scores \[2, 2\]/);
  });

  it('minimising the MI loss alone drives per-token entropy down and marginal entropy up', async () => {
    await setBackend(backendName);
    manualSeed(11);
    const [tokens, d, n] = [64, 8, 4];
    const router = new Router({ dModel: d, nExperts: n });
    // A shared offset in the data makes the initial routing unbalanced.
    const x = randomTensor([tokens, d], 12).add(randomTensor([d], 13, 1.5));
    const entropies = async (): Promise<[number, number]> => {
      const s = noGrad(() => router.forward(x).softmax(-1));
      return [await conditionalEntropy(s).item(), await marginalEntropy(s).item()];
    };
    const [cond0, marg0] = await entropies();
    const params = router.parameters();
    for (let step = 0; step < 300; step++) {
      const logits = router.forward(x);
      const loss = miLoss(logits.softmax(-1), { logits });
      const grads = grad(loss, params);
      noGrad(() => params.forEach((p, i) => p.assign(p.sub(grads[i]!.mul(0.5)).detach())));
      await params[0]!.data();
    }
    const [cond1, marg1] = await entropies();
    expect(cond1).toBeLessThan(cond0 - 0.3);
    expect(marg1).toBeGreaterThan(marg0 + 0.05);
    expect(marg1).toBeGreaterThan(Math.log(n) - 0.1);
  });
});

describe('miLoss gradients', () => {
  it('passes gradcheck (float64) through softmax, in the log-softmax and the eps form', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(logitsArb, async ({ tokens, nExperts, seed }) => {
      const z = randomTensor([Math.min(tokens, 5), nExperts], seed, 2);
      const a = await gradcheck((l) => miLoss(l.softmax(-1), { logits: l }), [z]);
      const b = await gradcheck((l) => miLoss(l.softmax(-1)), [z]);
      if (!a.ok || !b.ok) throw new Error(JSON.stringify({ a, b }));
    }), { numRuns: 20 });
  });
});
