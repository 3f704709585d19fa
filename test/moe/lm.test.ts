/**
 * The language model: shapes and auxiliary terms per kind, the loss as the
 * documented sum, causality, sparse inference that reproduces dense at
 * K = N, cost statistics, gradients reaching every parameter, and a
 * safetensors round trip. Small random configurations, on every backend
 * (test/moe/backends.ts); the configuration checks on cpu.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromData, getBackend, manualSeed, noGrad, setBackend } from '../../src/index.js';
import { LanguageModel } from '../../src/moe/lm.js';
import { stateDictShapes } from '../../src/moe/lm-shapes.js';
import { lmConfig, validateConfig, configFromJSON, configUsed, presetNames, routerExperts, type LMConfig, type ModelKind } from '../../src/moe/lm-config.js';
import { safetensorsToTensors, stateDictToSafetensors } from '../../src/io/state-dict.js';
import { ACTIVATIONS } from '../../src/nn/activations.js';
import { ZERO_EXPERT_KINDS, type ZeroExpertKind } from '../../src/moe/zero-experts.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { moeBackends } from './backends.js';
import { isSoftwareGpu } from '../helpers/backends.js';

interface Small {
  kind: ModelKind;
  layers: number;
  attnExperts: number;
  nExperts: number;
  b: number;
  s: number;
  positions: 'rotary' | 'learned';
  seed: number;
  sharedExperts: number;
  zeroExperts: ZeroExpertKind[];
  dts: boolean;
}

const allSmall: fc.Arbitrary<Small> = fc.record({
  kind: fc.constantFrom<ModelKind>('dsmoe', 'dense', 'smoe'),
  layers: fc.integer({ min: 1, max: 2 }),
  attnExperts: fc.constantFrom(1, 2),
  nExperts: fc.integer({ min: 2, max: 4 }),
  b: fc.integer({ min: 1, max: 2 }),
  s: fc.integer({ min: 1, max: 6 }),
  positions: fc.constantFrom<'rotary' | 'learned'>('rotary', 'learned'),
  seed: fc.integer({ min: 0, max: 1000 }),
  sharedExperts: fc.constantFrom(0, 0, 1),
  zeroExperts: fc.oneof(fc.constant<ZeroExpertKind[]>([]), fc.subarray([...ZERO_EXPERT_KINDS])),
  dts: fc.boolean(),
});

function config(p: Small): LMConfig {
  return lmConfig('tiny', {
    kind: p.kind, vocabSize: 11, maxSeqLen: 8, dModel: 8, nLayers: p.layers, nHeads: 2, nKvHeads: 1, headDim: 4,
    attnExperts: p.attnExperts, nExperts: p.nExperts, expertHidden: 3, positions: p.positions, smoeTopK: 1,
    sharedExperts: p.sharedExperts, zeroExperts: p.zeroExperts, dts: p.dts ? { tauStart: 1.5, tauEnd: 0.5, from: 0, to: 10 } : null,
  });
}

function ids(p: Small, salt = 0): Tensor {
  return fromData(Int32Array.from({ length: p.b * p.s }, (_, i) => (i * 7 + p.seed + salt) % 11), [p.b, p.s]);
}

function model(p: Small): LanguageModel {
  manualSeed(p.seed);
  return new LanguageModel(config(p));
}

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

function maxAbsDiff(a: number[], b: number[]): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

/**
 * On the software GPUs (test/helpers/backends.ts) every new shape is a
 * shader compiled, so there the depth and the batch shape are fixed and
 * kernels are reused from case to case; the rest still varies.
 */
function smallOn(name: string): fc.Arbitrary<Small> {
  return isSoftwareGpu(name) ? allSmall.map((p) => ({ ...p, layers: 1, b: 1, s: 4 })) : allSmall;
}

const backends = await moeBackends();

