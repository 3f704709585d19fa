import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad, manualSeed, setBackend, type Tensor } from '../../src/index.js';
import { MoEFeedForward, type MoEFeedForwardOptions } from '../../src/moe/moe-ffn.js';
import { DenseFeedForward } from '../../src/moe/dense-ffn.js';
import { expertOnToken, ffnHostWeights, ffnOracle } from '../../src/moe/oracle.js';
import type { InferMode } from '../../src/moe/routing.js';
import { moeBackends } from './backends.js';
import { isSoftwareGpu } from '../helpers/backends.js';
import { checkDispatcher, checkSparseBound } from '../../src/testing/index.js';
import { closeTo, layerForward, modeArb, randomTensor, rowNorm, layerGradcheck } from './helpers.js';

const backends = await moeBackends();

/** A small layer configuration and a seed for its weights and data. */
const allConfigs = fc.record({
  dModel: fc.integer({ min: 1, max: 6 }),
  nExperts: fc.integer({ min: 1, max: 6 }),
  expertHidden: fc.integer({ min: 1, max: 5 }),
  activation: fc.constantFrom('gelu', 'relu', 'silu' as const),
  router: fc.constantFrom('linear', 'mlp' as const),
  bias: fc.boolean(),
  gate: fc.constantFrom('convex', 'scaled' as const),
  tokens: fc.integer({ min: 1, max: 7 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});
type Config = MoEFeedForwardOptions & { tokens: number; seed: number };

function build(c: Config): { layer: MoEFeedForward; x: Tensor } {
  manualSeed(c.seed);
  const layer = new MoEFeedForward(c);
  return { layer, x: randomTensor([c.tokens, c.dModel], c.seed + 1) };
}

/**
 * On the software GPUs (test/helpers/backends.ts) every new shape is a
 * shader compiled, so there the model width, the expert width and the
 * token count are fixed and kernels are reused from case to case; the
 * rest of the configuration still varies.
 */
function configOn(name: string): typeof allConfigs {
  return isSoftwareGpu(name) ? allConfigs.map((c) => ({ ...c, dModel: 4, expertHidden: 3, tokens: 5 })) : allConfigs;
}

const runs = { numRuns: 12 };

describe.each(backends)('MoEFeedForward on %s', (backendName) => {
  const configArb = configOn(backendName);
  it('forward accepts [T, d] and [B, S, d]; scores are distributions; infer keeps the shape', async () => {
    await setBackend(backendName);
    manualSeed(1);
    const layer = new MoEFeedForward({ dModel: 8, nExperts: 4, expertHidden: 3 });
    const x = randomTensor([2, 3, 8], 2);
    const { y, scores, aux } = layer.forward(x);
    expect(y.shape).toEqual([2, 3, 8]);
    expect(scores.shape).toEqual([2, 3, 4]);
    expect(aux.mi.shape).toEqual([]);
    const s = await scores.data();
    for (let t = 0; t < 6; t++) expect(s[t * 4]! + s[t * 4 + 1]! + s[t * 4 + 2]! + s[t * 4 + 3]!).toBeCloseTo(1, 5);
    const out = await layer.infer(x, { mode: 'topK', k: 2 });
    expect(out.y.shape).toEqual([2, 3, 8]);
    expect([y.backend.name, out.y.backend.name, layer.w1.backend.name]).toEqual([backendName, backendName, backendName]);
    expect(out.routing.experts).toHaveLength(6);
    const flat = layer.forward(x.reshape([6, 8]));
    expect(closeTo(await flat.y.data(), await y.data()).ok).toBe(true);
  });

  it('scaled gates under a uniform router are the dense FFN with the same weights (gate.ts)', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb, async (c) => {
      const { layer, x } = build({ ...c, gate: 'scaled', bias: true });
      // A zero router gives S_e = 1/N exactly for every token.
      for (const [, p] of layer.router.namedParameters()) p.assign(p.mul(0));
      const dense = new DenseFeedForward(c.dModel, c.nExperts * c.expertHidden, c.activation);
      dense.loadStateDict({ w1: layer.w1, b1: layer.b1!, w2: layer.w2, b2: layer.b2! });
      const r = closeTo(await layer.forward(x).y.data(), await dense.forward(x).data());
      if (!r.ok) throw new Error(r.worst);
    }), runs);
  });

  it('topK with k = N, threshold with eps = 0, dense mode and the dense forward agree', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb, async (c) => {
      const { layer, x } = build(c);
      const dense = await layer.forward(x).y.data();
      for (const mode of [{ mode: 'dense' }, { mode: 'topK', k: c.nExperts }, { mode: 'threshold', eps: 0 }] as InferMode[]) {
        const out = await layer.infer(x, mode);
        const r = closeTo(await out.y.data(), dense);
        if (!r.ok) throw new Error(`${mode.mode}: ${r.worst}`);
        expect(out.routing.experts.every((es) => es.length === c.nExperts)).toBe(true);
      }
    }), runs);
  });

  it('the dispatcher equals the naive per-token, per-expert oracle in every mode', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb.chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts))), async ([c, mode]) => {
      const { layer, x } = build(c);
      const out = await layer.infer(x, mode);
      const expected = ffnOracle(await ffnHostWeights(layer), await x.data(), out.routing);
      const r = closeTo(await out.y.data(), expected);
      if (!r.ok) throw new Error(`${JSON.stringify(mode)}: ${r.worst}`);
    }), runs);
  });

  it('permuting tokens permutes outputs and routing; loads sum to the pairs', async () => {
    await setBackend(backendName);
    const arb = configArb.chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts), fc.shuffledSubarray([...Array(c.tokens).keys()], { minLength: c.tokens })));
    await fc.assert(fc.asyncProperty(arb, async ([c, mode, perm]) => {
      const { layer, x } = build(c);
      const xp = x.indexSelect(0, (await import('../../src/index.js')).tensor(perm, { dtype: 'int32' }));
      const a = await layer.infer(x, mode);
      const b = await layer.infer(xp, mode);
      const ya = await a.y.data();
      const yb = await b.y.data();
      const d = c.dModel;
      perm.forEach((src, i) => {
        expect(b.routing.experts[i]).toEqual(a.routing.experts[src]);
        expect(b.routing.gates[i]).toEqual(a.routing.gates[src]);
        const r = closeTo(yb.subarray(i * d, (i + 1) * d), ya.subarray(src * d, (src + 1) * d));
        if (!r.ok) throw new Error(`token ${i} ← ${src}: ${r.worst}`);
      });
      const pairs = a.routing.experts.reduce((n, es) => n + es.length, 0);
      expect(a.stats.load.reduce((p, q) => p + q, 0)).toBe(pairs);
      a.stats.load.forEach((l, e) => expect(l).toBe(a.routing.experts.filter((es) => es.includes(e)).length));
      expect(a.stats.activeExperts).toBeCloseTo(pairs / c.tokens, 12);
      expect(b.stats.load).toEqual(a.stats.load);
    }), runs);
  });

  it('per token, ||y_sparse − y_dense|| ≤ (unselected score mass) × (largest unselected expert output norm)', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb.chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts))), async ([c, mode]) => {
      const { layer, x } = build(c);
      const w = await ffnHostWeights(layer);
      const xs = await x.data();
      const dense = await layer.infer(x, { mode: 'dense' });
      const sparse = await layer.infer(x, mode);
      const yd = await dense.y.data();
      const ys = await sparse.y.data();
      const s = await sparse.scores.data();
      const d = c.dModel;
      for (let t = 0; t < c.tokens; t++) {
        const chosen = new Set(sparse.routing.experts[t]);
        let mass = 0;
        let largest = 0;
        for (let e = 0; e < c.nExperts; e++) {
          if (chosen.has(e)) continue;
          mass += s[t * c.nExperts + e]!;
          largest = Math.max(largest, rowNorm(expertOnToken(w, e, xs, t * d), 0, d));
        }
        const diff = Array.from({ length: d }, (_, o) => ys[t * d + o]! - yd[t * d + o]!);
        const scale = rowNorm(yd, t * d, d) + largest;
        // The gate scale (1, or N) multiplies every gate, so the dropped mass too.
        expect(rowNorm(diff, 0, d)).toBeLessThanOrEqual(layer.gateScale * mass * largest + 1e-5 * (1 + scale));
      }
    }), runs);
  });

  it("passes dsmoe/testing's dispatcher and sparse-bound checkers, convex and scaled", async () => {
    await setBackend(backendName);
    for (const gate of ['convex', 'scaled'] as const) {
      const { layer } = build({ dModel: 5, nExperts: 5, expertHidden: 3, gate, tokens: 1, seed: 9 });
      const w = await ffnHostWeights(layer);
      await checkDispatcher(layerForward(layer), w, runs);
      await checkSparseBound(layerForward(layer), w, runs);
    }
  });

  it('stateDict round trip preserves outputs exactly', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb, async (c) => {
      const { layer, x } = build(c);
      manualSeed(c.seed + 7);
      const copy = new MoEFeedForward(c);
      copy.loadStateDict(layer.stateDict());
      expect(Array.from(await copy.forward(x).y.data())).toEqual(Array.from(await layer.forward(x).y.data()));
      const mode: InferMode = { mode: 'topK', k: Math.min(2, c.nExperts) };
      expect(Array.from(await (await copy.infer(x, mode)).y.data())).toEqual(Array.from(await (await layer.infer(x, mode)).y.data()));
    }), runs);
  });

  it('top-k training masks the gates: its forward equals top-k inference and carries the Switch loss', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb.chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.nExperts }))), async ([c, k]) => {
      manualSeed(c.seed);
      const layer = new MoEFeedForward({ ...c, training: { mode: 'topK', k } });
      const x = randomTensor([c.tokens, c.dModel], c.seed + 1);
      const { y, aux } = layer.forward(x);
      expect(aux.switch).toBeDefined();
      const out = await layer.infer(x, { mode: 'topK', k });
      const r = closeTo(await y.data(), await out.y.data());
      if (!r.ok) throw new Error(r.worst);
      expect(await aux.switch!.item()).toBeGreaterThan(0);
    }), runs);
  });

  it('sparse training through the dispatcher has the values and gradients of the masked dense forward', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb.chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.nExperts }))), async ([c, k]) => {
      manualSeed(c.seed);
      const layer = new MoEFeedForward({ ...c, training: { mode: 'topK', k } });
      const x = randomTensor([c.tokens, c.dModel], c.seed + 1);
      const probe = randomTensor([c.tokens, c.dModel], c.seed + 2);
      const params = layer.parameters();
      const objective = (o: { y: Tensor; aux: { mi: Tensor; switch?: Tensor } }): Tensor => o.y.mul(probe).sum().add(o.aux.mi).add(o.aux.switch!);
      const dense = layer.forward(x);
      const sparse = await layer.forwardSparse(x);
      const gd = grad(objective(dense), params);
      const gs = grad(objective(sparse), params);
      const pairs: [string, ArrayLike<number>, ArrayLike<number>][] = [['y', await sparse.y.data(), await dense.y.data()], ['switch', [await sparse.aux.switch!.item()], [await dense.aux.switch!.item()]]];
      for (let i = 0; i < params.length; i++) pairs.push([`grad ${i}`, gs[i] ? await gs[i]!.data() : new Float32Array(params[i]!.size), gd[i] ? await gd[i]!.data() : new Float32Array(params[i]!.size)]);
      for (const [what, a, b] of pairs) {
        const r = closeTo(a, b);
        if (!r.ok) throw new Error(`${what}: ${r.worst}`);
      }
    }), runs);
  });

  it('bad input: wrong dModel, k out of range, eps NaN or negative, bad options', async () => {
    await setBackend(backendName);
    manualSeed(3);
    const layer = new MoEFeedForward({ dModel: 4, nExperts: 3, expertHidden: 2 });
    const x = randomTensor([5, 4], 4);
    expect(() => layer.forward(randomTensor([5, 3], 1))).toThrow(/\[T, 4\].*\[5, 3\]/);
    await expect(layer.infer(randomTensor([2, 2, 5], 1), { mode: 'dense' })).rejects.toThrow(/\[2, 2, 5\]/);
    await expect(layer.infer(x, { mode: 'topK', k: 0 })).rejects.toThrow(/k=0/);
    await expect(layer.infer(x, { mode: 'topK', k: 4 })).rejects.toThrow(/k=4.*\[1, 3\]/);
    await expect(layer.infer(x, { mode: 'topK', k: 1.5 })).rejects.toThrow(/k=1.5/);
    await expect(layer.infer(x, { mode: 'threshold', eps: NaN })).rejects.toThrow(/eps=NaN/);
    await expect(layer.infer(x, { mode: 'thresholdTopK', eps: -0.1 })).rejects.toThrow(/eps=-0.1/);
    await expect(layer.infer(x, { mode: 'sparse' } as unknown as InferMode)).rejects.toThrow(/unknown mode/);
    expect(() => new MoEFeedForward({ dModel: 4, nExperts: 0, expertHidden: 2 })).toThrow(/nExperts/);
    expect(() => new MoEFeedForward({ dModel: 4, nExperts: 2, expertHidden: 2, training: { mode: 'topK', k: 3 } })).toThrow(/k=3/);
    expect(() => new MoEFeedForward({ dModel: 4, nExperts: 2, expertHidden: 2, activation: 'swish' as 'gelu' })).toThrow(/swish/);
  });
});

