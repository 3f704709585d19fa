/**
 * matmul with NumPy semantics: 1-D operands are promoted (and the added axis
 * removed after), leading axes are batch axes and broadcast. Everything is
 * lowered to one rank-3 primitive [B, M, K]·[B, K, N] in which a batch of
 * 1 broadcasts (batch stride 0), so x·W for a 2-D weight is a single GEMM.
 */
import { broadcastShapes, fmt, sizeOf, stridesOf } from '../../base/shape.js';
import { Tensor } from '../tensor.js';
import { make, sameBackend } from './core.js';
import { expand, reshape } from './movement.js';

/** The rank-3 primitive, also used by backward rules: op(A)·op(B), A [Ba, ., .], B [Bb, ., .]. */
export function bmm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  sameBackend('matmul', a, b);
  if (a.rank !== 3 || b.rank !== 3) {
    throw new Error(`bmm: expects two rank-3 tensors [batch, rows, cols], got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (${a.dtype} ${fmt(a.shape)} and ${b.dtype} ${fmt(b.shape)})`);
  const [ba, ra, ca] = a.shape as [number, number, number];
  const [bb, rb, cb] = b.shape as [number, number, number];
  const [m, k] = transA ? [ca, ra] : [ra, ca];
  const [k2, n] = transB ? [cb, rb] : [rb, cb];
  if (k !== k2) {
    throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)}${transA ? 'ᵀ' : ''} · ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${k2})`);
  }
  if (ba !== bb && ba !== 1 && bb !== 1) throw new Error(`matmul: batch sizes ${ba} and ${bb} differ (${fmt(a.shape)} and ${fmt(b.shape)})`);
  const batch = ba === 1 ? bb : ba; // a batch of 1 broadcasts (also against a batch of 0)
  const spec = { batch, m, k, n, transA, transB, aBatchStride: ba === 1 ? 0 : m * k, bBatchStride: bb === 1 ? 0 : k * n };
  return make({ kind: 'matmul', spec }, [a, b], [batch, m, n], a.dtype, { kind: 'matmul', transA, transB });
}

/**
 * When t is a pending transpose of the last two axes of a contiguous tensor
 * (a `view` that swaps them and moves nothing else), that tensor: the GEMM
 * can read it with its trans flag flipped, where realizing t would copy it.
 * (x.transpose(-1, -2) and W.transpose(0, 1) of a tied head are the usual.)
 */
function transposedSource(t: Tensor): Tensor | null {
  const op = t.lazy.op;
  if (op?.kind !== 'view' || t.rank < 2 || op.spec.offset !== 0 || op.spec.window) return null;
  const src = t.lazy.srcs[0]!;
  if (src.shape.length !== t.rank) return null;
  const r = t.rank;
  const swapped = src.shape.map((_, i) => (i === r - 1 ? r - 2 : i === r - 2 ? r - 1 : i));
  const strides = stridesOf(src.shape);
  const isSwap = swapped.every((a, i) => op.spec.shape[i] === src.shape[a] && (op.spec.shape[i] === 1 || op.spec.strides[i] === strides[a]));
  if (!isSwap) return null;
  // The tensor autograd recorded as the view's input (gradients must reach it), else a handle on the buffer.
  const input = t.gradNode?.inputs[0];
  if (input) return input.lazy === src ? input : null;
  return new Tensor(src);
}

/** A GEMM operand as (stored tensor, transposed?): a transposed view is read through its source. */
function operand(t: Tensor): [Tensor, boolean] {
  const src = transposedSource(t);
  return src ? [src, true] : [t, false];
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: scalars have no matrix product (${fmt(a.shape)} · ${fmt(b.shape)}); use mul`);
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const [k2, n] = b2.shape.slice(-2) as [number, number];
  if (k !== k2) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} · ${fmt(b.shape)} (${k} vs ${k2})`);
  const aBatch = a2.shape.slice(0, -2);
  const bBatch = b2.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', aBatch, bBatch);
  } catch {
    throw new Error(`matmul: batch dimensions of ${fmt(a.shape)} and ${fmt(b.shape)} cannot be broadcast (${fmt(aBatch)} vs ${fmt(bBatch)})`);
  }
  // A transposed view is read through its source with the GEMM's trans flag (no copy): stored [.., K, M] for Aᵀ, [.., N, K] for Bᵀ.
  const [sa, ta] = operand(a2);
  const [sb, tb] = operand(b2);
  let out: Tensor;
  if (bBatch.length === 0 && !(ta && aBatch.length > 0)) {
    // [..., M, K]·[K, N]: fold the batch into the rows, one GEMM (a transposed A must have no batch: its rows are not contiguous).
    const A = ta ? reshape(sa, [1, k, m]) : reshape(a2, [1, sizeOf(aBatch) * m, k]);
    const B = tb ? reshape(sb, [1, n, k]) : reshape(b2, [1, k, n]);
    out = reshape(bmm(A, B, ta, tb), [...aBatch, m, n]);
  } else {
    // Each operand as [batch or 1, rows, cols] as stored, broadcast to the batch where it has one of its own.
    const flat = (t: Tensor, tb: readonly number[], r: number, c: number): Tensor =>
      sizeOf(tb) === 1 ? reshape(t, [1, r, c]) : reshape(tb.length === batch.length && tb.every((d, i) => d === batch[i]) ? t : expand(t, [...batch, r, c]), [sizeOf(batch), r, c]);
    const A = ta ? flat(sa, aBatch, k, m) : flat(a2, aBatch, m, k);
    const B = tb ? flat(sb, bBatch, n, k) : flat(b2, bBatch, k, n);
    out = reshape(bmm(A, B, ta, tb), [...batch, m, n]);
  }
  if (a.rank === 1) out = reshape(out, [...out.shape.slice(0, -2), n]);
  if (b.rank === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}
