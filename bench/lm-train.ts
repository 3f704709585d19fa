/**
 * `bench lm-train [steps]`: training throughput of the language model's
 * 'tiny' preset (the one `npm start` trains: batch 16 × 64 tokens, d = 64,
 * 2 layers, 4 attention experts, 8 FFN experts × 32, rotary, RMSNorm, MI
 * losses; the library's training step, Trainer.trainStep, with AdamW,
 * clipping and one tidy per step) on random token ids, as tokens/s, against
 * the same model written here in TensorFlow.js wasm (Adam; same shapes,
 * losses and routers).
 * Ours runs first, so the process's RSS is ours alone: it is sampled every
 * step (default 200 steps; `lm-train 1000` for the flat-memory check) and
 * the peaks of the first and last quarter are compared.
 */
import { setBackend } from '../src/index.js';
import { lmConfig } from '../src/moe/lm-config.js';
import { TRAIN_PRESETS } from '../src/train/settings.js';
import { newTrainer } from '../src/train/trainer.js';
import { useTf, type tf } from './tfjs.js';
import { median, printTable, time, type Row } from './util.js';

const PRESET = 'tiny';
const [B, S] = [16, 64];

function randomIds(seed: number, n: number, vocab: number): Int32Array {
  let s = seed >>> 0 || 1;
  return Int32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % vocab;
  });
}

/** Random token ids the trainer draws its windows from: far more than the steps read. */
const STREAM = 1 << 20;

/**
 * A training step of the preset on `backend`: the library's own
 * (Trainer.trainStep, src/train/trainer.ts) on a fresh random batch of a
 * random stream, at a constant lr of 1e-3 (the peer's Adam rate).
 */
export async function oursLmStep(backend: string): Promise<() => Promise<void>> {
  await setBackend(backend);
  const cfg = lmConfig(PRESET);
  const settings = { ...TRAIN_PRESETS[PRESET]!, steps: 1_000_000, batchSize: B, seqLen: S, lr: 1e-3, minLr: 1e-3, warmup: 0, seed: 1 };
  const trainer = newTrainer(cfg, settings, { train: randomIds(1, STREAM, cfg.vocabSize), val: new Int32Array(0) });
  return async () => {
    await trainer.trainStep();
  };
}

async function oursRun(backend: string, steps: number): Promise<{ times: number[]; rss: number[] }> {
  const step = await oursLmStep(backend);
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    rss.push(process.memoryUsage().rss / 2 ** 20);
  }
  return { times, rss };
}

