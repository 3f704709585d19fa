import { describe, expect, it } from 'vitest';
import { fromData, manualSeed, miLoss, setBackend, type Tensor } from '../../src/index.js';
import { MoEFeedForward, type MoEFeedForwardOptions } from '../../src/moe/moe-ffn.js';
import { ffnHostWeights, ffnOracle } from '../../src/moe/oracle.js';
import type { Routing } from '../../src/moe/routing.js';
import { layerForward as inferOf } from '../moe/helpers.js';
import {
  checkDispatcher, checkMiLoss, checkSparseBound, moeGradcheck, type LayerForward, type MiLossFunction, type SparseMoEForward,
} from '../../src/testing/index.js';

await setBackend('cpu');

function layerOf(opts: Partial<MoEFeedForwardOptions> = {}): MoEFeedForward {
  manualSeed(5);
  return new MoEFeedForward({ dModel: 5, nExperts: 5, expertHidden: 3, ...opts });
}

const renormalized = (r: Routing): Routing => ({ experts: r.experts, gates: r.gates.map((g) => g.map((v) => v / g.reduce((a, b) => a + b, 0))) });

describe('checkDispatcher and checkSparseBound', () => {
  it("pass dsmoe's MoEFeedForward.infer, with convex and scaled gates", async () => {
    for (const gate of ['convex', 'scaled'] as const) {
      const layer = layerOf({ gate });
      const w = await ffnHostWeights(layer);
      await checkDispatcher(inferOf(layer), w, { numRuns: 25 });
      await checkSparseBound(inferOf(layer), w, { numRuns: 25 });
    }
  });

  it('catch an output computed with renormalized gates', async () => {
    const layer = layerOf();
    const w = await ffnHostWeights(layer);
    // The reported routing is right, but the output mixes the experts with gates renormalized over A(x).
    const bad: LayerForward = async (x, tokens, mode) => {
      const run = await inferOf(layer)(x, tokens, mode);
      return { ...run, y: ffnOracle(w, x, renormalized(run.routing)) };
    };
    await expect(checkDispatcher(bad, w, { numRuns: 50 })).rejects.toThrow(/dispatcher equals the loop reference: .*token \d+ \(experts .*\), output \d+: got .*, the loop gives/);
    await expect(checkSparseBound(bad, w, { numRuns: 50, modes: ['topK'] })).rejects.toThrow(/sparse output within the dropped mass: .*‖y_sparse − y_dense‖ = .* > /);
  });

  it('catch a bound checked without the gate scale, and a routing off the spec', async () => {
    const layer = layerOf({ gate: 'scaled' });
    const w = await ffnHostWeights(layer);
    // Weights that claim convex gates for a layer whose gates are N·S_e: the bound is N times too tight.
    await expect(checkSparseBound(inferOf(layer), { ...w, gateScale: 1 }, { numRuns: 50, modes: ['topK'] })).rejects.toThrow(/sparse output within the dropped mass/);
    const reversed: LayerForward = async (x, tokens, mode) => {
      const run = await inferOf(layer)(x, tokens, mode);
      const routing = { experts: run.routing.experts.map((es) => [...es].reverse()), gates: run.routing.gates.map((g) => [...g].reverse()) };
      return { ...run, routing };
    };
    await expect(checkDispatcher(reversed, w, { numRuns: 50 })).rejects.toThrow(/rank order: token \d+/);
  });
});

describe('checkMiLoss', () => {
  const dsmoeMi: MiLossFunction = (m) => miLoss(fromData(Float64Array.from(m.scores), [m.tokens, m.nExperts])).item();

  it("passes dsmoe's miLoss", async () => {
    await checkMiLoss(dsmoeMi);
  });

  it('catches the marginal entropy with the wrong sign, and a sum where the mean belongs', async () => {
    const entropy = (p: number[]): number => -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0);
    const parts = (m: { tokens: number; nExperts: number; scores: number[] }) => {
      const rows = Array.from({ length: m.tokens }, (_, t) => m.scores.slice(t * m.nExperts, (t + 1) * m.nExperts));
      const p = Array.from({ length: m.nExperts }, (_, e) => rows.reduce((s, r) => s + r[e]!, 0) / m.tokens);
      return { marginal: entropy(p), conditional: rows.map(entropy) };
    };
    const plusMarginal: MiLossFunction = (m) => { const { marginal, conditional } = parts(m); return marginal + conditional.reduce((a, b) => a + b, 0) / m.tokens; };
    const summed: MiLossFunction = (m) => { const { marginal, conditional } = parts(m); return -marginal + conditional.reduce((a, b) => a + b, 0); };
    await expect(checkMiLoss(plusMarginal)).rejects.toThrow(/MI loss (bounds|on balanced one-hot routing): L = /);
    await expect(checkMiLoss(summed)).rejects.toThrow(/MI loss (bounds|value): L = .*−H\(e\) \+ mean H\(e\|x\)|MI loss bounds/);
  });
});

describe('moeGradcheck', () => {
  /** dsmoe's sparse training path (forwardSparse: top-k on the host, then the dispatcher), float64. */
  const dsmoeSparse: SparseMoEForward = async (c) => {
    const { tokens: t, dModel: d, nExperts: n, expertHidden: h } = c;
    const layer = new MoEFeedForward({ dModel: d, nExperts: n, expertHidden: h, activation: c.activation, dtype: 'float64', training: { mode: 'topK', k: c.k }, gate: c.gateScale === 1 ? 'convex' : 'scaled' });
    const f64 = (a: Float64Array, shape: number[]): Tensor => fromData(Float64Array.from(a), shape, { backend: 'cpu' });
    layer.loadStateDict({ 'router.proj.weight': f64(c.router, [d, n]), w1: f64(c.w1, [d, n * h]), b1: f64(c.b1!, [n * h]), w2: f64(c.w2, [n * h, d]), b2: f64(c.b2!, [d]) });
    const x = f64(c.x, [t, d]).requiresGrad_();
    const { y } = await layer.forwardSparse(x);
    return { y, x, router: layer.router.proj.weight, w1: layer.w1, b1: layer.b1, w2: layer.w2, b2: layer.b2 };
  };

  it("passes dsmoe's forwardSparse, convex and scaled", async () => {
    await moeGradcheck(dsmoeSparse, { numRuns: 10 });
    await moeGradcheck(dsmoeSparse, { numRuns: 10, gateScale: 'scaled', activation: 'silu' });
  });

  it('catches a router that gets no gradient, naming the element and both derivatives', async () => {
    // The gradient is taken with respect to a copy of the router weights that the forward never read.
    const detachedRouter: SparseMoEForward = async (c) => ({ ...(await dsmoeSparse(c)), router: fromData(Float64Array.from(c.router), [c.dModel, c.nExperts], { requiresGrad: true }) });
    await expect(moeGradcheck(detachedRouter, { numRuns: 10 })).rejects.toThrow(/sparse MoE gradient: T=\d+ d=\d+ N=\d+ h=\d+ k=\d: ∂\/∂router\[\d+, expert \d+\]: autograd 0, the loop's finite difference/);
  });
});
