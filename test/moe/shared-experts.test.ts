/**
 * Shared experts (DeepSeekMoE, shared-experts.ts): a dense block beside the
 * routed experts, used by every token in training and in every inference
 * mode, ungated, never a router choice. Checked against the loop reference
 * with the kit's layer checkers, through gradcheck, in the statistics
 * (always active, never in the loads) and in the language model's config.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getBackend, manualSeed, noGrad, randn, setBackend, type Tensor } from '../../src/index.js';
import { MoEFeedForward, type MoEFeedForwardOptions } from '../../src/moe/moe-ffn.js';
import { ffnHostWeights, sharedOnToken } from '../../src/moe/oracle.js';
import { lmConfig, routerExperts } from '../../src/moe/lm-config.js';
import { LanguageModel } from '../../src/moe/lm.js';
import { stateDictShapes } from '../../src/moe/lm-shapes.js';
import { checkDispatcher, checkSparseBound } from '../../src/testing/index.js';
import { closeTo, layerForward, modeArb, randomTensor, layerGradcheck } from './helpers.js';

await setBackend('cpu');

/** A layer with every parameter moved off its initial value (so each shows in the output). */
function layerOf(opts: Partial<MoEFeedForwardOptions>, seed = 3): MoEFeedForward {
  manualSeed(seed);
  const layer = new MoEFeedForward({ dModel: 5, nExperts: 4, expertHidden: 3, sharedExperts: 2, ...opts });
  for (const p of layer.parameters()) p.assign(noGrad(() => p.add(randn([...p.shape]).mul(0.3))));
  return layer;
}

describe('shared experts', () => {
  it('pass the kit\'s dispatcher and sparse-bound checks in every mode, convex and scaled, with and without biases', async () => {
    expect(getBackend().name).toBe('cpu');
    for (const gate of ['convex', 'scaled'] as const) {
      for (const bias of [true, false]) {
        const layer = layerOf({ gate, bias });
        const w = await ffnHostWeights(layer);
        expect(w.shared?.hidden).toBe(6);
        await checkDispatcher(layerForward(layer), w, { numRuns: 15 });
        await checkSparseBound(layerForward(layer), w, { numRuns: 15 });
      }
    }
  });

  it('every token gets shared(x) in every mode, ungated: y minus it is the layer without them', async () => {
    await fc.assert(fc.asyncProperty(modeArb(4), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1000 }), async (mode, tokens, seed) => {
      const layer = layerOf({}, seed);
      const w = await ffnHostWeights(layer);
      const x = randomTensor([tokens, 5], seed + 1);
      const xs = await x.data();
      const withShared = await (await layer.infer(x, mode)).y.data();
      const without = await (await layer.infer(x, mode)).y.data();
      expect(withShared).toEqual(without);
      // The same routed weights with the shared block zeroed: the difference is shared(x), for every token.
      noGrad(() => layer.shared!.w2.assign(layer.shared!.w2.mul(0)));
      const routedOnly = await (await layer.infer(x, mode)).y.data();
      const diff = Array.from(withShared, (v, i) => v - routedOnly[i]!);
      const expected = Array.from({ length: tokens }, (_, t) => Array.from(sharedOnToken(w, xs, t * 5)!)).flat();
      const c = closeTo(diff, expected, 1e-5, 1e-4);
      expect(c.ok, c.worst).toBe(true);
    }), { numRuns: 10 });
  });

  it('are always active and never in the router\'s loads: stats count them in every token\'s parameters and FLOPs', async () => {
    const layer = layerOf({});
    const x = randomTensor([6, 5], 7);
    const { stats } = await layer.infer(x, { mode: 'topK', k: 1 });
    const [d, h] = [5, 3];
    const sharedParams = 2 * d * 2 * h + 2 * h;
    expect(stats.sharedExperts).toBe(2);
    expect(stats.load).toHaveLength(4);
    expect(stats.load.reduce((a, b) => a + b, 0)).toBe(6);
    expect(stats.activeExperts).toBe(1);
    const router = d * 4;
    const perExpert = 2 * d * h + h;
    expect(stats.activeParams).toBe(router + d + sharedParams + perExpert);
    expect(stats.totalParams).toBe(layer.numParameters());
    expect(stats.flops).toBe(2 * (6 * (router + 2 * d * 2 * h) + 6 * 2 * d * h));
  });

  it('pass gradcheck (float64) in the dense forward: input, router, routed and shared experts', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.constantFrom('convex', 'scaled' as const), async (seed, gate) => {
      manualSeed(seed);
      const layer = new MoEFeedForward({ dModel: 3, nExperts: 2, expertHidden: 2, sharedExperts: 1, gate, dtype: 'float64' });
      const x = randomTensor([3, 3], seed + 1).cast('float64');
      const probe = randomTensor([3, 3], seed + 2).cast('float64');
      const names = layer.namedParameters().map(([n]) => n);
      expect(names).toEqual(expect.arrayContaining(['shared.w1', 'shared.b1', 'shared.w2']));
      const report = await layerGradcheck(layer, x, probe, (aux) => aux.mi);
      expect(report.ok, JSON.stringify(report)).toBe(true);
    }), { numRuns: 10 });
  });

  it('in the language model: taken from nExperts (the FFN keeps its width), the router chooses among the rest', () => {
    const c = lmConfig('tiny', { sharedExperts: 2 });
    expect(routerExperts(c)).toBe(6);
    const shapes = stateDictShapes(c);
    expect(shapes['blocks.0.ffn.w1']).toEqual([64, 6 * 32]);
    expect(shapes['blocks.0.ffn.shared.w1']).toEqual([64, 2 * 32]);
    expect(shapes['blocks.0.ffn.router.proj.weight']).toEqual([64, 6]);
    const m = new LanguageModel(c);
    const own = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]: [string, Tensor]) => [k, [...t.shape]]));
    expect(own).toEqual(shapes);
    // A Dense model has no router to share from: the option is not read.
    expect(stateDictShapes(lmConfig('tiny', { kind: 'dense', sharedExperts: 2 }))).toEqual(stateDictShapes(lmConfig('tiny', { kind: 'dense' })));
  });

  it('refuse a negative count and more shared than the experts there are, by value, at construction', () => {
    expect(() => new MoEFeedForward({ dModel: 4, nExperts: 2, expertHidden: 2, sharedExperts: -1 })).toThrow('MoEFeedForward: sharedExperts=-1 must be an integer ≥ 0');
    expect(() => lmConfig('tiny', { sharedExperts: -1 })).toThrow('model config: sharedExperts must be an integer ≥ 0, got -1');
    expect(() => lmConfig('tiny', { sharedExperts: 1.5 })).toThrow('model config: sharedExperts must be an integer ≥ 0, got 1.5');
    expect(() => lmConfig('tiny', { sharedExperts: 9 })).toThrow('model config: sharedExperts=9 must be less than nExperts=8 (at least one routed expert)');
    expect(() => lmConfig('tiny', { sharedExperts: 8 })).toThrow('model config: sharedExperts=8 must be less than nExperts=8');
    expect(() => lmConfig('tiny', { kind: 'smoe', sharedExperts: 7, smoeTopK: 2 })).toThrow(/smoeTopK=2 exceeds the FFN router's 1 choices/);
  });
});
