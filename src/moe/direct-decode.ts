/**
 * The direct decoding step: one new token per sequence through the whole
 * model as the backend's primitives called in order, on device buffers —
 * no tensors, no graph, no tidy. It computes what LanguageModel.decode's
 * graph path computes (the model's infer, over the KV caches), and
 * test/moe/decode.test.ts holds it to that: cached logits equal a full
 * recompute, and greedy decoding picks the same tokens, for every kind,
 * mode, position scheme and norm.
 *
 * Why a second path. A decoding step of a small model is a few hundred
 * primitives on rows of one token; each costs a microsecond or two of
 * arithmetic, and building, scheduling and freeing its graph node cost
 * more than that (measured in BENCHMARKS.md#lm-infer). Called directly, a
 * step is the kernels and the host's routing. The graph path stays the
 * reference, and serves the prefill (many tokens per primitive, where the
 * bookkeeping is noise), the window's slide, and the backends this path
 * does not run on.
 *
 * It runs where the backend is synchronous and has the fused row kernels
 * and the in-place write (cpu and wasm; canDecodeDirectly). Attention of a
 * single query reads only the L = length + 1 cached keys (a GEMM over the
 * first L rows of each cache), so it needs no mask.
 */
import type { Backend, BinaryOp, DeviceBuffer, Maybe, MatmulSpec, UnaryOp } from '../gpu/backend.js';
import { columnStrides, stackedStrides } from '../gpu/grouped-layout.js';
import type { DType, TypedArray } from '../base/dtype.js';
import type { Shape } from '../base/shape.js';
import type { KvCache } from '../nn/kv-cache.js';
import type { Linear } from '../nn/linear.js';
import { MultiHeadAttention } from '../nn/multi-head-attention.js';
import { rotaryTables } from '../nn/rotary.js';
import { LazyBuffer } from '../tensor/lazy.js';
import { realize, Tensor } from '../tensor/tensor.js';
import { attentionSlots } from './attention-slots.js';
import { DenseFeedForward } from './dense-ffn.js';
import { sortByExpert, type SortedPairs } from './dispatch.js';
import type { Block, NormLayer } from './lm-block.js';
import { attentionMode, denseLayerStats, type LayerStats, type LMInferOptions } from './lm-stats.js';
import { MoEAttention } from './moe-attention.js';
import { MoEFeedForward } from './moe-ffn.js';
import type { Router } from './router.js';
import { keepsEvery, route, routeSole, type InferMode, type Routing } from './routing.js';
import { routingStats } from './stats.js';
import { constantRows } from './zero-experts.js';
import { LayerNorm } from '../nn/layer-norm.js';

/** Whether `backend` can run the direct step: synchronous, with the fused row kernels and an in-place write. */
export function canDecodeDirectly(backend: Backend): boolean {
  return Boolean(backend.readSync && backend.write && backend.normRows && backend.softmaxRows && backend.rotaryRows);
}

/** What the direct step needs of the language model (LanguageModel, without the import cycle). */
export interface DirectModel {
  readonly config: { readonly dModel: number; readonly vocabSize: number };
  readonly embed: { readonly weight: Tensor };
  readonly pos: { readonly weight: Tensor } | null;
  readonly blocks: readonly Block[];
  readonly normOut: NormLayer;
  parameters(): Tensor[];
}

export interface DirectStepResult {
  /** [B, vocab]: each sequence's next-token logits (a realized buffer, the caller's to wrap and free). */
  logits: DeviceBuffer;
  layers: { attn: Routing | null; ffn: Routing | null }[];
  stats: LayerStats[];
}

type HostRouting = Routing & { k: number | null };

/**
 * The backend's calls, each result remembered until the step frees it
 * (`free`), so that a step leaves only what it hands back.
 */
class Calls {
  private made: DeviceBuffer[] = [];
  private readonly scalars = new Map<number, DeviceBuffer>();

  constructor(readonly be: Backend, readonly dtype: DType) {}

  private keep(r: Maybe<DeviceBuffer>): DeviceBuffer {
    if (r instanceof Promise) throw new Error(`direct decoding: backend ${this.be.name} answered asynchronously (canDecodeDirectly should have refused it)`);
    this.made.push(r);
    return r;
  }

