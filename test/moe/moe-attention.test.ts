import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvCache, MultiHeadAttention, manualSeed, setBackend, tensor, type Tensor } from '../../src/index.js';
import { MoEAttention, type MoEAttentionOptions } from '../../src/moe/moe-attention.js';
import { attentionExpertOnToken, attentionHostWeights, attentionOracle } from '../../src/moe/attention-oracle.js';
import type { InferMode } from '../../src/moe/routing.js';
import { moeBackends } from './backends.js';
import { isSoftwareGpu } from '../helpers/backends.js';
import { closeTo, modeArb, randomTensor, rowNorm, layerGradcheck } from './helpers.js';

const backends = await moeBackends();

const divisors = (n: number): number[] => [...Array(n).keys()].map((i) => i + 1).filter((d) => n % d === 0);

const allConfigs = fc
  .record({
    dModel: fc.integer({ min: 1, max: 5 }),
    nExperts: fc.integer({ min: 1, max: 4 }),
    headsPerExpert: fc.integer({ min: 1, max: 3 }),
    headDim: fc.constantFrom(2, 4),
    positional: fc.constantFrom('rotary', 'none' as const),
    router: fc.constantFrom('linear', 'mlp' as const),
    gate: fc.constantFrom('convex', 'scaled' as const),
    batch: fc.integer({ min: 1, max: 3 }),
    seqLen: fc.integer({ min: 1, max: 5 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .chain((c) => fc.constantFrom(...divisors(c.nExperts * c.headsPerExpert)).map((nKvHeads) => ({ ...c, nKvHeads })));
type Config = MoEAttentionOptions & { batch: number; seqLen: number; seed: number };

function build(c: Config): { layer: MoEAttention; x: Tensor } {
  manualSeed(c.seed);
  return { layer: new MoEAttention(c), x: randomTensor([c.batch, c.seqLen, c.dModel], c.seed + 1) };
}

/**
 * On the software GPUs (test/helpers/backends.ts) every new shape is a
 * shader compiled, so there the model width, the head size and the batch
 * shape are fixed and kernels are reused from case to case; the rest of
 * the configuration still varies.
 */
function configOn(name: string): typeof allConfigs {
  return isSoftwareGpu(name) ? allConfigs.map((c) => ({ ...c, dModel: 4, headDim: 2, batch: 2, seqLen: 3 })) : allConfigs;
}

const runs = { numRuns: 12 };

describe.each(backends)('MoEAttention on %s', (backendName) => {
  const configArb = configOn(backendName);
  it('with one expert the dense forward is multi-head attention with the same weights', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb, async (c) => {
      const { layer, x } = build({ ...c, nExperts: 1, nKvHeads: 1 });
      const mha = new MultiHeadAttention({ dModel: c.dModel, nHeads: c.headsPerExpert, nKvHeads: 1, headDim: c.headDim, positional: c.positional });
      mha.loadStateDict({ 'wq.weight': layer.wq, 'wk.weight': layer.wk, 'wv.weight': layer.wv, 'wo.weight': layer.wo });
      const { y, scores } = layer.forward(x);
      expect(Array.from(await scores.data()).every((s) => s === 1)).toBe(true);
      const r = closeTo(await y.data(), await mha.forward(x).data());
      if (!r.ok) throw new Error(r.worst);
    }), runs);
  });

  it('scaled gates under a uniform router are multi-head attention with the same weights (one head per expert)', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb, async (c) => {
      // One head per expert: expert e's heads are MHA's head e, so the weights carry over as they are.
      const { layer, x } = build({ ...c, headsPerExpert: 1, nKvHeads: 1, gate: 'scaled' });
      for (const [, p] of layer.router.namedParameters()) p.assign(p.mul(0));
      const mha = new MultiHeadAttention({ dModel: c.dModel, nHeads: c.nExperts, nKvHeads: 1, headDim: c.headDim, positional: c.positional });
      mha.loadStateDict({ 'wq.weight': layer.wq, 'wk.weight': layer.wk, 'wv.weight': layer.wv, 'wo.weight': layer.wo });
      const r = closeTo(await layer.forward(x).y.data(), await mha.forward(x).data());
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
        expect(out.y.shape).toEqual(x.shape);
        expect(out.y.backend.name).toBe(backendName);
        const r = closeTo(await out.y.data(), dense);
        if (!r.ok) throw new Error(`${mode.mode}: ${r.worst}`);
      }
    }), runs);
  });

  it('the dispatcher equals the naive per-token, per-expert, per-head oracle in every mode', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb.chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts))), async ([c, mode]) => {
      const { layer, x } = build(c);
      const out = await layer.infer(x, mode);
      const expected = attentionOracle(await attentionHostWeights(layer), await x.data(), c.seqLen, out.routing);
      const r = closeTo(await out.y.data(), expected);
      if (!r.ok) throw new Error(`${JSON.stringify(mode)}: ${r.worst}`);
    }), runs);
  });

  it('permuting sequences permutes outputs and routing; loads sum to the pairs; the error bound holds', async () => {
    await setBackend(backendName);
    const arb = configArb.chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts), fc.shuffledSubarray([...Array(c.batch).keys()], { minLength: c.batch })));
    await fc.assert(fc.asyncProperty(arb, async ([c, mode, perm]) => {
      const { layer, x } = build(c);
      const xp = x.indexSelect(0, tensor(perm, { dtype: 'int32' }));
      const a = await layer.infer(x, mode);
      const b = await layer.infer(xp, mode);
      const [ya, yb] = [await a.y.data(), await b.y.data()];
      const [s, d] = [c.seqLen, c.dModel];
      perm.forEach((src, i) => {
        for (let p = 0; p < s; p++) {
          expect(b.routing.experts[i * s + p]).toEqual(a.routing.experts[src * s + p]);
          const r = closeTo(yb.subarray((i * s + p) * d, (i * s + p + 1) * d), ya.subarray((src * s + p) * d, (src * s + p + 1) * d));
          if (!r.ok) throw new Error(`sequence ${i} ← ${src}, position ${p}: ${r.worst}`);
        }
      });
      const pairs = a.routing.experts.reduce((n, es) => n + es.length, 0);
      expect(a.stats.load.reduce((p, q) => p + q, 0)).toBe(pairs);
      // ||y_sparse − y_dense|| ≤ unselected mass × largest unselected expert output norm
      const dense = await (await layer.infer(x, { mode: 'dense' })).y.data();
      const scores = await a.scores.data();
      const w = await attentionHostWeights(layer);
      const xs = await x.data();
      a.routing.experts.forEach((es, t) => {
        let [mass, largest] = [0, 0];
        for (let e = 0; e < c.nExperts; e++) {
          if (es.includes(e)) continue;
          mass += scores[t * c.nExperts + e]!;
          largest = Math.max(largest, rowNorm(attentionExpertOnToken(w, e, xs, t, s), 0, d));
        }
        const diff = Array.from({ length: d }, (_, o) => ya[t * d + o]! - dense[t * d + o]!);
        expect(rowNorm(diff, 0, d)).toBeLessThanOrEqual(layer.gateScale * mass * largest + 1e-5 * (1 + largest + rowNorm(dense, t * d, d)));
      });
    }), runs);
  });

  it('a KV cache gives the same outputs as the whole sequence, dense and sparse', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb.filter((c) => c.seqLen >= 2).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.seqLen - 1 }), fc.integer({ min: 1, max: c.nExperts }))), async ([c, split, k]) => {
      const { layer, x } = build(c);
      const [s, d] = [c.seqLen, c.dModel];
      const head = x.slice(1, 0, split);
      const tail = x.slice(1, split);
      const whole = await layer.forward(x).y.data();
      const cache = new KvCache();
      layer.forward(head, cache);
      const cached = await layer.forward(tail, cache).y.data();
      const sparseWhole = await (await layer.infer(x, { mode: 'topK', k })).y.data();
      const sparseCache = new KvCache();
      await layer.infer(head, { mode: 'topK', k }, { cache: sparseCache });
      const sparseCached = await (await layer.infer(tail, { mode: 'topK', k }, { cache: sparseCache })).y.data();
      const rows = (y: ArrayLike<number>, b: number, from: number, len: number): number[] => Array.from({ length: len * d }, (_, i) => y[(b * len + from) * d + i]!);
      for (let b = 0; b < c.batch; b++) {
        const expect1 = Array.from({ length: (s - split) * d }, (_, i) => whole[(b * s + split) * d + i]!);
        const expect2 = Array.from({ length: (s - split) * d }, (_, i) => sparseWhole[(b * s + split) * d + i]!);
        expect(closeTo(rows(cached, b, 0, s - split), expect1).ok).toBe(true);
        expect(closeTo(rows(sparseCached, b, 0, s - split), expect2).ok).toBe(true);
      }
    }), runs);
  });

  it('stateDict round trip preserves outputs exactly', async () => {
    await setBackend(backendName);
    await fc.assert(fc.asyncProperty(configArb, async (c) => {
      const { layer, x } = build(c);
      manualSeed(c.seed + 7);
      const copy = new MoEAttention(c);
      copy.loadStateDict(layer.stateDict());
      expect(Array.from(await copy.forward(x).y.data())).toEqual(Array.from(await layer.forward(x).y.data()));
      const mode: InferMode = { mode: 'threshold', eps: 0.5 };
      expect(Array.from(await (await copy.infer(x, mode)).y.data())).toEqual(Array.from(await (await layer.infer(x, mode)).y.data()));
    }), runs);
  });

  it('bad input: wrong dModel, k out of range, eps NaN or negative, bad options', async () => {
    await setBackend(backendName);
    manualSeed(5);
    const layer = new MoEAttention({ dModel: 8, nExperts: 2, headsPerExpert: 2 });
    expect(layer.headDim).toBe(2);
    const x = randomTensor([1, 3, 8], 1);
    expect(() => layer.forward(randomTensor([1, 3, 7], 1))).toThrow(/\[B, S, 8\].*\[1, 3, 7\]/);
    await expect(layer.infer(x, { mode: 'topK', k: 3 })).rejects.toThrow(/k=3/);
    await expect(layer.infer(x, { mode: 'threshold', eps: NaN })).rejects.toThrow(/eps=NaN/);
    await expect(layer.infer(x, { mode: 'thresholdTopK', eps: -1 })).rejects.toThrow(/eps=-1/);
    expect(() => new MoEAttention({ dModel: 8, nExperts: 3, headsPerExpert: 2 })).toThrow(/not divisible/);
    expect(() => new MoEAttention({ dModel: 8, nExperts: 2, headsPerExpert: 2, nKvHeads: 3 })).toThrow(/nKvHeads 3/);
    expect(() => new MoEAttention({ dModel: 8, nExperts: 2, headsPerExpert: 1, headDim: 3 })).toThrow(/even headDim/);
  });
});

