/**
 * `bench lm-infer`: inference of the whole language model, as tokens/s, for
 * the presets 'tiny' and 'small' (kind 'dsmoe') on 'wasm' (one thread per
 * core) and 'wasm:1' (one thread), in each routing mode: dense, topK k = 1
 * and 2, threshold ε = 0.48 and 0.6, thresholdTopK ε = 0.48.
 *
 *   prefill   model.infer over 8192 tokens: sequences of maxSeqLen, 8 to a
 *             call, the logits read back each call (what scoring or the
 *             prompt of a chat costs);
 *   decode    a 16-token prompt, then 256 new tokens one step at a time
 *             through the KV cache (DecodeState + model.decode), at batch 1
 *             and 8; the window slides once it is full. Greedy: the next
 *             token is the argmax of the logits, read on the host, as a
 *             serving loop would;
 *   recompute the decoding of today's `generate` (src/train/sample.ts):
 *             model.infer over the last maxSeqLen tokens for every new
 *             token, batch 1. cached ÷ recompute is the gain of the
 *             cache (the target: ≥ 10×).
 *
 * The peer is the same model written here in TensorFlow.js wasm (same
 * shapes; every expert computed and mixed by its router scores, attention
 * included, as the training forward runs), measured in the same process:
 * prefill as ours, decode at batch 1 by recomputing the window (it has no
 * KV cache), which is what a tf.js port of this model would do.
 *
 * The weights are freshly initialised, and a fresh router is nearly
 * uniform, so threshold mode would keep almost every expert; every router's
 * output weights are scaled ×8 (as in moe-infer) to stand in for the
 * confident routers of a trained model. Top-K costs the same either way.
 *
 * Each table row's "vs peer" is ms of the tf.js peer ÷ ours for the same
 * case; the note gives the ratio to dense mode of the same model and batch
 * (and, for decode, cached ÷ recompute) and the mean active FFN experts.
 * Peak RSS is the process's high-water mark at the end of each section, so
 * it only grows from one section to the next. Timings are medians of
 * interleaved rounds (util.ts), few of them: the whole run is a few minutes
 * on two cores.
 */
import { fromData, manualSeed, noGrad, setBackend, type Tensor } from '../src/index.js';
import { LanguageModel } from '../src/moe/lm.js';
import { lmConfig, type LMConfig } from '../src/moe/lm-config.js';
import { MoEAttention } from '../src/moe/moe-attention.js';
import { MoEFeedForward } from '../src/moe/moe-ffn.js';
import type { Router } from '../src/moe/router.js';
import type { InferMode } from '../src/moe/routing.js';
import { DecodeState } from '../src/moe/decode-state.js';
import { freeResults } from '../src/tensor/tidy.js';
import { modeLabel } from '../src/train/sparse-eval.js';
import { useTf, type tf } from './tfjs.js';
import { interleave, peakRssMb, printTable, withSpeedups, type Row, type Runner } from './util.js';

const PRESET_NAMES = ['tiny', 'small'];
const BACKENDS = ['wasm', 'wasm:1'];
const MODES: InferMode[] = [
  { mode: 'dense' },
  { mode: 'topK', k: 1 },
  { mode: 'topK', k: 2 },
  { mode: 'threshold', eps: 0.48 },
  { mode: 'threshold', eps: 0.6 },
  { mode: 'thresholdTopK', eps: 0.48 },
];
const PREFILL_TOKENS = 8192;
const PREFILL_BATCH = 8;
const PROMPT = 16;
const NEW_TOKENS = 256;
const DECODE_BATCHES = [1, 8];
/** Few rounds: a decode run is 256 steps already; 3 to 5 rounds give a median that holds on a noisy machine. */
const ROUNDS = { warmup: 1, minRounds: 3, maxRounds: 5, budgetMs: 4000, slowMs: 60_000 };
const PEER = 'tfjs wasm';

/** Deterministic token ids in [0, vocab) (an LCG: runs are comparable). */
function randomIds(seed: number, n: number, vocab: number): Int32Array {
  let s = seed >>> 0 || 1;
  return Int32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % vocab;
  });
}

