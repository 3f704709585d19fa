import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manualSeed, setBackend } from '../../src/index.js';
import { MoEFeedForward } from '../../src/moe/moe-ffn.js';
import { keepsEvery, route, routeSole, thresholdTopKCount, type InferMode } from '../../src/moe/routing.js';
import { sortByExpert } from '../../src/moe/dispatch.js';
import { checkRoutingFunction, checkRoutingOf, checkThreshold as kitCheckThreshold, type ScoreMatrix } from '../../src/testing/index.js';
import { moeBackends } from './backends.js';
import { randomTensor } from './helpers.js';

const backends = await moeBackends();

/** Scores on a coarse grid (so ties are common), T×N row-major. */
const scoresArb = fc
  .record({ tokens: fc.integer({ min: 0, max: 8 }), nExperts: fc.integer({ min: 1, max: 6 }) })
  .chain(({ tokens, nExperts }) => fc.record({
    tokens: fc.constant(tokens),
    nExperts: fc.constant(nExperts),
    scores: fc.array(fc.integer({ min: 0, max: 4 }).map((v) => v / 8), { minLength: tokens * nExperts, maxLength: tokens * nExperts }),
  }));

/** The kit's one-instance checkers (dsmoe/testing, written from routing.ts's spec) on a T×N score array. */
const matrix = (scores: readonly number[], n: number, tokens: number): ScoreMatrix => ({ tokens, nExperts: n, scores: [...scores] });

/** The checks shared by the host-level and the layer-level properties. */
function checkTopK(scores: readonly number[], n: number, k: number, experts: number[][], gates: number[][]): void {
  checkRoutingOf(matrix(scores, n, experts.length), { mode: 'topK', k }, { experts, gates });
}

function checkThreshold(scores: readonly number[], n: number, eps: number, experts: number[][]): void {
  kitCheckThreshold(matrix(scores, n, experts.length), { experts, gates: experts.map(() => []) }, eps);
}

describe('routing (host)', () => {
  it("satisfies every invariant of the kit's routing checkers, its loads those of the dispatcher's counting sort", () => {
    checkRoutingFunction(route, { loads: (r, n) => sortByExpert(r, n).counts });
  });

  it('topK selects exactly k experts, the k largest, ties to the lower index, in descending order', () => {
    fc.assert(fc.property(scoresArb.chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.nExperts }))), ([{ tokens, nExperts, scores }, k]) => {
      const r = route(scores, tokens, nExperts, { mode: 'topK', k });
      expect(r.k).toBe(k);
      checkTopK(scores, nExperts, k, r.experts, r.gates);
    }), { numRuns: 200 });
  });

  it('threshold selects exactly {e : N·S_e > eps}, or the argmax when that is empty; raising eps never adds an expert', () => {
    const arb = scoresArb.chain((c) => fc.tuple(fc.constant(c), fc.double({ min: 0, max: 4, noNaN: true }), fc.double({ min: 0, max: 4, noNaN: true })));
    fc.assert(fc.property(arb, ([{ tokens, nExperts, scores }, e1, e2]) => {
      const [lo, hi] = e1 <= e2 ? [e1, e2] : [e2, e1];
      const a = route(scores, tokens, nExperts, { mode: 'threshold', eps: lo });
      const b = route(scores, tokens, nExperts, { mode: 'threshold', eps: hi });
      checkThreshold(scores, nExperts, lo, a.experts);
      checkThreshold(scores, nExperts, hi, b.experts);
      b.experts.forEach((es, t) => es.forEach((e) => expect(a.experts[t]).toContain(e)));
      a.experts.forEach((es, t) => expect(es.length).toBeGreaterThanOrEqual(1));
    }), { numRuns: 200 });
  });

  it("thresholdTopK uses K = round(the batch's mean threshold count), halves up, within [1, N]", () => {
    const arb = scoresArb.filter((c) => c.tokens > 0).chain((c) => fc.tuple(fc.constant(c), fc.double({ min: 0, max: 4, noNaN: true })));
    fc.assert(fc.property(arb, ([{ tokens, nExperts, scores }, eps]) => {
      const th = route(scores, tokens, nExperts, { mode: 'threshold', eps });
      const mean = th.experts.reduce((s, es) => s + es.length, 0) / tokens;
      const r = route(scores, tokens, nExperts, { mode: 'thresholdTopK', eps });
      expect(r.k).toBe(Math.min(nExperts, Math.max(1, Math.round(mean))));
      checkTopK(scores, nExperts, r.k!, r.experts, r.gates);
    }), { numRuns: 200 });
    expect(thresholdTopKCount([1, 2], 4)).toBe(2); // 1.5 rounds up
    expect(thresholdTopKCount([1, 1, 2], 4)).toBe(1);
    expect(thresholdTopKCount([], 4)).toBe(1);
  });

  it('dense lists every expert in rank order; the counting sort is stable and its loads sum to the pairs', () => {
    const arb = scoresArb.chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.nExperts })));
    fc.assert(fc.property(arb, ([{ tokens, nExperts, scores }, k]) => {
      const d = route(scores, tokens, nExperts, { mode: 'dense' });
      checkTopK(scores, nExperts, nExperts, d.experts, d.gates);
      const r = route(scores, tokens, nExperts, { mode: 'topK', k });
      const p = sortByExpert(r, nExperts);
      expect(Array.from(p.counts).reduce((a, b) => a + b, 0)).toBe(tokens * k);
      for (let e = 0; e < nExperts; e++) {
        const block = Array.from(p.token.subarray(p.offsets[e]!, p.offsets[e + 1]!));
        expect(block).toEqual([...Array(tokens).keys()].filter((t) => r.experts[t]!.includes(e)));
        block.forEach((t, i) => expect(p.gate[p.offsets[e]! + i]).toBe(r.gates[t]![r.experts[t]!.indexOf(e)]));
      }
    }), { numRuns: 100 });
  });

  it('bad scores and modes are refused with the bad value named', () => {
    expect(() => route([0.5, NaN], 1, 2, { mode: 'dense' })).toThrow(/NaN for token 0, expert 1/);
    expect(() => route([0.5, 0.5], 1, 2, { mode: 'topK', k: 3 })).toThrow(/k=3/);
    expect(() => route([0.5, 0.5], 1, 2, { mode: 'threshold', eps: -0.5 })).toThrow(/eps=-0.5/);
    expect(() => route([0.5, 0.5], 1, 2, { mode: 'thresholdTopK', eps: Infinity })).toThrow(/eps=Infinity/);
    expect(() => route([0.5, 0.5], 1, 2, { mode: 'top2' } as unknown as InferMode)).toThrow(/unknown mode/);
    expect(() => sortByExpert({ experts: [[2]], gates: [[1]] }, 2)).toThrow(/expert index 2/);
  });
});