describe('MoEAttention in float64', () => {
  it('the dispatcher equals the oracle to float64 rounding, in every mode', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(allConfigs.chain((c) => fc.tuple(fc.constant(c), modeArb(c.nExperts))), async ([c, mode]) => {
      manualSeed(c.seed);
      const layer = new MoEAttention({ ...c, dtype: 'float64' });
      const x = randomTensor([c.batch, c.seqLen, c.dModel], c.seed + 1).double();
      const out = await layer.infer(x, mode);
      expect(out.y.dtype).toBe('float64');
      const expected = attentionOracle(await attentionHostWeights(layer), await x.data(), c.seqLen, out.routing);
      const r = closeTo(await out.y.data(), expected, 1e-12, 1e-10);
      if (!r.ok) throw new Error(r.worst);
      if (mode.mode === 'dense') expect(closeTo(await out.y.data(), await layer.forward(x).y.data(), 1e-12, 1e-10).ok).toBe(true);
    }), runs);
  });
});

describe('MoEAttention gradients', () => {
  it('the dense forward passes gradcheck (float64) for the input, every expert and the router', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(allConfigs, async (c) => {
      const hpe = Math.min(c.headsPerExpert, 2);
      const small = { ...c, dModel: Math.min(c.dModel, 3), nExperts: Math.min(c.nExperts, 3), headsPerExpert: hpe, headDim: 2, nKvHeads: c.nKvHeads % hpe === 0 ? hpe : 1, batch: Math.min(c.batch, 2), seqLen: Math.min(c.seqLen, 3) };
      const { layer, x } = build(small);
      const probe = randomTensor(x.shape, c.seed + 2);
      const report = await layerGradcheck(layer, x, probe, (aux) => aux.mi);
      if (!report.ok) throw new Error(JSON.stringify(report));
    }), { numRuns: 10 });
  });
});
