/**
 * The worked example of docs/testing.md. The doc quotes this file's
 * regions (// #region … // #endregion) verbatim, and the last test here
 * fails if a ```ts block of the doc is not, word for word, in this file:
 * what the doc shows is what CI runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setBackend } from '../../src/index.js';

// #region imports
import fc from 'fast-check';
import { fromData, stack, type InferMode, type Routing, type Tensor } from 'dsmoe';
import {
  checkDispatcher, checkRoutingFunction, checkSparseBound, gradcheckProperty, moeGradcheck, scoresArb,
  shapeArb, valuesOfShapeArb, type FfnHostWeights, type LayerForward, type RoutingFunction, type SparseMoEForward,
} from 'dsmoe/testing';
// #endregion imports

await setBackend('cpu');

// #region tiny-route
/** Our own routing: rank by score (lower index first on ties), keep a prefix whose length the mode sets. */
function rankRow(row: number[]): number[] {
  return row.map((_, e) => e).sort((a, b) => row[b]! - row[a]! || a - b);
}

function tinyRoute(rank: (row: number[]) => number[]): RoutingFunction {
  return (scores, tokens, n, mode) => {
    const rows = Array.from({ length: tokens }, (_, t) => Array.from({ length: n }, (_, e) => scores[t * n + e]!));
    const above = (row: number[], eps: number) => Math.max(1, row.filter((s) => n * s > eps).length);
    const meanAbove = (eps: number) => rows.reduce((sum, row) => sum + above(row, eps), 0) / Math.max(1, tokens);
    const reaching = (row: number[], p: number) => {
      let mass = 0;
      const i = rank(row).findIndex((e) => (mass += row[e]!) >= p);
      return p === 1 || i < 0 ? n : i + 1;
    };
    const keep = (row: number[]): number => {
      switch (mode.mode) {
        case 'dense': return n;
        case 'topK': return mode.k;
        case 'threshold': return above(row, mode.eps);
        case 'thresholdTopK': return Math.min(n, Math.max(1, Math.round(meanAbove(mode.eps))));
        case 'topP': return reaching(row, mode.p);
      }
    };
    const experts = rows.map((row) => rank(row).slice(0, keep(row)));
    return { experts, gates: experts.map((es, t) => es.map((e) => rows[t]![e]!)) };
  };
}
// #endregion tiny-route

// #region tiny-layer
/** A tiny MoE FFN on plain arrays: S = softmax(x·W_r), y = b2 + Σ_{e∈A(x)} S_e·tanh(x·W1_e + b1_e)·W2_e. */
interface TinyMoE extends FfnHostWeights {
  router: number[]; // d×N
}

function tinyMoE(d: number, n: number, h: number, seed: number): TinyMoE {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const values = (count: number) => Array.from({ length: count }, rand);
  return { dModel: d, nExperts: n, expertHidden: h, activation: 'tanh', router: values(d * n), w1: values(d * n * h), b1: values(n * h), w2: values(n * h * d), b2: values(d) };
}

function tinyForward(m: TinyMoE, route: RoutingFunction): LayerForward {
  const { dModel: d, nExperts: n, expertHidden: h } = m;
  return (x, tokens, mode) => {
    const scores: number[] = [];
    for (let t = 0; t < tokens; t++) {
      const z = Array.from({ length: n }, (_, e) => x.slice(t * d, (t + 1) * d).reduce((a, xi, i) => a + xi * m.router[i * n + e]!, 0));
      const top = Math.max(...z);
      const sum = z.reduce((a, v) => a + Math.exp(v - top), 0);
      scores.push(...z.map((v) => Math.exp(v - top) / sum));
    }
    const routing = route(scores, tokens, n, mode);
    const y = new Float64Array(tokens * d);
    routing.experts.forEach((es, t) => {
      for (let o = 0; o < d; o++) y[t * d + o] = m.b2![o]!;
      es.forEach((e, j) => {
        for (let u = e * h; u < (e + 1) * h; u++) {
          let a = m.b1![u]!;
          for (let i = 0; i < d; i++) a += x[t * d + i]! * m.w1[i * n * h + u]!;
          for (let o = 0; o < d; o++) y[t * d + o]! += routing.gates[t]![j]! * Math.tanh(a) * m.w2[u * d + o]!;
        }
      });
    });
    return { y, scores, routing };
  };
}
// #endregion tiny-layer