describe.each(backends)('LanguageModel on %s', (backendName) => {
  const smallArb = smallOn(backendName);
  beforeEach(async () => {
    await setBackend(backendName);
    expect(getBackend().name).toBe(backendName);
  });
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('forward gives logits [B, S, V] and the auxiliary terms of its kind, one per layer', async () => {
    await fc.assert(fc.asyncProperty(smallArb, async (p) => {
      const m = model(p);
      const { logits, aux } = m.forward(ids(p));
      expect(logits.shape).toEqual([p.b, p.s, 11]);
      expect(logits.backend.name).toBe(backendName);
      const L = p.layers;
      expect(aux.miFfn.length).toBe(p.kind === 'dsmoe' ? L : 0);
      expect(aux.miAttn.length).toBe(p.kind === 'dsmoe' ? L : 0);
      expect(aux.balance.length).toBe(p.kind === 'smoe' ? L : 0);
      expect(aux.ffnScores.length).toBe(p.kind === 'dense' ? 0 : L);
      for (const v of await values(logits)) expect(Number.isFinite(v)).toBe(true);
    }), { numRuns: 12 });
  });

  it('loss = CE + α_ffn·ΣMI(ffn) + α_att·ΣMI(attn) (+ Switch and z terms for smoe)', async () => {
    await fc.assert(fc.asyncProperty(smallArb, async (p) => {
      const m = model(p);
      const x = ids(p);
      const out = noGrad(() => m.loss(x, ids(p, 3)));
      const [loss, ce, mf, ma, bal, z] = await Promise.all([out.loss, out.ce, out.miFfn, out.miAttn, out.balance, out.zLoss].map(async (t) => (await t.data())[0]!));
      const c = m.config;
      const expected = ce! + c.alphaFfn * mf! + c.alphaAttn * ma! + c.balanceWeight * bal! + c.zLossWeight * z!;
      expect(loss).toBeCloseTo(expected, 5);
      if (p.kind === 'dsmoe') {
        // Each MI term lies in [−log N, 0] (up to the eps), so the sum over layers does too, times L.
        expect(mf!).toBeLessThanOrEqual(1e-5);
        expect(mf!).toBeGreaterThanOrEqual(-p.layers * Math.log(p.nExperts) - 1e-4);
      }
    }), { numRuns: 12 });
  });

  it('is causal: changing token t never changes the logits before t', async () => {
    await fc.assert(fc.asyncProperty(smallArb.filter((p) => p.s >= 2), fc.nat(), async (p, r) => {
      const m = model(p);
      const a = Int32Array.from({ length: p.s }, (_, i) => (i * 5 + p.seed) % 11);
      const t = 1 + (r % (p.s - 1));
      const b = a.slice();
      b[t] = (b[t]! + 1) % 11;
      const la = await values(noGrad(() => m.forward(fromData(a, [1, p.s])).logits));
      const lb = await values(noGrad(() => m.forward(fromData(b, [1, p.s])).logits));
      expect(maxAbsDiff(la.slice(0, t * 11), lb.slice(0, t * 11))).toBe(0);
    }), { numRuns: 12 });
  });

  it('sparse inference with every expert (topK N, threshold 0) reproduces the dense forward', async () => {
    await fc.assert(fc.asyncProperty(smallArb.filter((p) => p.kind === 'dsmoe'), async (p) => {
      const m = model(p);
      m.eval();
      const x = ids(p);
      const dense = await values(noGrad(() => m.forward(x).logits));
      // Every router choice: the FFN experts not shared, and the zero-computation ones.
      for (const mode of [{ mode: 'topK' as const, k: routerExperts(config(p)) }, { mode: 'threshold' as const, eps: 0 }, { mode: 'dense' as const }, { mode: 'topP' as const, p: 1 }]) {
        // topK over the FFN's choices may be fewer than the attention experts: those run every expert by their own mode.
        const r = await m.infer(x, { mode, attention: mode.mode === 'topK' ? { mode: 'topK', k: p.attnExperts } : 'follow' });
        expect(maxAbsDiff(await values(r.logits), dense)).toBeLessThan(1e-4);
        expect(r.stats.ffnActiveFraction).toBeCloseTo(1, 10);
        expect(r.stats.activeParams).toBeCloseTo(r.stats.totalParams, 6);
      }
    }), { numRuns: 10 });
  });

  it('topK: one routing per layer with k experts per token; active parameters grow with k (never shrink, with zero-computation experts) and never exceed the total', async () => {
    await fc.assert(fc.asyncProperty(smallArb.filter((p) => p.kind === 'dsmoe'), async (p) => {
      const m = model(p);
      let prev = 0;
      for (let k = 1; k <= routerExperts(config(p)); k++) {
        const r = await m.infer(ids(p), { mode: { mode: 'topK', k } });
        expect(r.layers.length).toBe(p.layers);
        for (const l of r.layers) {
          expect(l.ffn!.experts.length).toBe(p.b * p.s);
          for (const es of l.ffn!.experts) expect(es.length).toBe(k);
        }
        // The paper's TopK keeps attention dense.
        expect(r.stats.attnActiveFraction).toBe(1);
        // One more choice adds an FFN expert's parameters, or none when the token's next choice is a zero-computation expert.
        if (p.zeroExperts.length === 0) expect(r.stats.activeParams).toBeGreaterThan(prev);
        else expect(r.stats.activeParams).toBeGreaterThanOrEqual(prev);
        expect(r.stats.activeParams).toBeLessThanOrEqual(r.stats.totalParams + 1e-6);
        prev = r.stats.activeParams;
      }
    }), { numRuns: 10 });
  });

  it('dense and smoe kinds report their layers as they run them', async () => {
    await fc.assert(fc.asyncProperty(smallArb.filter((p) => p.kind !== 'dsmoe'), async (p) => {
      const m = model(p);
      const r = await m.infer(ids(p), { mode: { mode: 'topK', k: 1 } });
      expect(r.stats.attnActiveFraction).toBe(1);
      for (const l of r.layers) expect(l.attn).toBeNull();
      if (p.kind === 'dense') expect(r.stats.ffnActiveFraction).toBe(1);
      else {
        const c = config(p);
        // One routed FFN expert beside the shared ones: top-1 keeps the whole FFN for every token
        // that does not choose a zero-computation expert instead (all of them, when there is none).
        if (c.nExperts - c.sharedExperts > 1) expect(r.stats.ffnActiveFraction).toBeLessThan(1);
        else if (c.zeroExperts.length === 0) expect(r.stats.ffnActiveFraction).toBe(1);
        else expect(r.stats.ffnActiveFraction).toBeLessThanOrEqual(1);
      }
    }), { numRuns: 10 });
  });

  it('every parameter gets a non-zero gradient in dense training (dsmoe)', async () => {
    await fc.assert(fc.asyncProperty(smallArb.filter((p) => p.kind === 'dsmoe' && p.s >= 2), async (p) => {
      const m = model(p);
      m.loss(ids(p), ids(p, 1)).loss.backward();
      for (const [name, param] of m.namedParameters()) {
        expect(param.grad, name).not.toBeNull();
        const g = await values(param.grad!);
        expect(g.every(Number.isFinite), name).toBe(true);
        // A gradient of zeros would pass the checks above for a parameter the loss never reaches. The one
        // exception is by construction: a router over a single expert has softmax ≡ 1, so nothing depends on it
        // (attention with one expert; an FFN whose one routed expert is all its router has to choose).
        const singleExpertRouter = (p.attnExperts === 1 && /\.attn\.router\./.test(name)) || (routerExperts(config(p)) === 1 && /\.ffn\.router\./.test(name));
        expect(g.some((v) => v !== 0), name).toBe(!singleExpertRouter);
      }
    }), { numRuns: 10 });
  });

  it('a safetensors round trip with the config in the metadata rebuilds the same model', async () => {
    await fc.assert(fc.asyncProperty(smallArb, async (p) => {
      const m = model(p);
      const bytes = await stateDictToSafetensors(m.stateDict(), { config: JSON.stringify(m.config) });
      const { tensors, metadata } = safetensorsToTensors(bytes);
      manualSeed(p.seed + 1);
      const back = new LanguageModel(configFromJSON(JSON.parse(metadata.config!)));
      back.loadStateDict(tensors);
      const x = ids(p);
      expect(await values(noGrad(() => back.forward(x).logits))).toEqual(await values(noGrad(() => m.forward(x).logits)));
    }), { numRuns: 10 });
  });
});