describe.each(backends)('routing of MoEFeedForward.infer on %s', (backendName) => {
  it('topK and threshold choose from the realized router scores exactly as specified', async () => {
    await setBackend(backendName);
    const arb = fc.record({
      nExperts: fc.integer({ min: 1, max: 8 }),
      tokens: fc.integer({ min: 1, max: 10 }),
      seed: fc.integer({ min: 0, max: 1e6 }),
      eps: fc.double({ min: 0, max: 3, noNaN: true }),
      kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    await fc.assert(fc.asyncProperty(arb, async ({ nExperts, tokens, seed, eps, kFrac }) => {
      manualSeed(seed);
      const layer = new MoEFeedForward({ dModel: 4, nExperts, expertHidden: 2 });
      const x = randomTensor([tokens, 4], seed + 1, 2);
      const k = Math.min(nExperts, 1 + Math.floor(kFrac * nExperts));
      const top = await layer.infer(x, { mode: 'topK', k });
      const scores = Array.from(await top.scores.data());
      checkTopK(scores, nExperts, k, top.routing.experts, top.routing.gates);
      expect(top.stats.k).toBe(k);
      const th = await layer.infer(x, { mode: 'threshold', eps });
      checkThreshold(scores, nExperts, eps, th.routing.experts);
      const higher = await layer.infer(x, { mode: 'threshold', eps: eps + 0.25 });
      higher.routing.experts.forEach((es, t) => es.forEach((e) => expect(th.routing.experts[t]).toContain(e)));
    }), { numRuns: 12 });
  });
});

describe('the shortcuts inference takes', () => {
  it('routeSole is route over scores of exactly 1, and keepsEvery is true exactly when every token keeps all experts', () => {
    const arb = fc.record({
      tokens: fc.integer({ min: 1, max: 6 }),
      mode: fc.oneof(
        fc.constant<InferMode>({ mode: 'dense' }),
        fc.constant<InferMode>({ mode: 'topK', k: 1 }),
        fc.double({ min: 0, max: 2, noNaN: true }).map((eps): InferMode => ({ mode: 'threshold', eps })),
        fc.double({ min: 0, max: 2, noNaN: true }).map((eps): InferMode => ({ mode: 'thresholdTopK', eps })),
      ),
    });
    fc.assert(fc.property(arb, ({ tokens, mode }) => {
      const sole = routeSole(tokens, mode);
      expect(sole).toEqual(route(new Float64Array(tokens).fill(1), tokens, 1, mode));
      // Every mode keeps a sole expert (a threshold keeps at least the top one), at its score 1.
      expect(keepsEvery(sole, 1)).toBe(true);
      expect(sole.gates.flat().every((g) => g === 1)).toBe(true);
    }), { numRuns: 50 });
    expect(keepsEvery({ experts: [[0, 1], [1, 0]], gates: [[0.5, 0.5], [0.5, 0.5]] }, 2)).toBe(true);
    expect(keepsEvery({ experts: [[0, 1], [1]], gates: [[0.5, 0.5], [1]] }, 2)).toBe(false);
  });
});