// #region tiny-sparse
/** The same layer in dsmoe tensors, so autograd gives its gradients: top-k on the host, then a loop over tokens and their experts. */
function tinySparse(opts: { dropExpertGrad?: number } = {}): SparseMoEForward {
  return (c) => {
    const { tokens, dModel: d, nExperts: n, expertHidden: h } = c;
    const leaf = (a: Float64Array, shape: number[]) => fromData(Float64Array.from(a), shape, { backend: 'cpu', requiresGrad: true });
    const [x, router, w1, b1, w2, b2] = [leaf(c.x, [tokens, d]), leaf(c.router, [d, n]), leaf(c.w1, [d, n * h]), leaf(c.b1!, [n * h]), leaf(c.w2, [n * h, d]), leaf(c.b2!, [d])];
    const scores = x.matmul(router).softmax(-1);
    const routing: Routing = tinyRoute(rankRow)(scores.dataSync(), tokens, n, { mode: 'topK', k: c.k });
    const rows = routing.experts.map((es, t) => {
      const xt = x.narrow(0, t, 1);
      return es.reduce((acc: Tensor, e) => {
        // The seeded bug: this expert's first weights are used, but cut off from the gradient.
        const w1e = e === opts.dropExpertGrad ? w1.narrow(1, e * h, h).detach() : w1.narrow(1, e * h, h);
        const out = xt.matmul(w1e).add(b1.narrow(0, e * h, h)).tanh().matmul(w2.narrow(0, e * h, h));
        return acc.add(out.mul(scores.narrow(0, t, 1).narrow(1, e, 1)));
      }, b2.reshape([1, d])).reshape([d]);
    });
    return { y: stack(rows), x, router, w1, b1, w2, b2 };
  };
}
// #endregion tiny-sparse

describe('docs/testing.md: checking a plain-TypeScript MoE', () => {
  it('the arbitraries and gradcheckProperty', async () => {
    // #region arbitraries
    for (const m of fc.sample(scoresArb({ minTokens: 2, maxExperts: 4 }), { seed: 42, numRuns: 10 })) {
      expect(m.scores.length).toBe(m.tokens * m.nExperts);
    }
    const matrix = shapeArb({ minRank: 2, maxRank: 2, maxDim: 3 }).chain((s) => valuesOfShapeArb(s, { min: -1, max: 1 }));
    await gradcheckProperty((a) => a.matmul(a.transpose(0, 1)).tanh(), [matrix], { numRuns: 20 });
    // #endregion arbitraries
  });

  it('the tiny MoE passes every check', async () => {
    // #region tiny-passes
    const route = tinyRoute(rankRow);
    checkRoutingFunction(route);
    const m = tinyMoE(5, 5, 3, 7);
    await checkDispatcher(tinyForward(m, route), m, { atol: 1e-12, rtol: 1e-10 });
    await checkSparseBound(tinyForward(m, route), m);
    await moeGradcheck(tinySparse(), { activation: 'tanh' });
    // #endregion tiny-passes
  });

  it('the kit catches three seeded bugs', async () => {
    // #region seeded-bugs
    // 1. Gates renormalized over the chosen experts: the spec says raw S_e.
    const renormalized: RoutingFunction = (s, t, n, mode) => {
      const r = tinyRoute(rankRow)(s, t, n, mode);
      return { experts: r.experts, gates: r.gates.map((g) => g.map((v) => v / g.reduce((a, b) => a + b, 0))) };
    };
    expect(() => checkRoutingFunction(renormalized)).toThrow(/gates are raw scores: token \d+, expert \d+: gate .* but S_e = /);

    // 2. Ties broken towards the higher index.
    const higherFirst = (row: number[]) => row.map((_, e) => e).sort((a, b) => row[b]! - row[a]! || b - a);
    expect(() => checkRoutingFunction(tinyRoute(higherFirst))).toThrow(/the lower index (comes first|wins the tie)/);

    // 3. Expert 0's first weights get no gradient.
    await expect(moeGradcheck(tinySparse({ dropExpertGrad: 0 }), { activation: 'tanh' }))
      .rejects.toThrow(/∂\/∂w1\[\d+, \d+\] \(expert 0\): autograd 0, the loop's finite difference/);
    // #endregion seeded-bugs
  });

  it('docs/testing.md shows only code from this file', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/testing.md'), 'utf8');
    const self = readFileSync(import.meta.filename, 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((b) => b[1]!);
    // Each region's lines, less their common indentation, as the doc prints them.
    const regions = [...self.matchAll(/\/\/ #region ([\w-]+)\n([\s\S]*?)[ \t]*\/\/ #endregion \1/g)].map((r) => dedent(r[2]!));
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const b of blocks) expect(regions, `a docs/testing.md block that is no region of this file:\n${b}`).toContain(b);
  });
});

function dedent(text: string): string {
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
