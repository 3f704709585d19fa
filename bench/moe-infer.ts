/**
 * `bench moe-infer`: sparse inference of one DS-MoE FFN layer (T = 1024
 * tokens, d = 256, N = 8 experts × h = 128) in each routing mode, as tokens
 * per second: dense (the layer's training forward, one GEMM pair: the
 * fastest way to run every expert), topK k = 2, threshold ε = 0.48 with its
 * mean active experts, thresholdTopK, and topP at p = 0.6 and 0.8 (dynamic
 * K, each at its own mean active count, in the note). topK k = 8 (every
 * expert through the dispatcher) shows what dispatching costs over the GEMM pair.
 *
 * A freshly initialised router is nearly uniform, so threshold mode would
 * keep almost every expert; the layer's router weights are scaled up (×8)
 * to stand in for a trained, confident router. Top-K costs the same either way.
 */
import { fromData, manualSeed, noGrad, realize, setBackend } from '../src/index.js';
import { MoEFeedForward } from '../src/moe/index.js';
import type { InferMode } from '../src/moe/routing.js';
import { interleave, printTable, values, type Row, type Runner } from './util.js';

const [T, D, N, H] = [1024, 256, 8, 128];

/** The benchmark's layer on `backend`, its router scaled ×8 to stand in for a trained one, and its input. */
async function benchLayer(backend: string): Promise<{ layer: MoEFeedForward; x: ReturnType<typeof fromData> }> {
  await setBackend(backend);
  manualSeed(0);
  const layer = new MoEFeedForward({ dModel: D, nExperts: N, expertHidden: H });
  const w = layer.router.proj.weight;
  w.assign(noGrad(() => w.mul(8)));
  return { layer, x: fromData(values(T * D, 5), [T, D]) };
}

/** One sparse-inference call of the benchmark's layer in `mode` ('dense', 'topK' with k = 2, 'threshold' with ε = 0.48 or 'topP' with p = 0.8), for the profiler. */
export async function oursInfer(backend: string, mode: string): Promise<() => Promise<void>> {
  const { layer, x } = await benchLayer(backend);
  const m: InferMode = mode === 'dense' ? { mode: 'dense' } : mode === 'threshold' ? { mode: 'threshold', eps: 0.48 } : mode === 'topP' ? { mode: 'topP', p: 0.8 } : { mode: 'topK', k: 2 };
  return async () => {
    await realize((await layer.infer(x, m)).y);
  };
}

const MODES: [string, InferMode][] = [
  ['infer dense (all 8 experts, GEMM pair)', { mode: 'dense' }],
  ['infer topK k=8 (all 8 experts, dispatched)', { mode: 'topK', k: 8 }],
  ['infer topK k=2', { mode: 'topK', k: 2 }],
  ['infer threshold ε=0.48', { mode: 'threshold', eps: 0.48 }],
  ['infer thresholdTopK ε=0.48', { mode: 'thresholdTopK', eps: 0.48 }],
  ['infer topP p=0.6', { mode: 'topP', p: 0.6 }],
  ['infer topP p=0.8', { mode: 'topP', p: 0.8 }],
];

/** Every mode on one backend, in interleaved rounds so that all see the same background load. */
async function modesOn(backend: string): Promise<Row[]> {
  const { layer, x } = await benchLayer(backend);
  const active = new Map<string, number>();
  const runners: Runner[] = MODES.map(([name, mode]): Runner => ({
    impl: name,
    fn: async () => {
      const r = await layer.infer(x, mode);
      await realize(r.y);
      active.set(name, r.stats.activeExperts);
    },
  }));
  const ms = await interleave(runners, { warmup: 10, minRounds: 30, maxRounds: 80, budgetMs: 8000 });
  const dense = ms.get(MODES[0]![0])!;
  return runners.map((r) => {
    const m = ms.get(r.impl)!;
    return {
      bench: 'moe-infer', case: r.impl, impl: `dsmoe ${backend}`, ms: m, rate: T / (m / 1000), unit: 'tokens/s',
      speedup: dense / m, note: `mean active experts ${active.get(r.impl)!.toFixed(2)}`,
    };
  });
}

export async function moeInfer(): Promise<Row[]> {
  const rows = [...(await modesOn('wasm')), ...(await modesOn('wasm:1'))];
  await setBackend('cpu');
  printTable('moe-infer (speedup: tokens/s ÷ dense-mode tokens/s on the same backend; target topK k=2 ≥ 3×)', rows);
  return rows;
}
