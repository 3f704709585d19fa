/**
 * Zero-computation experts (MoE++, zero-experts.ts): router choices after
 * the FFN experts whose output is 0, x or a learned constant. Checked: a
 * token routed to one gets exactly g·E(x) (plus b2), with no GEMM run and
 * no FLOP or parameter counted for it; the kit's layer checkers in every
 * mode; gradcheck of the dense forward and the sparse training path; and
 * the unknown kind refused by name.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { fromData, getBackend, grad, manualSeed, noGrad, randn, setBackend, type Tensor } from '../../src/index.js';
import { MoEFeedForward, type MoEFeedForwardOptions } from '../../src/moe/moe-ffn.js';
import { ffnHostWeights } from '../../src/moe/oracle.js';
import { lmConfig, routerExperts } from '../../src/moe/lm-config.js';
import { LanguageModel } from '../../src/moe/lm.js';
import { stateDictShapes } from '../../src/moe/lm-shapes.js';
import { ZERO_EXPERT_KINDS, type ZeroExpertKind } from '../../src/moe/zero-experts.js';
import { checkDispatcher, checkSparseBound } from '../../src/testing/index.js';
import { closeTo, layerForward, randomTensor, layerGradcheck } from './helpers.js';
import { moeBackends } from './backends.js';

const backends = await moeBackends();
const KINDS: ZeroExpertKind[] = ['zero', 'copy', 'constant'];

function layerOf(opts: Partial<MoEFeedForwardOptions>, seed = 3): MoEFeedForward {
  manualSeed(seed);
  const layer = new MoEFeedForward({ dModel: 5, nExperts: 3, expertHidden: 3, zeroExperts: KINDS, ...opts });
  for (const p of layer.parameters()) p.assign(noGrad(() => p.add(randn([...p.shape]).mul(0.3))));
  return layer;
}

/** Router weights that send every token with positive inputs to choice `e` (a linear router: a large weight on every input). */
function routeAllTo(layer: MoEFeedForward, e: number): void {
  const w = layer.router.proj.weight; // [d, N + Z]
  const [d, n] = w.shape as [number, number];
  const data = new Float32Array(d * n);
  for (let i = 0; i < d; i++) data[i * n + e] = 50;
  noGrad(() => w.assign(fromData(data, [d, n])));
}

describe.each(backends)('zero-computation experts on %s', (backendName) => {
  it('a token routed to one gets exactly g·E(x) + b2 (0, x or c), and no grouped GEMM runs', async () => {
    await setBackend(backendName);
    expect(getBackend().name).toBe(backendName);
    for (const [j, kind] of KINDS.entries()) {
      const layer = layerOf({});
      routeAllTo(layer, 3 + j);
      // Positive inputs, so the large router weight wins by far: every token's top-1 is choice 3 + j.
      const x = randomTensor([4, 5], 9).abs().add(0.5);
      const spy = vi.spyOn(getBackend(), 'groupedMatmul');
      const out = await layer.infer(x, { mode: 'topK', k: 1 });
      expect(spy, kind).not.toHaveBeenCalled();
      spy.mockRestore();
      expect(out.routing.experts, kind).toEqual([[3 + j], [3 + j], [3 + j], [3 + j]]);
      const [xs, b2, c] = [await x.data(), await layer.b2!.data(), await layer.constants!.data()];
      const y = await out.y.data();
      for (let t = 0; t < 4; t++) {
        const g = out.routing.gates[t]![0]!;
        for (let o = 0; o < 5; o++) {
          const e = kind === 'zero' ? 0 : kind === 'copy' ? xs[t * 5 + o]! : c[o]!;
          expect(Math.abs(y[t * 5 + o]! - (b2[o]! + Math.fround(g) * e)), `${kind}, token ${t}, output ${o}`).toBeLessThan(1e-5);
        }
      }
      // No FLOP beyond the router's, no parameter beyond the router, b2 and (for a constant) c.
      expect(out.stats.flops).toBe(2 * 4 * 5 * 6);
      expect(out.stats.activeExperts).toBe(0);
      expect(out.stats.zeroExperts).toBe(1);
      expect(out.stats.activeParams).toBe(5 * 6 + 5 + (kind === 'constant' ? 5 : 0));
      expect(out.stats.load).toEqual([0, 0, 0, ...KINDS.map((_, i) => (i === j ? 4 : 0))]);
    }
  });
});

