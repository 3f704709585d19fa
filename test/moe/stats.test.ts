import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manualSeed, setBackend } from '../../src/index.js';
import { MoEAttention } from '../../src/moe/moe-attention.js';
import { MoEFeedForward } from '../../src/moe/moe-ffn.js';
import { moeBackends } from './backends.js';
import { modeArb, randomTensor } from './helpers.js';

const backends = await moeBackends();

describe.each(backends)('routing statistics on %s', (backendName) => {
  it('MoEFeedForward: parameter counts add up to the layer; active parameters and FLOPs follow the pairs', async () => {
    await setBackend(backendName);
    const arb = fc.record({
      dModel: fc.integer({ min: 1, max: 6 }), nExperts: fc.integer({ min: 1, max: 6 }), expertHidden: fc.integer({ min: 1, max: 4 }),
      router: fc.constantFrom('linear', 'mlp' as const), bias: fc.boolean(), tokens: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 0, max: 1e6 }),
    }).chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts)));
    await fc.assert(fc.asyncProperty(arb, async ([c, mode]) => {
      manualSeed(c.seed);
      const layer = new MoEFeedForward(c);
      const { stats, routing } = await layer.infer(randomTensor([c.tokens, c.dModel], c.seed), mode);
      const [d, h, n] = [c.dModel, c.expertHidden, c.nExperts];
      expect(stats.totalParams).toBe(layer.numParameters());
      const pairs = routing.experts.reduce((s, es) => s + es.length, 0);
      expect(stats.pairs).toBe(pairs);
      const perExpert = 2 * d * h + (c.bias ? h : 0);
      const shared = layer.numParameters() - n * perExpert;
      expect(stats.activeParams).toBeCloseTo(shared + (pairs / c.tokens) * perExpert, 9);
      expect(stats.activeFraction).toBeCloseTo(stats.activeParams / stats.totalParams, 12);
      const routerMacs = c.router === 'linear' ? d * n : d * d + d * n;
      expect(stats.flops).toBe(2 * (c.tokens * routerMacs + pairs * 2 * d * h));
      if (mode.mode === 'dense') expect(stats.activeFraction).toBe(1);
    }), { numRuns: 15 });
  });

  it('MoEAttention: parameter counts add up to the layer; FLOPs count each pair’s projections and its causal context', async () => {
    await setBackend(backendName);
    manualSeed(4);
    const layer = new MoEAttention({ dModel: 8, nExperts: 4, headsPerExpert: 1, headDim: 2, nKvHeads: 1 });
    const [b, s] = [2, 3];
    const { stats, routing } = await layer.infer(randomTensor([b, s, 8], 5), { mode: 'topK', k: 2 });
    expect(stats.totalParams).toBe(layer.numParameters());
    expect(stats.activeExperts).toBe(2);
    const shared = 8 * 4 + 2 * 8 * 2;
    expect(stats.activeParams).toBe(shared + 2 * (2 * 8 * 2));
    // per pair: q and o projections 2·8·2, attention 2·D·(p + 1) for its one head
    let pairMacs = 0;
    routing.experts.forEach((es, t) => (pairMacs += es.length * (2 * 8 * 2 + 2 * 2 * ((t % s) + 1))));
    expect(stats.flops).toBe(2 * (b * s * (8 * 4 + 2 * 8 * 2) + pairMacs));
  });
});
