/**
 * The same layers (same seed, so the same weights) on every MoE backend
 * agree with the cpu reference: dense forward, and sparse inference with the
 * same routing. Routing may differ only where two scores (or a score and
 * the threshold) are within float32 rounding of each other.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manualSeed, setBackend } from '../../src/index.js';
import { MoEAttention } from '../../src/moe/moe-attention.js';
import { MoEFeedForward } from '../../src/moe/moe-ffn.js';
import type { InferMode, Routing } from '../../src/moe/routing.js';
import { moeBackends } from './backends.js';
import { closeTo, modeArb, randomTensor } from './helpers.js';

const others = (await moeBackends()).filter((b) => b !== 'cpu');

/** True when the two routings are equal, or differ only where the cpu scores are nearly tied. */
function sameOrNearTie(a: Routing, b: Routing, scores: ArrayLike<number>, n: number, mode: InferMode): boolean {
  return a.experts.every((es, t) => {
    const other = b.experts[t]!;
    if (es.length === other.length && es.every((e, i) => e === other[i])) return true;
    const row = Array.from({ length: n }, (_, e) => scores[t * n + e]!);
    const nearTie = row.some((x, i) => row.some((y, j) => i !== j && Math.abs(x - y) < 1e-5));
    const nearEps = 'eps' in mode && row.some((x) => Math.abs(n * x - mode.eps) < 1e-4);
    return nearTie || nearEps || mode.mode === 'thresholdTopK';
  });
}

describe.each(others)('%s agrees with cpu', (backendName) => {
  it('MoEFeedForward: forward and infer in every mode', async () => {
    const arb = fc.record({
      dModel: fc.integer({ min: 1, max: 6 }), nExperts: fc.integer({ min: 1, max: 6 }), expertHidden: fc.integer({ min: 1, max: 4 }),
      router: fc.constantFrom('linear', 'mlp' as const), tokens: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 0, max: 1e6 }),
    }).chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts)));
    await fc.assert(fc.asyncProperty(arb, async ([c, mode]) => {
      const run = async (name: string) => {
        await setBackend(name);
        manualSeed(c.seed);
        const layer = new MoEFeedForward(c);
        const x = randomTensor([c.tokens, c.dModel], c.seed + 1);
        const out = await layer.infer(x, mode);
        return { dense: await layer.forward(x).y.data(), sparse: await out.y.data(), routing: out.routing, scores: await out.scores.data(), be: out.y.backend.name };
      };
      const ref = await run('cpu');
      const got = await run(backendName);
      expect(got.be).toBe(backendName);
      expect(closeTo(got.dense, ref.dense).ok).toBe(true);
      expect(sameOrNearTie(ref.routing, got.routing, ref.scores, c.nExperts, mode)).toBe(true);
      if (JSON.stringify(ref.routing.experts) === JSON.stringify(got.routing.experts)) expect(closeTo(got.sparse, ref.sparse).ok).toBe(true);
    }), { numRuns: 12 });
  });

  it('MoEAttention: forward and infer in every mode', async () => {
    const arb = fc.record({
      nExperts: fc.integer({ min: 1, max: 3 }), headsPerExpert: fc.integer({ min: 1, max: 2 }), positional: fc.constantFrom('rotary', 'none' as const),
      batch: fc.integer({ min: 1, max: 2 }), seqLen: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 1e6 }),
    }).chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts)));
    await fc.assert(fc.asyncProperty(arb, async ([c, mode]) => {
      const run = async (name: string) => {
        await setBackend(name);
        manualSeed(c.seed);
        const layer = new MoEAttention({ ...c, dModel: 4, headDim: 2 });
        const x = randomTensor([c.batch, c.seqLen, 4], c.seed + 1);
        const out = await layer.infer(x, mode);
        return { dense: await layer.forward(x).y.data(), sparse: await out.y.data(), routing: out.routing, scores: await out.scores.data(), be: out.y.backend.name };
      };
      const ref = await run('cpu');
      const got = await run(backendName);
      expect(got.be).toBe(backendName);
      expect(closeTo(got.dense, ref.dense).ok).toBe(true);
      expect(sameOrNearTie(ref.routing, got.routing, ref.scores, c.nExperts, mode)).toBe(true);
      if (JSON.stringify(ref.routing.experts) === JSON.stringify(got.routing.experts)) expect(closeTo(got.sparse, ref.sparse).ok).toBe(true);
    }), { numRuns: 12 });
  });
});