/** Per row of logits [B, s, V] (on the host), the argmax of its last position: greedy decoding. */
function lastArgmax(logits: ArrayLike<number>, batch: number, s: number, vocab: number): Int32Array {
  const next = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const at = (b * s + s - 1) * vocab;
    let best = 0;
    for (let v = 1; v < vocab; v++) if (logits[at + v]! > logits[at + best]!) best = v;
    next[b] = best;
  }
  return next;
}

/** The router's output layer, scaled ×8 so that its scores are as peaked as a trained router's. */
function sharpen(router: Router): void {
  const w = (router.out ?? router.proj).weight;
  w.assign(noGrad(() => w.mul(8)));
}

/** A fresh dsmoe model of `preset` on `backend`, its routers sharpened (see the header). */
async function benchModel(preset: string, backend: string): Promise<LanguageModel> {
  await setBackend(backend);
  manualSeed(0);
  const model = new LanguageModel(lmConfig(preset, { kind: 'dsmoe' }));
  model.eval();
  for (const block of model.blocks) {
    if (block.attn instanceof MoEAttention) sharpen(block.attn.router);
    if (block.ffn instanceof MoEFeedForward) sharpen(block.ffn.router);
  }
  return model;
}

/** One prefill run: every batch of `batches` through model.infer, logits read back; the mean active FFN experts. */
async function prefill(model: LanguageModel, batches: readonly Tensor[], mode: InferMode): Promise<number> {
  let active = 0;
  for (const ids of batches) {
    const r = await model.infer(ids, { mode });
    await r.logits.data();
    freeResults(r.logits); // infer leaves nothing else on the device
    active += r.stats.ffnActiveExperts;
  }
  return active / batches.length;
}

/**
 * Cached decoding: the prompt [B, PROMPT] through model.decode, then
 * `steps` single-token steps, each feeding back the greedy token. Returns
 * the ms of the steps alone (the prompt is prefill, measured above).
 */
async function cachedDecode(model: LanguageModel, mode: InferMode, prompt: Int32Array, batch: number, steps: number): Promise<number> {
  const vocab = model.config.vocabSize;
  const state = new DecodeState(model, { batch });
  try {
    const step = async (ids: Int32Array, s: number): Promise<Int32Array> => {
      const input = fromData(ids, [batch, s]);
      const r = await model.decode(state, input, { mode });
      const next = lastArgmax(await r.logits.data(), batch, s, vocab);
      freeResults(r.logits); // as infer's: a result of decode's own tidies, the caller's to free
      input.dispose();
      return next;
    };
    let next = await step(prompt, prompt.length / batch);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) next = await step(next, 1);
    return performance.now() - t0;
  } finally {
    state.dispose();
  }
}

/**
 * One decoding step of `preset` in `mode` ('dense', 'topK' k = 2, 'threshold' ε = 0.48) at `batch`, for
 * the profiler: each call feeds back the greedy token; the window slides as in cachedDecode.
 */
export async function oursDecodeStep(backend: string, preset: string, mode: string, batch = 1): Promise<() => Promise<void>> {
  const model = await benchModel(preset, backend);
  const m: InferMode = mode === 'dense' ? { mode: 'dense' } : mode === 'threshold' ? { mode: 'threshold', eps: 0.48 } : { mode: 'topK', k: 2 };
  const state = new DecodeState(model, { batch });
  let next = randomIds(1001, batch * PROMPT, model.config.vocabSize);
  return async () => {
    const s = next.length / batch;
    const input = fromData(next, [batch, s]);
    const r = await model.decode(state, input, { mode: m });
    next = lastArgmax(await r.logits.data(), batch, s, model.config.vocabSize);
    freeResults(r.logits);
    input.dispose();
  };
}

/** One prefill call of `preset` in `mode` (as oursDecodeStep names them): 8 sequences of maxSeqLen through model.infer, for the profiler. */
export async function oursPrefillStep(backend: string, preset: string, mode: string): Promise<() => Promise<void>> {
  const model = await benchModel(preset, backend);
  const m: InferMode = mode === 'dense' ? { mode: 'dense' } : mode === 'threshold' ? { mode: 'threshold', eps: 0.48 } : { mode: 'topK', k: 2 };
  const { maxSeqLen: S, vocabSize: V } = model.config;
  const ids = fromData(randomIds(1, PREFILL_BATCH * S, V), [PREFILL_BATCH, S]);
  return async () => {
    await prefill(model, [ids], m);
  };
}

