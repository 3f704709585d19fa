/**
 * Causal scaled dot-product attention with grouped-query K/V, the kernel
 * shared by dense attention and by DS-MoE's attention experts:
 *   A = softmax(Q·Kᵀ/√d + M) · V,  M_ij = −∞ for j > i (a token never sees the future).
 * Q is [B, Hq, S, D]; K and V are [B, Hkv, S, D] with Hq a multiple of Hkv:
 * each group of Hq/Hkv query heads reads one shared K/V head (GQA).
 * With a KV cache K and V are longer than Q, [B, Hkv, P + S, D]: the S
 * queries are the last S positions, so query i sees keys j ≤ P + i.
 */
import { Tensor } from '../tensor/tensor.js';
import { fromData } from '../tensor/create.js';
import { untracked } from '../tensor/tidy.js';
import { fmt, sameShape } from '../tensor/shape.js';

const masks = new Map<string, Tensor>();

/**
 * 0 where query i may see key j (j ≤ i + sk − s), −∞ elsewhere: [S, Sk],
 * cached per backend and size (made untracked: a tidy must not free a cache). With sk = s (the default) that is on and
 * below the diagonal.
 */
export function causalMask(s: number, like: Tensor, sk = s): Tensor {
  if (sk < s) throw new Error(`causalMask: ${sk} keys cannot serve ${s} queries (need at least as many keys)`);
  const key = `${like.backend.name}:${like.dtype}:${s}:${sk}`;
  let m = masks.get(key);
  if (!m) {
    const data = like.dtype === 'float64' ? new Float64Array(s * sk) : new Float32Array(s * sk);
    const past = sk - s;
    for (let i = 0; i < s; i++) for (let j = past + i + 1; j < sk; j++) data[i * sk + j] = -Infinity;
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

export function causalAttention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(`causalAttention: expected [B, H, S, D] tensors, got q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
  }
  const [b, hq, s, d] = q.shape as [number, number, number, number];
  const [, hkv, sk] = k.shape as [number, number, number, number];
  if (hq % hkv !== 0 || k.shape[0] !== b || sk < s || k.shape[3] !== d || !sameShape(v.shape, k.shape)) {
    throw new Error(`causalAttention: q ${fmt(q.shape)} needs k and v of shape [${b}, Hkv, Sk ≥ ${s}, ${d}] with Hkv dividing ${hq}; got k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
  }
  return attend(q, repeatKv(k, hq / hkv), repeatKv(v, hq / hkv), causalMask(s, q, sk));
}

/**
 * softmax(Q·Kᵀ/√D + M)·V with as many K/V heads as query heads; M is 0
 * where a query may look and −∞ where it may not (it broadcasts over the
 * leading axes). causalAttention builds M from positions 0…S−1; sparse
 * attention experts build it from each token's own position.
 */
export function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor): Tensor {
  const d = q.shape[q.rank - 1]!;
  return q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(d)).add(mask).softmax(-1).matmul(v);
}