  upload(data: TypedArray): DeviceBuffer {
    return this.keep(this.be.upload(data));
  }

  floats(values: ArrayLike<number>): DeviceBuffer {
    return this.upload(this.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values));
  }

  /** A one-element constant, uploaded once per step. */
  scalar(v: number): DeviceBuffer {
    let b = this.scalars.get(v);
    if (!b) this.scalars.set(v, (b = this.floats([v])));
    return b;
  }

  read(b: DeviceBuffer): TypedArray {
    return this.be.readSync!(b);
  }

  unary(op: UnaryOp, x: DeviceBuffer): DeviceBuffer {
    return this.keep(this.be.unary(op, x));
  }

  binary(op: BinaryOp, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): DeviceBuffer {
    return this.keep(this.be.binary(op, a, aShape, b, bShape, outShape));
  }

  matmul(a: DeviceBuffer, b: DeviceBuffer, spec: MatmulSpec): DeviceBuffer {
    return this.keep(this.be.matmul(a, b, spec));
  }

  /** x [rows, in] · W [in, out] (+ bias): a Linear on rows. */
  linear(x: DeviceBuffer, rows: number, w: Tensor, bias: Tensor | null = null): DeviceBuffer {
    const [k, n] = w.shape as [number, number];
    const y = this.matmul(x, w.lazy.buffer, { batch: 1, m: rows, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
    return bias ? this.binary('add', y, [rows, n], bias.lazy.buffer, [n], [rows, n]) : y;
  }

  module(x: DeviceBuffer, rows: number, lin: Linear): DeviceBuffer {
    return this.linear(x, rows, lin.weight, lin.bias);
  }

  norm(x: DeviceBuffer, rows: number, layer: NormLayer): DeviceBuffer {
    const n = layer.normalizedShape;
    const kind = layer instanceof LayerNorm ? 'layer' : 'rms';
    const bias = layer instanceof LayerNorm ? layer.bias?.lazy.buffer : undefined;
    return this.keep(this.be.normRows!(x, { kind, rows, n, eps: layer.eps }, layer.weight?.lazy.buffer, bias));
  }

  /** softmax(scale·x) of each row. */
  softmax(x: DeviceBuffer, rows: number, n: number, scale = 1): DeviceBuffer {
    return this.keep(this.be.softmaxRows!(x, { rows, n, scale }));
  }

  /** Rotary at one position for every row of d features (all rows are this step's tokens, at the same position). */
  rotary(x: DeviceBuffer, rows: number, d: number, position: number, base: number): DeviceBuffer {
    const { cos, sin } = rotaryTables(1, d, position, this.dtype, this.be, base);
    return this.keep(this.be.rotaryRows!(x, cos.lazy.buffer, sin.lazy.buffer, { rows, d, repeat: rows, period: 1 }));
  }

  /** A strided read of x: `shape` with element strides from `offset` (a permutation of axes, or a row). */
  view(x: DeviceBuffer, shape: Shape, strides: readonly number[], offset = 0): DeviceBuffer {
    return this.keep(this.be.view(x, { shape, strides, offset }));
  }

  gather(src: DeviceBuffer, rows: number, cols: number, idx: DeviceBuffer): DeviceBuffer {
    return this.keep(this.be.gather(src, rows, cols, idx));
  }

  scatterAdd(src: DeviceBuffer, cols: number, idx: DeviceBuffer, outRows: number): DeviceBuffer {
    return this.keep(this.be.scatterAdd(src, cols, idx, outRows));
  }

  groupedMatmul(...args: Parameters<Backend['groupedMatmul']>): DeviceBuffer {
    return this.keep(this.be.groupedMatmul(...args));
  }

  /** Frees every buffer made so far but `keep`. */
  freeAllBut(...keep: DeviceBuffer[]): void {
    for (const b of this.made) if (!keep.includes(b)) this.be.dispose(b);
    this.made = this.made.filter((b) => keep.includes(b));
    this.scalars.clear();
  }
}

/** One cache's device buffers for this step, and where the new position goes. */
interface CacheSlot {
  k: DeviceBuffer;
  v: DeviceBuffer;
  capacity: number;
  /** The new token's position (the cached length before this step). */
  position: number;
}

/** The per-step facts every layer reads. */
interface Step {
  c: Calls;
  /** Sequences, one new token each. */
  batch: number;
  opts: LMInferOptions;
}

/** Each model's parameters, listed once (the tensors stay the same; assign swaps their values). */
const parameterLists = new WeakMap<DirectModel, Tensor[]>();

/** Params realized (an optimizer step leaves them pending) before their buffers are read. */
async function realizeParameters(model: DirectModel): Promise<void> {
  let params = parameterLists.get(model);
  if (!params) parameterLists.set(model, (params = model.parameters()));
  const pending = params.filter((p) => !p.lazy.isRealized);
  if (pending.length) await realize(...pending);
}

/**
 * One step for ids [B] (the newest token of each sequence) over the
 * caches, each holding `position` tokens per sequence: the logits of the
 * next token, each layer's routing and its cost. The caches advance by one.
 */
export async function decodeDirect(model: DirectModel, caches: readonly KvCache[], ids: Int32Array, opts: LMInferOptions): Promise<DirectStepResult> {
  await realizeParameters(model);
  const slots: CacheSlot[] = [];
  for (const cache of caches) {
    const position = cache.length;
    const { k, v } = await cache.reserveFor(1);
    slots.push({ k: k.lazy.buffer, v: v.lazy.buffer, capacity: k.shape[2]!, position });
  }
  const weight = model.embed.weight;
  const [vocab, d] = weight.shape as [number, number];
  const c = new Calls(weight.backend, weight.dtype);
  const step: Step = { c, batch: ids.length, opts };
  const b = ids.length;
  for (let i = 0; i < b; i++) {
    if (!(ids[i]! >= 0 && ids[i]! < vocab)) throw new Error(`LanguageModel.decode: token id ${ids[i]} of sequence ${i} is out of range for the vocabulary of ${vocab}`);
  }
  // [B] ids → [B, d] embeddings (+ the learned position's row).
  let h = c.gather(weight.lazy.buffer, vocab, d, c.upload(ids));
  if (model.pos) {
    const row = c.view(model.pos.weight.lazy.buffer, [1, d], [d, 1], slots[0]!.position * d);
    h = c.binary('add', h, [b, d], row, [1, d], [b, d]);
  }
  c.freeAllBut(h);
  const layers: DirectStepResult['layers'] = [];
  const stats: LayerStats[] = [];
  for (const [i, block] of model.blocks.entries()) {
    const out = blockStep(step, block, h, slots[i]!);
    c.freeAllBut(out.h);
    h = out.h;
    layers.push({ attn: out.attnRouting, ffn: out.ffnRouting });
    stats.push(out.stats);
  }
  // Final norm, then the tied head: [B, d] · Eᵀ → [B, vocab].
  const x = c.norm(h, b, model.normOut);
  const logits = c.matmul(x, weight.lazy.buffer, { batch: 1, m: b, k: d, n: vocab, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 });
  c.freeAllBut(logits);
  for (const cache of caches) cache.advance(1);
  return { logits, layers, stats };
}

/** A block's step: attention and its residual, then the FFN and its residual. [B, d] → [B, d]. */
function blockStep(st: Step, block: Block, h: DeviceBuffer, slot: CacheSlot): { h: DeviceBuffer; attnRouting: Routing | null; ffnRouting: Routing | null; stats: LayerStats } {
  const { c, batch: b } = st;
  const d = block.config.dModel;
  const a = attentionStep(st, block, c.norm(h, b, block.norm1), slot);
  const h1 = c.binary('add', h, [b, d], a.y, [b, d], [b, d]);
  const f = ffnStep(st, block, c.norm(h1, b, block.norm2));
  const h2 = c.binary('add', h1, [b, d], f.y, [b, d], [b, d]);
  return { h: h2, attnRouting: a.routing, ffnRouting: f.routing, stats: { attn: a.stats, ffn: f.stats } };
}

interface LayerStep {
  y: DeviceBuffer;
  routing: Routing | null;
  stats: LayerStats['attn'];
}

function publicRouting(r: HostRouting): Routing {
  return { experts: r.experts, gates: r.gates };
}

/** A router's probabilities for x [T, d]: [T, N], at its temperature (the DTS gate's; 1 otherwise). */
function routerScores(c: Calls, x: DeviceBuffer, tokens: number, router: Router, n: number): DeviceBuffer {
  let logits = c.module(x, tokens, router.proj);
  if (router.out) logits = c.module(c.unary('gelu', logits), tokens, router.out);
  // Divided, not folded into the softmax's scale, so the scores are the graph's to the bit (Router.forward).
  if (router.temperature !== 1) logits = c.binary('div', logits, [tokens, n], c.scalar(router.temperature), [], [tokens, n]);
  return c.softmax(logits, tokens, n);
}

/** A topK that follows the FFN's may ask for more experts than attention has: then it uses them all (as lm-block.ts). */
function clampK(mode: InferMode, n: number): InferMode {
  return mode.mode === 'topK' && mode.k > n ? { mode: 'topK', k: n } : mode;
}

/** The attention layer on the normed x [B, d] for one new token per sequence. */
function attentionStep(st: Step, block: Block, x: DeviceBuffer, slot: CacheSlot): LayerStep {
  const { c, batch: b } = st;
  const attn = block.attn;
  if (attn instanceof MultiHeadAttention) {
    const { nHeads: hq, nKvHeads: hkv, headDim: dh } = attn;
    let q = c.module(x, b, attn.wq); // [B, Hq·D]
    if (attn.positional === 'rotary') q = c.rotary(q, b * hq, dh, slot.position, attn.ropeBase);
    writeKeysValues(c, x, b, [attn.wk.weight, attn.wk.bias], [attn.wv.weight, attn.wv.bias], attn.positional === 'rotary' ? attn.ropeBase : null, hkv, dh, slot);
    const heads = attend(c, q, b, hq, hkv, dh, slot); // [B, Hq·D], heads in order
    const y = c.module(heads, b, attn.wo);
    const p = attn.numParameters();
    return { y, routing: null, stats: denseLayerStats(b, p, p) };
  }
  const mode = clampK(attentionMode(st.opts), attn.nExperts);
  const cost = attn.costModel(b, 1, slot.position);
  const rot = attn.positional === 'rotary' ? attn.ropeBase : null;
  writeKeysValues(c, x, b, [attn.wk, null], [attn.wv, null], rot, attn.nKvHeads, attn.headDim, slot);
  // A sole expert's score is 1: its router need not run (lm-block.ts does the same).
  const scores = attn.nExperts === 1 ? null : routerScores(c, x, b, attn.router, attn.nExperts); // [B, N]
  const routing = scores ? route(c.read(scores), b, attn.nExperts, mode) : routeSole(b, mode);
  const y = keepsEvery(routing, attn.nExperts) ? attentionAll(c, attn, x, b, scores, slot, rot) : attentionRouted(c, attn, x, b, routing, slot, rot);
  return { y, routing: publicRouting(routing), stats: routingStats(routing, cost) };
}

/** A projection's weight [in, out] and its bias, if any. */
type Projection = [weight: Tensor, bias: Tensor | null];

/** k, v = x·W_k, x·W_v [B, Hkv·D] (k rotated), written at the new position of each sequence's cache. */
function writeKeysValues(c: Calls, x: DeviceBuffer, b: number, wk: Projection, wv: Projection, ropeBase: number | null, hkv: number, dh: number, slot: CacheSlot): void {
  let k = c.linear(x, b, ...wk);
  if (ropeBase !== null) k = c.rotary(k, b * hkv, dh, slot.position, ropeBase);
  const v = c.linear(x, b, ...wv);
  // [B, Hkv, 1, D] into the caches [B, Hkv, capacity, D] at position p.
  const spec = { shape: [b, hkv, 1, dh], strides: [hkv * slot.capacity * dh, slot.capacity * dh, dh, 1], offset: slot.position * dh };
  c.be.write!(slot.k, k, spec);
  c.be.write!(slot.v, v, spec);
}

/**
 * softmax(q·Kᵀ/√D)·V for one query per head over the L = position + 1
 * cached keys: q [B, Hq, D] with the Hq/Hkv heads of each K/V head
 * consecutive (grouped-query attention), so it is [B·Hkv, g, D] and each
 * batch of the GEMM reads the first L rows of one cache head in place.
 * → [B, Hq, D]. A query at the newest position sees every key it reads.
 */
function attend(c: Calls, q: DeviceBuffer, b: number, hq: number, hkv: number, dh: number, slot: CacheSlot): DeviceBuffer {
  const g = hq / hkv, len = slot.position + 1, cacheStride = slot.capacity * dh;
  return attendRows(c, q, b * hkv, g, dh, len, slot, cacheStride);
}

/** rows queries per cache head, batch = B·Hkv heads: [batch·rows, D] → [batch·rows, D]. */
function attendRows(c: Calls, q: DeviceBuffer, batch: number, rows: number, dh: number, len: number, slot: CacheSlot, cacheStride: number): DeviceBuffer {
  const scores = c.matmul(q, slot.k, { batch, m: rows, k: dh, n: len, transA: false, transB: true, aBatchStride: rows * dh, bBatchStride: cacheStride });
  const p = c.softmax(scores, batch * rows, len, 1 / Math.sqrt(dh));
  return c.matmul(p, slot.v, { batch, m: rows, k: len, n: dh, transA: false, transB: false, aBatchStride: rows * len, bBatchStride: cacheStride });
}

/**
 * Dense mode of the attention experts (MoEAttention.mixAll): every head,
 * each scaled by its expert's gate. W_q's columns and W_o's rows are
 * expert-major (expert e's hpe heads together); the attention wants heads
 * head-major (g = j·N + e, moe-attention.ts), so the queries are viewed
 * into that order and the outputs back, where hpe and N are both above 1.
 */
function attentionAll(c: Calls, attn: MoEAttention, x: DeviceBuffer, b: number, scores: DeviceBuffer | null, slot: CacheSlot, rot: number | null): DeviceBuffer {
  const [n, hpe, dh, hkv] = [attn.nExperts, attn.headsPerExpert, attn.headDim, attn.nKvHeads];
  const hq = n * hpe;
  const reorder = n > 1 && hpe > 1;
  let q = c.linear(x, b, attn.wq); // [B, N, hpe, D]
  if (reorder) q = c.view(q, [b, hpe, n, dh], [hq * dh, dh, hpe * dh, 1]); // → [B, hpe, N, D]
  if (rot !== null) q = c.rotary(q, b * hq, dh, slot.position, rot);
  const heads = attend(c, q, b, hq, hkv, dh, slot); // [B, hpe, N, D]
  // Each head times its expert's gate (none for a sole expert: its score is 1, and so is its gate scale).
  const gates = scores === null || attn.gateScale === 1 ? scores : c.binary('mul', scores, [b, n], c.scalar(attn.gateScale), [], [b, n]);
  let gated = gates ? c.binary('mul', heads, [b, hpe, n, dh], gates, [b, 1, n, 1], [b, hpe, n, dh]) : heads;
  if (reorder) gated = c.view(gated, [b, n, hpe, dh], [hq * dh, dh, n * dh, 1]); // → [B, N, hpe, D]
  return c.linear(gated, b, attn.wo);
}

/**
 * The routed attention experts (MoEAttention.routed, one token per
 * sequence): each pair's queries from its expert's W_q block (a grouped
 * GEMM reading the token through the pair index), rotated; the pairs'
 * heads laid out per cache head (attention-slots.ts) for one batched
 * attention; back in pair order, gated, through each expert's W_o block,
 * and summed into the tokens.
 */
function attentionRouted(c: Calls, attn: MoEAttention, x: DeviceBuffer, b: number, routing: HostRouting, slot: CacheSlot, rot: number | null): DeviceBuffer {
  const [n, hpe, dh, hkv, d] = [attn.nExperts, attn.headsPerExpert, attn.headDim, attn.nKvHeads, attn.dModel];
  const pairs = sortByExpert(routing, n);
  const p = pairs.token.length;
  if (p === 0) return c.floats(new Float64Array(b * d));
  const { token, offsets } = pairIndex(c, pairs);
  let q = c.groupedMatmul(x, attn.wq.lazy.buffer, offsets, { kind: 'rows', groups: n, rows: p, k: d, n: hpe * dh, bStrides: columnStrides(n, hpe * dh, false), aRows: b }, { rowIndex: token }); // [P·hpe, D]
  if (rot !== null) q = c.rotary(q, p * hpe, dh, slot.position, rot);
  const s = attentionSlots({
    token: pairs.token, expert: pairs.expert, batch: b, seqLen: 1, offset: slot.position,
    headsPerExpert: hpe, nKvHeads: hkv, kvHeadOf: (e, j) => attn.kvHeadOf(e, j),
  });
  const qs = c.gather(q, p * hpe, dh, c.upload(s.source)); // [B·Hkv·R, D]
  const att = attendRows(c, qs, b * hkv, s.rows, dh, slot.position + 1, slot, slot.capacity * dh);
  const heads = c.gather(att, b * hkv * s.rows, dh, c.upload(s.slot)); // [P, hpe·D]
  const gated = c.binary('mul', heads, [p, hpe * dh], gateColumn(c, pairs, attn.gateScale), [p, 1], [p, hpe * dh]);
  const y = c.groupedMatmul(gated, attn.wo.lazy.buffer, offsets, { kind: 'rows', groups: n, rows: p, k: hpe * dh, n: d, bStrides: stackedStrides(hpe * dh, d, false) }); // [P, d]
  return c.scatterAdd(y, d, token, b);
}

/** The sorted pairs' token index and group offsets, on the device. */
function pairIndex(c: Calls, pairs: SortedPairs): { token: DeviceBuffer; offsets: DeviceBuffer } {
  return { token: c.upload(pairs.token), offsets: c.upload(pairs.offsets) };
}

/** Each pair's gate times the layer's gate scale, [P, 1]. */
function gateColumn(c: Calls, pairs: SortedPairs, scale: number): DeviceBuffer {
  return c.floats(Array.from(pairs.gate, (g) => scale * g));
}

/**
 * The FFN on the normed x [B, d]: dense, every expert mixed by its score, or
 * the routed experts; then the zero-computation experts the tokens chose,
 * the shared experts and b2.
 */
function ffnStep(st: Step, block: Block, x: DeviceBuffer): LayerStep {
  const { c, batch: b } = st;
  const ffn = block.ffn;
  const d = block.config.dModel;
  if (ffn instanceof DenseFeedForward) {
    const y = c.linear(c.unary(ffn.activation, c.linear(x, b, ffn.w1, ffn.b1)), b, ffn.w2, ffn.b2);
    return { y, routing: null, stats: denseLayerStats(b, ffn.numParameters(), ffn.macsPerToken()) };
  }
  const [n, h, choices] = [ffn.nExperts, ffn.expertHidden, ffn.nChoices];
  const scores = routerScores(c, x, b, ffn.router, choices); // [B, N + Z]
  const routing = route(c.read(scores), b, choices, st.opts.mode);
  const stats = routingStats(routing, ffn.costModel(b));
  let y: DeviceBuffer;
  if (keepsEvery(routing, choices)) {
    // mixAll: act(x·W1 + b1) [B, N·h], expert e's hidden units times its gate, then ·W2.
    const ffnScores = choices === n ? scores : c.view(scores, [b, n], [choices, 1]);
    const gates = ffn.gateScale === 1 ? ffnScores : c.binary('mul', ffnScores, [b, n], c.scalar(ffn.gateScale), [], [b, n]);
    const hidden = c.unary(ffn.activation, c.linear(x, b, ffn.w1, ffn.b1));
    const gated = c.binary('mul', hidden, [b, n, h], gates, [b, n, 1], [b, n, h]);
    y = c.linear(gated, b, ffn.w2);
  } else {
    y = ffnRouted(c, ffn, x, b, sortByExpert(routing, choices));
  }
  const free = zeroExpertsStep(c, ffn, x, b, routing);
  if (free) y = c.binary('add', y, [b, d], free, [b, d], [b, d]);
  if (ffn.shared) {
    const s = ffn.shared;
    y = c.binary('add', y, [b, d], c.linear(c.unary(s.activation, c.linear(x, b, s.w1, s.b1)), b, s.w2), [b, d], [b, d]);
  }
  if (ffn.b2) y = c.binary('add', y, [b, d], ffn.b2.lazy.buffer, [d], [b, d]);
  return { y, routing: publicRouting(routing), stats };
}

/** MoEFeedForward.experts on the pairs of the N FFN experts (sorted first): the grouped GEMM pair over each expert's own tokens, then the scatter-add. [B, d]. */
function ffnRouted(c: Calls, ffn: MoEFeedForward, x: DeviceBuffer, b: number, pairs: SortedPairs): DeviceBuffer {
  const [n, h, d] = [ffn.nExperts, ffn.expertHidden, ffn.dModel];
  const p = pairs.offsets[n]!;
  if (p === 0) return c.floats(new Float64Array(b * d));
  const token = c.upload(pairs.token.subarray(0, p));
  const offsets = c.upload(pairs.offsets.subarray(0, n + 1));
  const bias = ffn.b1 ? { bias: ffn.b1.lazy.buffer } : {};
  const hidden = c.groupedMatmul(x, ffn.w1.lazy.buffer, offsets, { kind: 'rows', groups: n, rows: p, k: d, n: h, bStrides: columnStrides(n, h, false), aRows: b, bias: ffn.b1 !== null }, { rowIndex: token, ...bias }); // [P, h]
  const gates = c.floats(Array.from(pairs.gate.subarray(0, p), (g) => ffn.gateScale * g));
  const gated = c.binary('mul', c.unary(ffn.activation, hidden), [p, h], gates, [p, 1], [p, h]);
  const out = c.groupedMatmul(gated, ffn.w2.lazy.buffer, offsets, { kind: 'rows', groups: n, rows: p, k: h, n: d, bStrides: stackedStrides(h, d, false) }); // [P, d]
  return c.scatterAdd(out, d, token, b);
}

/**
 * Σ g·E(x) of the zero-computation experts each token chose (zero-experts.ts),
 * elementwise: per copy or constant expert, a [B, 1] column of the gates
 * (0 for the tokens that did not choose it) times x or times its vector.
 * Null when no token chose one that outputs anything.
 */
function zeroExpertsStep(c: Calls, ffn: MoEFeedForward, x: DeviceBuffer, b: number, routing: HostRouting): DeviceBuffer | null {
  const [n, d] = [ffn.nExperts, ffn.dModel];
  const rowOf = constantRows(ffn.zeroExperts);
  let y: DeviceBuffer | null = null;
  ffn.zeroExperts.forEach((kind, j) => {
    if (kind === 'zero') return;
    const column = new Float64Array(b);
    let any = false;
    routing.experts.forEach((es, t) => {
      const at = es.indexOf(n + j);
      if (at >= 0) [column[t], any] = [ffn.gateScale * routing.gates[t]![at]!, true];
    });
    if (!any) return;
    const g = c.floats(column);
    const out = kind === 'copy'
      ? c.binary('mul', x, [b, d], g, [b, 1], [b, d])
      : c.binary('mul', g, [b, 1], c.view(ffn.constants!.lazy.buffer, [1, d], [d, 1], rowOf[j]! * d), [1, d], [b, d]);
    y = y ? c.binary('add', y, [b, d], out, [b, d], [b, d]) : out;
  });
  return y;
}

/** The step's logits [B, vocab] as a realized tensor [B, 1, vocab], on the backend that made them. */
export function logitsTensor(backend: Backend, buf: DeviceBuffer, batch: number, vocab: number): Tensor {
  return new Tensor(LazyBuffer.realized(backend, [batch, 1, vocab], buf));
}
