/**
 * `bench moe-infer`: sparse inference of one DS-MoE FFN layer (T = 1024
 * tokens, d = 256, N = 8 experts × h = 128) in each routing mode, as tokens
 * per second: dense (every expert through the dispatcher), topK k = 2, and
 * threshold ε = 0.48 with its mean active experts. The dense training
 * forward (one GEMM pair, no dispatch) is listed as well.
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

/** One sparse-inference call of the benchmark's layer in `mode` ('dense', 'topK' with k = 2, or 'threshold' with ε = 0.48), for the profiler. */
/** The benchmark's layer on `backend`, its router scaled ×8 to stand in for a trained one, and its input. */
async function benchLayer(backend: string): Promise<{ layer: MoEFeedForward; x: ReturnType<typeof fromData> }> {
  await setBackend(backend);
  manualSeed(0);
  const layer = new MoEFeedForward({ dModel: D, nExperts: N, expertHidden: H });
  const w = layer.router.proj.weight;
  w.assign(noGrad(() => w.mul(8)));
  return { layer, x: fromData(values(T * D, 5), [T, D]) };
}

export async function oursInfer(backend: string, mode: string): Promise<() => Promise<void>> {
  const { layer, x } = await benchLayer(backend);
  const m: InferMode = mode === 'dense' ? { mode: 'dense' } : mode === 'threshold' ? { mode: 'threshold', eps: 0.48 } : { mode: 'topK', k: 2 };
  return async () => {
    await realize((await layer.infer(x, m)).y);
  };
}

export async function moeInfer(): Promise<Row[]> {
  const rows: Row[] = [];
  const backend = 'wasm';
  const { layer, x } = await benchLayer(backend);
  const modes: [string, InferMode][] = [
    ['infer dense (all 8 experts)', { mode: 'dense' }],
    ['infer topK k=2', { mode: 'topK', k: 2 }],
    ['infer threshold ε=0.48', { mode: 'threshold', eps: 0.48 }],
    ['infer thresholdTopK ε=0.48', { mode: 'thresholdTopK', eps: 0.48 }],
  ];
  const active = new Map<string, number>();
  // Every mode (and the training forward) in interleaved rounds, so all see the same background load.
  const runners: Runner[] = [
    { impl: 'dense training forward (GEMM pair)', fn: async () => realize(noGrad(() => layer.forward(x).y)) },
    ...modes.map(([name, mode]): Runner => ({
      impl: name,
      fn: async () => {
        const r = await layer.infer(x, mode);
        await realize(r.y);
        active.set(name, r.stats.activeExperts);
      },
    })),
  ];
  const ms = await interleave(runners, { warmup: 3, minRounds: 9, maxRounds: 25, budgetMs: 8000 });
  const dense = ms.get(modes[0]![0])!;
  for (const r of runners) {
    const m = ms.get(r.impl)!;
    const a = active.get(r.impl);
    rows.push({
      bench: 'moe-infer', case: r.impl, impl: `dsmoe ${backend}`, ms: m, rate: T / (m / 1000), unit: 'tokens/s',
      speedup: dense / m, note: a === undefined ? 'no dispatch' : `mean active experts ${a.toFixed(2)}`,
    });
  }
  await setBackend('cpu');
  printTable('moe-infer (speedup: tokens/s ÷ dense-mode tokens/s; target topK k=2 ≥ 3×)', rows);
  return rows;
}