describe('MoEFeedForward in float64', () => {
  it('the dispatcher equals the oracle to float64 rounding, in every mode', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(allConfigs.chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts))), async ([c, mode]) => {
      manualSeed(c.seed);
      const layer = new MoEFeedForward({ ...c, dtype: 'float64' });
      const x = randomTensor([c.tokens, c.dModel], c.seed + 1).double();
      const out = await layer.infer(x, mode);
      expect(out.y.dtype).toBe('float64');
      const r = closeTo(await out.y.data(), ffnOracle(await ffnHostWeights(layer), await x.data(), out.routing), 1e-12, 1e-10);
      if (!r.ok) throw new Error(r.worst);
      if (mode.mode === 'dense') expect(closeTo(await out.y.data(), await layer.forward(x).y.data(), 1e-12, 1e-10).ok).toBe(true);
    }), runs);
  });
});

describe('MoEFeedForward gradients', () => {
  it('the dense forward passes gradcheck (float64) for the input, every expert and the router', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(allConfigs, async (c) => {
      const { layer, x } = build({ ...c, tokens: Math.min(c.tokens, 3), dModel: Math.min(c.dModel, 3), expertHidden: Math.min(c.expertHidden, 2), nExperts: Math.min(c.nExperts, 3) });
      const probe = randomTensor(x.shape, c.seed + 2);
      const report = await layerGradcheck(layer, x, probe, (aux) => aux.mi);
      if (!report.ok) throw new Error(JSON.stringify(report));
    }), { numRuns: 10 });
  });
});