describe('zero-computation experts (cpu)', () => {
  it('pass the kit\'s dispatcher and sparse-bound checks in every mode, alone and beside shared experts', async () => {
    await setBackend('cpu');
    for (const opts of [{}, { gate: 'scaled' as const }, { sharedExperts: 1 }, { zeroExperts: ['copy', 'constant', 'constant'] as ZeroExpertKind[] }]) {
      const layer = layerOf(opts);
      const w = await ffnHostWeights(layer);
      await checkDispatcher(layerForward(layer), w, { numRuns: 15 });
      await checkSparseBound(layerForward(layer), w, { numRuns: 15 });
    }
  });

  it('pass gradcheck (float64) in the dense forward: the copy\'s and the constants\' gates reach the router, c gets its gradient', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.subarray(KINDS, { minLength: 1 }), async (seed, kinds) => {
      manualSeed(seed);
      const layer = new MoEFeedForward({ dModel: 3, nExperts: 2, expertHidden: 2, zeroExperts: kinds, dtype: 'float64' });
      if (layer.constants) noGrad(() => layer.constants!.assign(randn([...layer.constants!.shape], { dtype: 'float64' })));
      const x = randomTensor([3, 3], seed + 1).cast('float64');
      const probe = randomTensor([3, 3], seed + 2).cast('float64');
      const report = await layerGradcheck(layer, x, probe, (aux) => aux.mi);
      expect(report.ok, JSON.stringify(report)).toBe(true);
    }), { numRuns: 10 });
  });

  it('sparse training through the dispatcher has the values and gradients of the top-k masked dense forward', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 4 }), async (seed, k) => {
      manualSeed(seed);
      const layer = new MoEFeedForward({ dModel: 4, nExperts: 3, expertHidden: 2, zeroExperts: ['copy', 'zero', 'constant'], training: { mode: 'topK', k }, dtype: 'float64' });
      noGrad(() => layer.constants!.assign(randn([1, 4], { dtype: 'float64' })));
      const x = randomTensor([5, 4], seed + 1).cast('float64');
      const probe = randomTensor([5, 4], seed + 2).cast('float64');
      const params = layer.parameters();
      const dense = layer.forward(x).y.mul(probe).sum();
      const sparse = (await layer.forwardSparse(x)).y.mul(probe).sum();
      expect(Math.abs((await dense.item()) - (await sparse.item()))).toBeLessThan(1e-12);
      const [gd, gs] = [grad(dense, params), grad(sparse, params)];
      // A weight no token reached has no gradient in the sparse path: zero, as the mask gives it.
      const values = async (g: Tensor | null, size: number): Promise<ArrayLike<number>> => (g ? g.data() : new Float64Array(size));
      for (const [i, p] of params.entries()) {
        const c = closeTo(await values(gs[i]!, p.size), await values(gd[i]!, p.size), 1e-12, 1e-9);
        expect(c.ok, `${layer.namedParameters()[i]![0]} (${p.shape}): ${c.worst}`).toBe(true);
      }
    }), { numRuns: 10 });
  });

  it('in the language model: the router scores N + Z choices, the constants are one tensor; an unknown kind is refused by name', () => {
    const c = lmConfig('tiny', { zeroExperts: ['zero', 'copy', 'constant', 'constant'] });
    expect(routerExperts(c)).toBe(12);
    const shapes = stateDictShapes(c);
    expect(shapes['blocks.1.ffn.router.proj.weight']).toEqual([64, 12]);
    expect(shapes['blocks.1.ffn.constants']).toEqual([2, 64]);
    const m = new LanguageModel(c);
    expect(Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.shape]]))).toEqual(shapes);
    expect(ZERO_EXPERT_KINDS).toEqual(['zero', 'copy', 'constant']);
    expect(() => lmConfig('tiny', { zeroExperts: ['zero', 'null' as ZeroExpertKind] })).toThrow("model config: zeroExperts[1]: unknown zero-computation expert 'null' (known: zero, copy, constant)");
    expect(() => lmConfig('tiny', { zeroExperts: 'zero' as unknown as ZeroExpertKind[] })).toThrow('model config: zeroExperts must be a list of zero, copy, constant; got "zero"');
    expect(() => new MoEFeedForward({ dModel: 4, nExperts: 2, expertHidden: 2, zeroExperts: ['identity' as ZeroExpertKind] })).toThrow("MoEFeedForward: zeroExperts[0]: unknown zero-computation expert 'identity'");
  });
});