/** Today's decoding (generate): model.infer over the last maxSeqLen tokens for each new token, batch 1. Returns the ms of the steps. */
async function recomputeDecode(model: LanguageModel, mode: InferMode, prompt: Int32Array, steps: number): Promise<number> {
  const ids = Array.from(prompt);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const ctx = ids.slice(-model.config.maxSeqLen);
    const input = fromData(Int32Array.from(ctx), [1, ctx.length]);
    const r = await model.infer(input, { mode });
    ids.push(lastArgmax(await r.logits.data(), 1, ctx.length, model.config.vocabSize)[0]!);
    freeResults(r.logits);
    input.dispose();
  }
  return performance.now() - t0;
}

function row(c: string, impl: string, ms: number, tokens: number, note?: string): Row {
  return { bench: 'lm-infer', case: c, impl, ms, rate: tokens / (ms / 1000), unit: 'tokens/s', ...(note ? { note } : {}) };
}

/** The case names, shared by our rows and the peer's so that withSpeedups pairs them. */
const prefillCase = (preset: string): string => `${preset} prefill ${PREFILL_TOKENS} tokens`;
const decodeCase = (preset: string, batch: number): string => `${preset} decode ${NEW_TOKENS} tokens, batch ${batch}`;

/**
 * Every mode of one preset on one backend: prefill, cached decode at each
 * batch, and recompute decode at batch 1. One interleave per kind of
 * run, so all modes see the same background load.
 */
async function section(preset: string, backend: string): Promise<Row[]> {
  const model = await benchModel(preset, backend);
  const { maxSeqLen: S, vocabSize: V } = model.config;
  const seqs = PREFILL_TOKENS / S;
  const batches = Array.from({ length: seqs / PREFILL_BATCH }, (_, i) => fromData(randomIds(i + 1, PREFILL_BATCH * S, V), [PREFILL_BATCH, S]));
  const active = new Map<string, number>();
  const impl = (m: InferMode, kind = ''): string => `dsmoe ${backend}${kind} ${modeLabel(m)}`;

  const prefillMs = await interleave(MODES.map((m): Runner => ({
    impl: impl(m),
    fn: async () => active.set(modeLabel(m), await prefill(model, batches, m)),
  })), ROUNDS);
  for (const b of batches) b.dispose();

  const decodeMs = new Map<number, Map<string, number>>();
  for (const batch of DECODE_BATCHES) {
    const prompt = randomIds(1000 + batch, batch * PROMPT, V);
    decodeMs.set(batch, await interleave(MODES.map((m): Runner => ({ impl: impl(m), fn: () => cachedDecode(model, m, prompt, batch, NEW_TOKENS) })), ROUNDS));
  }
  // Two runs, no warm-up (the model is warm from the cached runs): this baseline is the slow part of the bench.
  const recomputeMs = await interleave(MODES.map((m): Runner => ({
    impl: impl(m, ' recompute'),
    fn: () => recomputeDecode(model, m, randomIds(1001, PROMPT, V), NEW_TOKENS),
  })), { ...ROUNDS, warmup: 0, minRounds: 2, maxRounds: 2 });

  const rows: Row[] = [];
  const vsDense = (ms: Map<string, number>, m: InferMode, kind = ''): string => `${(ms.get(impl(MODES[0]!, kind))! / ms.get(impl(m, kind))!).toFixed(2)}× dense`;
  for (const m of MODES) {
    const experts = `FFN experts ${active.get(modeLabel(m))!.toFixed(2)}`;
    rows.push(row(prefillCase(preset), impl(m), prefillMs.get(impl(m))!, PREFILL_TOKENS, `${vsDense(prefillMs, m)}; ${experts}`));
  }
  for (const batch of DECODE_BATCHES) {
    const ms = decodeMs.get(batch)!;
    for (const m of MODES) {
      const re = batch === 1 ? recomputeMs.get(impl(m, ' recompute')) : undefined;
      const gain = re === undefined ? '' : `; ${(re / ms.get(impl(m))!).toFixed(1)}× recompute`;
      rows.push(row(decodeCase(preset, batch), impl(m), ms.get(impl(m))!, batch * NEW_TOKENS, `KV cache; ${vsDense(ms, m)}${gain}`));
    }
  }
  for (const m of MODES) {
    const re = recomputeMs.get(impl(m, ' recompute'));
    if (re !== undefined) rows.push(row(decodeCase(preset, 1), impl(m, ' recompute'), re, NEW_TOKENS, `no cache; ${vsDense(recomputeMs, m, ' recompute')}`));
  }
  rows[0]!.note += `; peak RSS ${peakRssMb().toFixed(0)} MiB`;
  return rows;
}

