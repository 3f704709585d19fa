/**
 * Causal scaled dot-product attention with grouped-query K/V, the kernel
 * shared by dense attention and by DS-MoE's attention experts:
 *   A = softmax(Q·Kᵀ/√d + M) · V,  M_ij = −∞ for j > i (a token never sees the future).
 * Q is [B, Hq, S, D]; K and V are [B, Hkv, S, D] with Hq a multiple of Hkv:
 * each group of Hq/Hkv query heads reads one shared K/V head (GQA).
 * With a KV cache K and V are longer than Q, [B, Hkv, capacity, D]: the S
 * queries are positions P … P + S − 1, so query i sees keys j ≤ P + i.
 */
import { Tensor } from '../tensor/tensor.js';
import { fromData } from '../tensor/create.js';
import { untracked } from '../tensor/tidy.js';
import { fmt, sameShape } from '../base/shape.js';
import { bmm } from '../tensor/ops/matmul.js';
import { fusedCausalSoftmax } from '../tensor/ops/fused.js';

const masks = new Map<string, Tensor>();

/**
 * 0 where query i may see key j (j ≤ past + i), −∞ elsewhere: [S, Sk]. The
 * queries are positions past … past + S − 1; by default past = sk − s (the
 * queries are the last S keys), and with sk = s that is on and below the
 * diagonal. A KV cache's buffer is longer than what it holds: the keys past
 * the last query are its unfilled tail, masked like the future.
 * The default masks are cached per backend and size (untracked: a tidy must
 * not free a cache); one with an explicit past is built per call, since a
 * decoding loop asks for a new one every token.
 */
function checkPast(op: string, s: number, sk: number, past: number): void {
  if (past < 0 || past + s > sk) throw new Error(`${op}: ${sk} keys cannot serve ${s} queries after ${past} past positions (need at least ${past + s})`);
}

export function causalMask(s: number, like: Tensor, sk = s, past = sk - s): Tensor {
  checkPast('causalMask', s, sk, past);
  const key = `${like.backend.name}:${like.dtype}:${s}:${sk}`;
  const cacheable = past === sk - s;
  let m = cacheable ? masks.get(key) : undefined;
  if (!m) {
    const data = like.dtype === 'float64' ? new Float64Array(s * sk) : new Float32Array(s * sk);
    for (let i = 0; i < s; i++) data.fill(-Infinity, i * sk + past + i + 1, (i + 1) * sk);
    if (!cacheable) return fromData(data, [s, sk], { backend: like.backend });
    m = untracked(() => fromData(data, [s, sk], { backend: like.backend }));
    masks.set(key, m);
  }
  return m;
}

/** [B, S, h·D] → [B, h, S, D]: a projection's columns as h heads of width D. */
export function splitHeads(x: Tensor, heads: number, headDim: number): Tensor {
  const [b, s] = x.shape as [number, number];
  return x.reshape([b, s, heads, headDim]).transpose(1, 2);
}

/** Repeats each K/V head `groups` times along axis 1: [B, Hkv, S, D] → [B, Hkv·groups, S, D]. */
export function repeatKv(x: Tensor, groups: number): Tensor {
  if (groups === 1) return x;
  const [b, h, s, d] = x.shape as [number, number, number, number];
  return x.reshape([b, h, 1, s, d]).expand([b, h, groups, s, d]).reshape([b, h * groups, s, d]);
}

/**
 * Grouped-query attention without repeating K and V: the g = Hq/Hkv query
 * heads that share K/V head h are consecutive (head h·g + r), so
 * Q [B, Hq, S, D] is already Q [B·Hkv, g·S, D] — one batched GEMM per K/V
 * head against K read transposed in place, and the mask broadcast over the g.
 * `past` (default Sk − S) is how many positions precede the queries: with a
 * KV cache the keys are its whole buffer and the queries the newest tokens.
 */
export function causalAttention(q: Tensor, k: Tensor, v: Tensor, opts: { past?: number } = {}): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(`causalAttention: expected [B, H, S, D] tensors, got q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
  }
  const [b, hq, s, d] = q.shape as [number, number, number, number];
  const [, hkv, sk] = k.shape as [number, number, number, number];
  if (hq % hkv !== 0 || k.shape[0] !== b || sk < s || k.shape[3] !== d || !sameShape(v.shape, k.shape)) {
    throw new Error(`causalAttention: q ${fmt(q.shape)} needs k and v of shape [${b}, Hkv, Sk ≥ ${s}, ${d}] with Hkv dividing ${hq}; got k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
  }
  const g = hq / hkv;
  const past = opts.past ?? sk - s;
  checkPast('causalMask', s, sk, past);
  const raw = bmm(q.reshape([b * hkv, g * s, d]), k.reshape([b * hkv, sk, d]), false, true); // [B·Hkv, g·S, Sk]
  // Inference: scale, mask and softmax as one kernel (rows cycle through the S query positions).
  const fused = fusedCausalSoftmax(raw, 1 / Math.sqrt(d), s, past);
  const p = fused ?? raw.mul(1 / Math.sqrt(d)).reshape([b * hkv, g, s, sk]).add(causalMask(s, q, sk, past)).softmax(-1).reshape([b * hkv, g * s, sk]);
  return bmm(p, v.reshape([b * hkv, sk, d])).reshape([b, hq, s, d]);
}

/**
 * softmax(Q·Kᵀ/√D + M)·V with as many K/V heads as query heads; M is 0
 * where a query may look and −∞ where it may not (it broadcasts over the
 * leading axes). Sparse attention experts build M from each token's own
 * position. Kᵀ is read in place by the GEMM (no transposed copy of a cache).
 */
export function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor): Tensor {
  const lead = q.shape.slice(0, -2);
  const [m, d] = q.shape.slice(-2) as [number, number];
  const sk = k.shape[k.rank - 2]!;
  const n = lead.reduce((a, x) => a * x, 1);
  const scores = bmm(q.reshape([n, m, d]), k.reshape([n, sk, d]), false, true).mul(1 / Math.sqrt(d));
  const p = scores.reshape([...lead, m, sk]).add(mask).softmax(-1).reshape([n, m, sk]);
  return bmm(p, v.reshape([n, sk, d])).reshape([...lead, m, d]);
}
