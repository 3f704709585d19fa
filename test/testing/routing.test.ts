import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { route, sortByExpert, type InferMode, type Routing } from '../../src/index.js';
import {
  checkRoutingFunction, checkRoutingOf, routingProperties, specRanking, specThresholdSet, type RoutingFunction,
} from '../../src/testing/index.js';

/** A routing function from a ranking rule and a per-token count: the seeded bugs vary one of them. */
function routeWith(rank: (row: number[]) => number[], keep: (row: number[], ranked: number[], mode: InferMode) => number): RoutingFunction {
  return (scores, tokens, n, mode) => {
    const r: Routing = { experts: [], gates: [] };
    for (let t = 0; t < tokens; t++) {
      const row = Array.from({ length: n }, (_, e) => scores[t * n + e]!);
      const ranked = rank(row);
      const es = ranked.slice(0, keep(row, ranked, mode));
      r.experts.push(es);
      r.gates.push(es.map((e) => row[e]!));
    }
    return r;
  };
}

const failsWith = (fn: RoutingFunction, invariant: RegExp, opts = {}): void => {
  expect(() => checkRoutingFunction(fn, { numRuns: 300, ...opts })).toThrow(invariant);
};

describe('the routing checkers', () => {
  it("pass dsmoe's route, including its loads from the dispatcher's counting sort", () => {
    checkRoutingFunction(route, { loads: (r, n) => sortByExpert(r, n).counts });
  });

  it('catch renormalized gates, naming token, expert and both values', () => {
    const renorm: RoutingFunction = (s, t, n, mode) => {
      const r = route(s, t, n, mode);
      return { experts: r.experts, gates: r.gates.map((g) => g.map((v) => v / g.reduce((a, b) => a + b, 0))) };
    };
    failsWith(renorm, /gates are raw scores[\s\S]*token \d+, expert \d+: gate .* but S_e = /, { only: ['topK'] });
  });

  it('catch the wrong tie rule (higher index first among equal scores)', () => {
    const higherFirst = (row: number[]): number[] => [...row.keys()].sort((a, b) => row[b]! - row[a]! || b - a);
    const bad = routeWith(higherFirst, (row, _, mode) => (mode.mode === 'topK' ? mode.k : row.length));
    failsWith(bad, /among equal scores the lower index comes first|lower index wins the tie/, { only: ['topK'] });
  });

  it('catch a threshold written as ≥, and a fallback that is not the argmax', () => {
    const count = (cmp: (a: number, b: number) => boolean, empty: number) => (row: number[], ranked: number[], mode: InferMode) =>
      mode.mode === 'threshold' ? Math.max(empty, ranked.filter((e) => cmp(row.length * row[e]!, mode.eps)).length) : row.length;
    failsWith(routeWith(specRanking, count((a, b) => a >= b, 1)), /threshold exactness.*is chosen/, { only: ['threshold'] });
    // An empty A(x) kept empty: no expert at all.
    failsWith(routeWith(specRanking, count((a, b) => a > b, 0)), /token \d+ has no expert/, { only: ['threshold'] });
  });

  it("catch thresholdTopK's K rounded down, and K = N that is not dense", () => {
    const floorK: RoutingFunction = (s, t, n, mode) => {
      if (mode.mode !== 'thresholdTopK') return route(s, t, n, mode);
      const counts = Array.from({ length: t }, (_, i) => specThresholdSet(Array.from({ length: n }, (_, e) => s[i * n + e]!), mode.eps).length);
      const k = Math.max(1, Math.floor(counts.reduce((a, b) => a + b, 0) / Math.max(t, 1)));
      return route(s, t, n, { mode: 'topK', k });
    };
    failsWith(floorK, /top-K count.*expected k = /, { only: ['thresholdTopK'] });
    const denseByIndex: RoutingFunction = (s, t, n, mode) =>
      mode.mode === 'dense' ? routeWith((row) => [...row.keys()], (row) => row.length)(s, t, n, mode) : route(s, t, n, mode);
    failsWith(denseByIndex, /K = N is dense/, { only: ['topNIsDense'] });
  });

  it('catch ε handled backwards, miscounted loads and a batch-order dependence', () => {
    // Keeps {e : N·S_e < ε} (or the argmax): raising ε adds experts.
    const backwards = routeWith(specRanking, (row, ranked, mode) => (mode.mode === 'threshold' ? Math.max(1, ranked.filter((e) => row.length * row[e]! <= mode.eps).length) : row.length));
    failsWith(backwards, /monotone in ε/, { only: ['monotoneInEps'] });
    failsWith(route, /loads/, { only: ['loads'], loads: (r: Routing, n: number) => Array.from(sortByExpert(r, n).counts, (c, e) => (e === 0 ? c + 1 : c)) });
    // topK with k from the first token's threshold count: depends on which token is first.
    const firstToken: RoutingFunction = (s, t, n, mode) => {
      const k = t === 0 ? 1 : specThresholdSet(Array.from({ length: n }, (_, e) => s[e]!), 1).length;
      return route(s, t, n, mode.mode === 'dense' ? mode : { mode: 'topK', k });
    };
    failsWith(firstToken, /permutation equivariance.*token \d+, moved to position \d+/, { only: ['permutation'], minTokens: 2 });
  });

  it('catch top-p written as > (mass strictly above p), p = 1 left to the float sum, and p handled backwards', () => {
    const prefix = (reached: (mass: number, p: number) => boolean, oneIsDense: boolean) => (row: number[], ranked: number[], mode: InferMode): number => {
      if (mode.mode !== 'topP') return mode.mode === 'topK' ? mode.k : row.length;
      if (oneIsDense && mode.p === 1) return row.length;
      let mass = 0;
      const i = ranked.findIndex((e) => reached((mass += row[e]!), mode.p));
      return i < 0 ? row.length : i + 1;
    };
    failsWith(routeWith(specRanking, prefix((m, p) => m > p, true)), /top-p prefix: token \d+, p = .*expected the shortest prefix reaching p/, { only: ['topP'] });
    // [0.5, 0.5, 0, 0] sums to 1 after two experts: p = 1 must still keep all four.
    failsWith(routeWith(specRanking, prefix((m, p) => m >= p, false)), /p = 1 is dense/, { only: ['topPOneIsDense'] });
    const backwards = routeWith(specRanking, (row, ranked, mode) => (mode.mode === 'topP' ? Math.max(1, Math.ceil((1 - mode.p) * row.length)) : row.length));
    failsWith(backwards, /monotone in p/, { only: ['monotoneInP'] });
  });

  it('hand out properties for fc.check, whose failure carries the seed and the counterexample', () => {
    const swapped: RoutingFunction = (s, t, n, mode) => {
      const r = route(s, t, n, mode);
      return { experts: r.experts.map((es) => [...es].reverse()), gates: r.gates.map((g) => [...g].reverse()) };
    };
    const out = fc.check(routingProperties(swapped, { only: ['topK'] }).topK!, { numRuns: 200 });
    expect(out.failed).toBe(true);
    expect(typeof out.seed).toBe('number');
    expect(String(out.errorInstance)).toMatch(/rank order: token \d+: expert \d+ \(score .*\) is listed before expert \d+/);
    // Replaying the seed and path finds the same counterexample.
    const again = fc.check(routingProperties(swapped, { only: ['topK'] }).topK!, { seed: out.seed, path: out.counterexamplePath! });
    expect(again.counterexample).toEqual(out.counterexample);
  });

  it('check one instance by hand: the exact tie in [0.25, 0.5, 0.25] goes to the lower index', () => {
    const m = { tokens: 1, nExperts: 3, scores: [0.25, 0.5, 0.25] };
    checkRoutingOf(m, { mode: 'topK', k: 2 }, { experts: [[1, 0]], gates: [[0.5, 0.25]] });
    expect(() => checkRoutingOf(m, { mode: 'topK', k: 2 }, { experts: [[1, 2]], gates: [[0.5, 0.25]] }))
      .toThrow('top-K exactness: token 0: expert 0 (score 0.25) is left out but ranks before chosen expert 2 (score 0.25): equal scores, and the lower index wins the tie');
    // threshold(ε = 1.5): N·S = [0.75, 1.5, 0.75], nothing clears 1.5 strictly, so the argmax alone.
    checkRoutingOf(m, { mode: 'threshold', eps: 1.5 }, { experts: [[1]], gates: [[0.5]] });
    expect(() => checkRoutingOf(m, { mode: 'threshold', eps: 1.5 }, { experts: [[1, 0]], gates: [[0.5, 0.25]] })).toThrow(/expert 0 \(N·S_e = 0.75\) is chosen/);
    // topP(0.75): 0.5 < 0.75 ≤ 0.5 + 0.25, and of the tied 0.25s the lower index comes next.
    checkRoutingOf(m, { mode: 'topP', p: 0.75 }, { experts: [[1, 0]], gates: [[0.5, 0.25]] });
    expect(() => checkRoutingOf(m, { mode: 'topP', p: 0.75 }, { experts: [[1, 0, 2]], gates: [[0.5, 0.25, 0.25]] }))
      .toThrow('top-p prefix: token 0, p = 0.75: 3 experts [1, 0, 2] (mass 1), expected the shortest prefix reaching p, 2 experts (the first 2 already hold 0.75)');
    checkRoutingOf(m, { mode: 'topP', p: 1 }, { experts: [[1, 0, 2]], gates: [[0.5, 0.25, 0.25]] });
  });
});
