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
import { printTable, time, values, type Row } from './util.js';

const [T, D, N, H] = [1024, 256, 8, 128];

/** One sparse-inference call of the benchmark's layer in `mode` ('dense' or 'topK', k = 2), for the profiler. */
export async function oursInfer(backend: string, mode: string): Promise<() => Promise<void>> {
  await setBackend(backend);
  manualSeed(0);
  const layer = new MoEFeedForward({ dModel: D, nExperts: N, expertHidden: H });
  const x = fromData(values(T * D, 5), [T, D]);
  const m: InferMode = mode === 'dense' ? { mode: 'dense' } : { mode: 'topK', k: 2 };
  return async () => {
    await realize((await layer.infer(x, m)).y);
  };
}

export async function moeInfer(): Promise<Row[]> {
  const rows: Row[] = [];
  const backend = 'wasm';
  await setBackend(backend);
  manualSeed(0);
  const layer = new MoEFeedForward({ dModel: D, nExperts: N, expertHidden: H });
  const w = layer.router.proj.weight;
  w.assign(noGrad(() => w.mul(8)));
  const x = fromData(values(T * D, 5), [T, D]);
  const opts = { budgetMs: 3000, maxReps: 21, warmup: 3 };
  const denseFwd = await time(async () => {
    const y = noGrad(() => layer.forward(x).y);
    await realize(y);
  }, opts);
  rows.push({ bench: 'moe-infer', case: 'dense training forward (GEMM pair)', impl: `dsmoe ${backend}`, ms: denseFwd, rate: T / (denseFwd / 1000), unit: 'tokens/s' });
  const modes: [string, InferMode][] = [
    ['infer dense (all 8 experts)', { mode: 'dense' }],
    ['infer topK k=2', { mode: 'topK', k: 2 }],
    ['infer threshold ε=0.48', { mode: 'threshold', eps: 0.48 }],
    ['infer thresholdTopK ε=0.48', { mode: 'thresholdTopK', eps: 0.48 }],
  ];
  let dense = 0;
  for (const [name, mode] of modes) {
    let active = 0;
    const ms = await time(async () => {
      const r = await layer.infer(x, mode);
      await realize(r.y);
      active = r.stats.activeExperts;
    }, opts);
    if (mode.mode === 'dense') dense = ms;
    rows.push({
      bench: 'moe-infer', case: name, impl: `dsmoe ${backend}`, ms, rate: T / (ms / 1000), unit: 'tokens/s',
      speedup: dense / ms, note: `mean active experts ${active.toFixed(2)}`,
    });
  }
  await setBackend('cpu');
  printTable('moe-infer (speedup: tokens/s ÷ dense-mode tokens/s; target topK k=2 ≥ 3×)', rows);
  return rows;
}