/** The same model in TensorFlow.js: weights as variables, one loss function, Adam. */
function tfModel(t: typeof tf): { step: (seed: number) => void; dispose: () => void } {
  const cfg = lmConfig(PRESET);
  const { dModel: d, nHeads, nKvHeads, headDim: hd, attnExperts, nExperts, expertHidden: h, vocabSize: V } = cfg;
  let seed = 100;
  const w = (shape: number[], scale: number): tf.Variable => t.variable(t.randomNormal(shape, 0, scale, 'float32', seed++));
  const layers = Array.from({ length: cfg.nLayers }, () => ({
    n1: t.variable(t.ones([d])), n2: t.variable(t.ones([d])),
    wq: w([d, nHeads * hd], d ** -0.5), wk: w([d, nKvHeads * hd], d ** -0.5), wv: w([d, nKvHeads * hd], d ** -0.5),
    wo: w([nHeads * hd, d], (nHeads * hd) ** -0.5), wra: w([d, attnExperts], d ** -0.5),
    w1: w([d, nExperts * h], d ** -0.5), b1: t.variable(t.zeros([nExperts * h])), w2: w([nExperts * h, d], h ** -0.5), b2: t.variable(t.zeros([d])),
    wrf: w([d, nExperts], d ** -0.5),
  }));
  const embed = w([V, d], 0.02), nOut = t.variable(t.ones([d]));
  // Rotary tables and the causal mask, built once.
  const inv = Array.from({ length: hd / 2 }, (_, i) => 10000 ** (-(2 * i) / hd));
  const ang = t.tensor2d(Array.from({ length: S }, (_, p) => inv.map((f) => p * f)).flat(), [S, hd / 2]);
  const cos = t.concat([t.cos(ang), t.cos(ang)], 1), sin = t.concat([t.sin(ang), t.sin(ang)], 1);
  const mask = t.tensor2d(Array.from({ length: S * S }, (_, i) => (i % S > Math.floor(i / S) ? -1e9 : 0)), [S, S]);
  const rms = (x: tf.Tensor, g: tf.Tensor): tf.Tensor => t.mul(t.mul(x, t.rsqrt(t.add(t.mean(t.square(x), -1, true), 1e-5))), g);
  const rope = (x: tf.Tensor): tf.Tensor => {
    const [a, b] = t.split(x, 2, -1);
    return t.add(t.mul(x, cos), t.mul(t.concat([t.neg(b!), a!], -1), sin));
  };
  const mi = (s: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor => {
    const condH = t.neg(t.mean(t.sum(t.mul(s, t.logSoftmax(logits)), -1)));
    const p = t.mean(s, 0);
    return t.add(condH, t.sum(t.mul(p, t.log(t.add(p, 1e-8)))));
  };
  const gelu = (x: tf.Tensor): tf.Tensor => t.mul(t.mul(x, 0.5), t.add(1, t.tanh(t.mul(t.add(x, t.mul(t.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
  const loss = (ids: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar => {
    // The embedding lookup as one-hot · table (tfjs-wasm has no gradient for gather).
    let x = t.matMul(t.oneHot(t.reshape(ids, [-1]) as tf.Tensor1D, V), embed);
    let aux: tf.Tensor = t.scalar(0);
    for (const L of layers) {
      // Attention experts: each owns nHeads/attnExperts query heads and their output rows; K/V shared (GQA).
      const a = rms(x, L.n1) as tf.Tensor2D;
      const la = t.matMul(a, L.wra), sa = t.softmax(la);
      const heads = (m: tf.Tensor, n: number): tf.Tensor => t.transpose(t.reshape(m, [B, S, n, hd]), [0, 2, 1, 3]);
      const q = rope(heads(t.matMul(a, L.wq), nHeads));
      // Query head j reads shared head ⌊j/rep⌋ (tfjs-wasm has no gather gradient, so slices and a concat).
      const kv = (m: tf.Tensor): tf.Tensor => {
        const hs = heads(m, nKvHeads);
        return t.concat(Array.from({ length: nHeads }, (_, j) => t.slice(hs, [0, Math.floor(j / (nHeads / nKvHeads)), 0, 0], [B, 1, S, hd])), 1);
      };
      const k = rope(kv(t.matMul(a, L.wk))), v = kv(t.matMul(a, L.wv));
      const att = t.softmax(t.add(t.mul(t.matMul(q, k, false, true), hd ** -0.5), mask));
      const o = t.reshape(t.transpose(t.matMul(att, v), [0, 2, 1, 3]), [B * S, attnExperts, (nHeads / attnExperts) * hd]);
      const gated = t.reshape(t.mul(o, t.reshape(sa, [B * S, attnExperts, 1])), [B * S, nHeads * hd]);
      x = t.add(x, t.matMul(gated, L.wo));
      // DS-MoE FFN.
      const f = rms(x, L.n2) as tf.Tensor2D;
      const lf = t.matMul(f, L.wrf), sf = t.softmax(lf);
      const act = gelu(t.add(t.matMul(f, L.w1), L.b1));
      const g = t.reshape(t.mul(t.reshape(act, [B * S, nExperts, h]), t.reshape(sf, [B * S, nExperts, 1])), [B * S, nExperts * h]);
      x = t.add(x, t.add(t.matMul(g, L.w2), L.b2));
      aux = t.add(aux, t.add(t.mul(mi(sf as tf.Tensor2D, lf as tf.Tensor2D), cfg.alphaFfn), t.mul(mi(sa as tf.Tensor2D, la as tf.Tensor2D), cfg.alphaAttn)));
    }
    const logits = t.matMul(rms(x, nOut) as tf.Tensor2D, embed, false, true);
    return t.add(t.losses.softmaxCrossEntropy(t.oneHot(targets, V), logits), aux) as tf.Scalar;
  };
  const opt = t.train.adam(1e-3);
  return {
    step: (s) => {
      const ids = randomIds(s, B * (S + 1), V);
      const inp = t.tensor2d(ids.filter((_, i) => i % (S + 1) !== S), [B, S], 'int32');
      const tgt = t.tensor1d(ids.filter((_, i) => i % (S + 1) !== 0), 'int32');
      const l = opt.minimize(() => loss(inp, tgt), true);
      l!.dataSync();
      t.dispose([l!, inp, tgt]);
    },
    dispose: () => opt.dispose(),
  };
}

export async function lmTrain(sizes: number[]): Promise<Row[]> {
  const steps = sizes[0] ?? 200;
  const tokens = B * S;
  const rows: Row[] = [];
  const name = `LM '${PRESET}' train step, ${B}×${S} tokens`;
  for (const backend of ['wasm', 'wasm:1']) {
    const n = backend === 'wasm' ? steps : Math.min(steps, 30);
    const { times, rss } = await oursRun(backend, n);
    const ms = median(times.slice(Math.min(3, n - 1)));
    const q = Math.max(1, Math.floor(n / 4));
    const early = Math.max(...rss.slice(0, q)), late = Math.max(...rss.slice(-q));
    rows.push({
      bench: 'lm-train', case: name, impl: `dsmoe ${backend}`, ms, rate: tokens / (ms / 1000), unit: 'tokens/s',
      note: backend === 'wasm' ? `${n} steps; peak RSS ${early.toFixed(0)} MiB in the first quarter, ${late.toFixed(0)} MiB in the last` : `${n} steps`,
    });
  }
  const t = await useTf('wasm');
  const peer = tfModel(t);
  let s = 0;
  const tfMs = await time(() => peer.step(++s), { warmup: 2, maxReps: 15, budgetMs: 6000 });
  peer.dispose();
  rows.push({ bench: 'lm-train', case: name, impl: 'tfjs wasm', ms: tfMs, rate: tokens / (tfMs / 1000), unit: 'tokens/s' });
  for (const r of rows) if (r.impl.startsWith('dsmoe')) r.speedup = tfMs / r.ms;
  await setBackend('cpu');
  printTable('lm-train (speedup: tfjs-wasm ms ÷ ours)', rows);
  return rows;
}