describe('LanguageModel configurations', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  it('every preset builds, has a training budget, and gives the three kinds the same dimensions', async () => {
    const { TRAIN_PRESETS } = await import('../../src/train/settings.js');
    for (const name of presetNames()) {
      expect(TRAIN_PRESETS[name], name).toBeDefined();
      const sizes = (['dense', 'smoe', 'dsmoe'] as const).map((kind) => new LanguageModel(lmConfig(name, { kind })).numParameters());
      // The only difference is the routers: DS-MoE ≥ SMoE (FFN router) ≥ Dense.
      expect(sizes[0]!).toBeLessThan(sizes[1]!);
      expect(sizes[1]!).toBeLessThan(sizes[2]!);
      expect((sizes[2]! - sizes[0]!) / sizes[0]!).toBeLessThan(0.05);
    }
  });

  it('stateDictShapes names every tensor of the built model with its shape, allocating nothing (every kind, router, position, norm)', () => {
    fc.assert(fc.property(allSmall, fc.constantFrom('linear', 'mlp' as const), fc.constantFrom('rms', 'layer' as const), (p, router, norm) => {
      const c = { ...config(p), router, norm, routerHidden: 5 };
      const built = Object.fromEntries(Object.entries(new LanguageModel(c).stateDict()).map(([k, t]) => [k, [...t.shape]]));
      expect(stateDictShapes(c)).toEqual(built);
    }), { numRuns: 40 });
  });

  it('configUsed names every field a kind reads: changing any other leaves the weights and the loss as they were', async () => {
    const others: Partial<LMConfig>[] = [
      { attnExperts: 1 }, { router: 'mlp' }, { routerHidden: 7 }, { ffnGate: 'scaled' }, { attnGate: 'scaled' }, { alphaFfn: 0.3 }, { alphaAttn: 0.3 },
      { smoeTopK: 2 }, { balanceWeight: 0.5 }, { zLossWeight: 0.5 },
      { sharedExperts: 1 }, { zeroExperts: ['copy', 'constant'] }, { dts: { tauStart: 3, tauEnd: 0.5, from: 0, to: 5 } },
    ];
    // Every kind against every change, on drawn dimensions: a field a kind reads but configUsed omits fails here.
    await fc.assert(fc.asyncProperty(allSmall, async (p) => {
      for (const kind of ['dense', 'smoe', 'dsmoe'] as const) {
        const c = { ...config({ ...p, kind }), attnExperts: 2, nExperts: Math.max(p.nExperts, 2) };
        for (const change of others) {
          const changed = { ...c, ...change };
          if (JSON.stringify(configUsed(changed)) !== JSON.stringify(configUsed(c))) continue;
          // A change that makes the config invalid (smoeTopK 2 beside a shared expert of two) is refused, not run.
          if (!isValid(changed)) continue;
          expect(await run(changed), `${kind} with ${JSON.stringify(change)}`).toEqual(await run(c));
        }
      }
      function isValid(cfg: LMConfig): boolean {
        try {
          validateConfig(cfg);
          return true;
        } catch {
          return false;
        }
      }
      async function run(cfg: LMConfig): Promise<number[]> {
        manualSeed(p.seed);
        const m = new LanguageModel(cfg);
        const { loss } = m.loss(ids(p), ids(p, 1));
        const w = await Promise.all(Object.values(m.stateDict()).map((t) => t.data()));
        return [await loss.item(), ...w.flatMap((a) => Array.from(a))];
      }
    }), { numRuns: 10 });
  });

  it('a checkpoint config from before the gate fields reads as convex gates; a new one keeps its fields and their order', () => {
    const { ffnGate: _f, attnGate: _a, ...old } = lmConfig('tiny');
    const read = configFromJSON(old);
    expect([read.ffnGate, read.attnGate]).toEqual(['convex', 'convex']);
    const fresh = lmConfig('tiny', { attnGate: 'scaled' });
    expect(JSON.stringify(configFromJSON(JSON.parse(JSON.stringify(fresh))))).toBe(JSON.stringify(fresh));
  });

  it('takes every activation the engine has (one list, ACTIVATIONS), and each changes the function', async () => {
    const p: Small = { kind: 'dsmoe', layers: 1, attnExperts: 1, nExperts: 2, b: 1, s: 3, positions: 'rotary', seed: 5, sharedExperts: 0, zeroExperts: [], dts: false };
    const outs = new Set<string>();
    for (const activation of ACTIVATIONS) {
      manualSeed(p.seed);
      const m = new LanguageModel({ ...config(p), activation });
      outs.add(JSON.stringify(await values(noGrad(() => m.forward(ids(p)).logits))));
    }
    expect(outs.size).toBe(ACTIVATIONS.length);
  });

  it('rejects bad configurations and inputs with errors that name the problem', () => {
    expect(() => lmConfig('huge')).toThrow(/unknown preset 'huge'.*tiny/);
    expect(() => lmConfig('tiny', { nHeads: 4, attnExperts: 3 })).toThrow(/attnExperts=3 must divide nHeads=4/);
    expect(() => lmConfig('tiny', { nKvHeads: 3 })).toThrow(/nKvHeads=3 must divide/);
    expect(() => lmConfig('tiny', { dModel: 0 })).toThrow(/dModel must be a positive integer/);
    expect(() => lmConfig('tiny', { smoeTopK: 9 })).toThrow(/smoeTopK=9 exceeds the FFN router's 8 choices/);
    expect(() => validateConfig({ ...lmConfig('tiny'), kind: 'moe' as ModelKind })).toThrow(/kind must be one of/);
    expect(() => configFromJSON({ kind: 'dsmoe' })).toThrow(/missing fields/);
    expect(() => lmConfig('tiny', { ffnGate: 'half' as 'convex' })).toThrow(/ffnGate must be one of convex, scaled; got 'half'/);
    expect(() => lmConfig('tiny', { maxSeqLen: 100_000 })).toThrow(/maxSeqLen must be ≤ 8192 \(attention builds S×S scores\), got 100000/);
    expect(() => lmConfig('tiny', { activation: 'swish' as 'silu' })).toThrow(/activation must be one of relu, gelu, silu, tanh; got 'swish'/);
    const m = new LanguageModel(lmConfig('tiny', { nLayers: 1 }));
    expect(() => m.forward(fromData(new Float32Array(4), [1, 4]))).toThrow(/ids must be int32/);
    expect(() => m.forward(fromData(new Int32Array(65), [1, 65]))).toThrow(/exceeds maxSeqLen 64/);
  });
});