/**
 * The same model in TensorFlow.js (weights of the same shapes, random):
 * logits of ids [B, s] with every expert computed, attention experts gated
 * and FFN experts mixed by their routers' softmax, as in lm-train's peer.
 */
function tfModel(t: typeof tf, cfg: LMConfig): { logits: (ids: Int32Array, b: number, s: number) => tf.Tensor; dispose: () => void } {
  const { dModel: d, nHeads, nKvHeads, headDim: hd, attnExperts, nExperts, expertHidden: h, vocabSize: V, maxSeqLen: S } = cfg;
  let seed = 100;
  const w = (shape: number[], scale: number): tf.Tensor => t.randomNormal(shape, 0, scale, 'float32', seed++);
  const layers = Array.from({ length: cfg.nLayers }, () => ({
    n1: t.ones([d]), n2: t.ones([d]),
    wq: w([d, nHeads * hd], d ** -0.5), wk: w([d, nKvHeads * hd], d ** -0.5), wv: w([d, nKvHeads * hd], d ** -0.5),
    wo: w([nHeads * hd, d], (nHeads * hd) ** -0.5), wra: w([d, attnExperts], 8 * d ** -0.5),
    w1: w([d, nExperts * h], d ** -0.5), b1: t.zeros([nExperts * h]), w2: w([nExperts * h, d], h ** -0.5), b2: t.zeros([d]),
    wrf: w([d, nExperts], 8 * d ** -0.5),
  }));
  const embed = w([V, d], 0.02), nOut = t.ones([d]);
  // Rotary tables and the causal mask for the longest window, sliced to each call's length.
  const inv = Array.from({ length: hd / 2 }, (_, i) => 10000 ** (-(2 * i) / hd));
  const ang = t.tensor2d(Array.from({ length: S }, (_, p) => inv.map((f) => p * f)).flat(), [S, hd / 2]);
  const cosS = t.concat([t.cos(ang), t.cos(ang)], 1), sinS = t.concat([t.sin(ang), t.sin(ang)], 1);
  const maskS = t.tensor2d(Array.from({ length: S * S }, (_, i) => (i % S > Math.floor(i / S) ? -1e9 : 0)), [S, S]);
  // Query head j reads shared head ⌊j/rep⌋ (grouped-query attention).
  const kvIndex = t.tensor1d(Array.from({ length: nHeads }, (_, j) => Math.floor(j / (nHeads / nKvHeads))), 'int32');
  const rms = (x: tf.Tensor, g: tf.Tensor): tf.Tensor => t.mul(t.mul(x, t.rsqrt(t.add(t.mean(t.square(x), -1, true), 1e-5))), g);
  const gelu = (x: tf.Tensor): tf.Tensor => t.mul(t.mul(x, 0.5), t.add(1, t.tanh(t.mul(t.add(x, t.mul(t.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));

  const logits = (idsData: Int32Array, B: number, s: number): tf.Tensor => t.tidy(() => {
    const T = B * s;
    const cos = t.slice(cosS, [0, 0], [s, hd]), sin = t.slice(sinS, [0, 0], [s, hd]), mask = t.slice(maskS, [0, 0], [s, s]);
    const rope = (x: tf.Tensor): tf.Tensor => {
      const [a, b] = t.split(x, 2, -1);
      return t.add(t.mul(x, cos), t.mul(t.concat([t.neg(b!), a!], -1), sin));
    };
    const heads = (m: tf.Tensor, n: number): tf.Tensor => t.transpose(t.reshape(m, [B, s, n, hd]), [0, 2, 1, 3]);
    let x = t.gather(embed, t.tensor1d(idsData, 'int32'));
    for (const L of layers) {
      const a = rms(x, L.n1) as tf.Tensor2D;
      const sa = t.softmax(t.matMul(a, L.wra));
      const q = rope(heads(t.matMul(a, L.wq), nHeads));
      const k = rope(t.gather(heads(t.matMul(a, L.wk), nKvHeads), kvIndex, 1));
      const v = t.gather(heads(t.matMul(a, L.wv), nKvHeads), kvIndex, 1);
      const att = t.softmax(t.add(t.mul(t.matMul(q, k, false, true), hd ** -0.5), mask));
      const o = t.reshape(t.transpose(t.matMul(att, v), [0, 2, 1, 3]), [T, attnExperts, (nHeads / attnExperts) * hd]);
      const gated = t.reshape(t.mul(o, t.reshape(sa, [T, attnExperts, 1])), [T, nHeads * hd]);
      x = t.add(x, t.matMul(gated, L.wo));
      const f = rms(x, L.n2) as tf.Tensor2D;
      const sf = t.softmax(t.matMul(f, L.wrf));
      const act = gelu(t.add(t.matMul(f, L.w1), L.b1));
      const g = t.reshape(t.mul(t.reshape(act, [T, nExperts, h]), t.reshape(sf, [T, nExperts, 1])), [T, nExperts * h]);
      x = t.add(x, t.add(t.matMul(g, L.w2), L.b2));
    }
    return t.reshape(t.matMul(rms(x, nOut) as tf.Tensor2D, embed, false, true), [B, s, V]);
  });
  const all = [...layers.flatMap((L) => Object.values(L)), embed, nOut, cosS, sinS, maskS, kvIndex];
  return { logits, dispose: () => t.dispose(all) };
}

/** The tf.js peer of one preset: prefill as ours, and decode at batch 1 by recomputing the window. */
async function peer(preset: string): Promise<Row[]> {
  const t = await useTf('wasm');
  const cfg = lmConfig(preset, { kind: 'dsmoe' });
  const { maxSeqLen: S, vocabSize: V } = cfg;
  const m = tfModel(t, cfg);
  const batches = Array.from({ length: PREFILL_TOKENS / S / PREFILL_BATCH }, (_, i) => randomIds(i + 1, PREFILL_BATCH * S, V));
  const prefillRun = async (): Promise<void> => {
    for (const ids of batches) {
      const y = m.logits(ids, PREFILL_BATCH, S);
      await y.data();
      y.dispose();
    }
  };
  const decodeRun = async (): Promise<void> => {
    const ids = Array.from(randomIds(1001, PROMPT, V));
    for (let i = 0; i < NEW_TOKENS; i++) {
      const ctx = ids.slice(-S);
      const y = m.logits(Int32Array.from(ctx), 1, ctx.length);
      ids.push(lastArgmax(await y.data(), 1, ctx.length, V)[0]!);
      y.dispose();
    }
  };
  // A run over 5 s (small's decode, ~10 s) is timed once after its warm-up: it is 256 forwards already.
  const ms = await interleave([{ impl: 'prefill', fn: prefillRun }, { impl: 'decode', fn: decodeRun }], { ...ROUNDS, slowMs: 5000 });
  m.dispose();
  return [
    row(prefillCase(preset), PEER, ms.get('prefill')!, PREFILL_TOKENS, 'all experts, dense mixture'),
    row(decodeCase(preset, 1), PEER, ms.get('decode')!, NEW_TOKENS, 'recomputes the window: no KV cache'),
  ];
}

export async function lmInfer(): Promise<Row[]> {
  const rows: Row[] = [];
  // Ours first, so each section's peak RSS is ours alone; the peer after.
  for (const preset of PRESET_NAMES) for (const backend of BACKENDS) rows.push(...(await section(preset, backend)));
  await setBackend('cpu');
  for (const preset of PRESET_NAMES) rows.push(...(await peer(preset)));
  // Each case's rows together, the peer's last (a stable sort keeps the sections' order within a case).
  const cases = [...new Set(rows.map((r) => r.case))];
  const out = withSpeedups(rows, PEER).sort((a, b) => cases.indexOf(a.case) - cases.indexOf(b.case));
  for (const preset of PRESET_NAMES) {
    printTable(`lm-infer '${preset}' (vs peer: tfjs-wasm ms ÷ ours, same case; note: ÷ dense mode of the same backend and batch)`, out.filter((r) => r.case.startsWith(`${preset} `)));
  }
  return out;
}
