/**
 * Movement ops. reshape shares the buffer; every other op here is one
 * strided, zero-padded read (the `view` primitive) recorded for autograd
 * under its own name, because each has a simple inverse: permute ↔ inverse
 * permute, expand ↔ sum, slice ↔ pad. A view costs a copy only when it is
 * realized: matmul reads a transposed view's source in place instead
 * (matmul.ts), a GEMM reads any other view that strides can describe where
 * it lies (../matmul-views.ts), and a permute that moves only size-1 axes
 * is a reshape.
 */
import type { Backend, ViewSpec } from '../../gpu/backend.js';
import { fmt, normAxis, sizeOf, stridesOf } from '../../base/shape.js';
import type { Tensor } from '../tensor.js';
import { make, sameBackend } from './core.js';
import { binary } from './elementwise.js';

function viewOf(x: Tensor, spec: ViewSpec, grad: Parameters<typeof make>[4]): Tensor {
  return make({ kind: 'view', spec }, [x], spec.shape, x.dtype, grad);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const infer = shape.filter((d) => d === -1).length;
  if (infer > 1) throw new Error(`reshape: at most one -1 in ${fmt(shape)}`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = shape.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)}`);
  }
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return make({ kind: 'reshape' }, [x], out, x.dtype, { kind: 'reshape' });
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normAxis('permute', a, x.rank));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new Error(`permute: ${fmt(perm)} is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  // Moving only size-1 axes leaves every element where it was: a reshape, not a copy
  // (a decoding step's [B, 1, H, D] → [B, H, 1, D] head split is one).
  const moved = p.filter((a) => x.shape[a] !== 1);
  if (moved.every((a, i) => i === 0 || a > moved[i - 1]!)) return reshape(x, p.map((a) => x.shape[a]!));
  const strides = stridesOf(x.shape);
  return viewOf(x, { shape: p.map((a) => x.shape[a]!), strides: p.map((a) => strides[a]!), offset: 0 }, { kind: 'permute', perm: p });
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normAxis('transpose', dim0, x.rank);
  const b = normAxis('transpose', dim1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts size-1 axes (and new leading axes) to `shape`; -1 keeps a size. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0) throw new Error(`expand: cannot expand ${fmt(x.shape)} to fewer axes ${fmt(shape)}`);
  const out = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  if (out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`expand: invalid target shape ${fmt(shape)} for ${fmt(x.shape)} (sizes must be non-negative integers; -1 keeps an existing axis)`);
  }
  const own = stridesOf(x.shape);
  const strides = out.map((d, i) => {
    const src = i < lead ? 1 : x.shape[i - lead]!;
    if (src !== d && src !== 1) throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)} (axis ${i}: ${src} vs ${d})`);
    return i < lead || src !== d ? 0 : own[i - lead]!;
  });
  if (lead === 0 && out.every((d, i) => d === x.shape[i])) return x;
  return viewOf(x, { shape: out, strides, offset: 0 }, { kind: 'expand' });
}

/** The box starts ≤ i < ends (tinygrad's shrink). */
export function shrink(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  if (starts.every((s, i) => s === 0 && ends[i] === x.shape[i])) return x;
  const strides = stridesOf(x.shape);
  const offset = starts.reduce((o, s, i) => o + s * strides[i]!, 0);
  return viewOf(x, { shape: ends.map((e, i) => e - starts[i]!), strides, offset }, { kind: 'slice', starts, ends });
}

export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normAxis('slice', axis, x.rank);
  const n = x.shape[a]!;
  const s = start < 0 ? start + n : start;
  const e = end === undefined ? n : end < 0 ? end + n : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > n || s > e) {
    throw new Error(`slice: range [${start}, ${end ?? n}) is out of bounds for axis ${axis} of size ${n} in ${fmt(x.shape)}`);
  }
  const starts = x.shape.map((_, i) => (i === a ? s : 0));
  const ends = x.shape.map((d, i) => (i === a ? e : d));
  return shrink(x, starts, ends);
}

export function pad(x: Tensor, pads: readonly (readonly [number, number])[]): Tensor {
  if (pads.length > x.rank || pads.some(([b, a]) => !Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0)) {
    throw new Error(`pad: ${JSON.stringify(pads)} is not a list of non-negative [before, after] pairs for ${fmt(x.shape)}`);
  }
  const before = x.shape.map((_, i) => pads[i]?.[0] ?? 0);
  const after = x.shape.map((_, i) => pads[i]?.[1] ?? 0);
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  const strides = stridesOf(x.shape);
  const shape = x.shape.map((d, i) => d + before[i]! + after[i]!);
  const offset = -before.reduce((o, b, i) => o + b * strides[i]!, 0);
  const window = x.shape.map((d, i) => [before[i]!, before[i]! + d] as const);
  return viewOf(x, { shape, strides, offset, window }, { kind: 'pad', before, after });
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normAxis('squeeze', axis, x.rank);
  if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${axis} of ${fmt(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Joins tensors along an existing axis: each is zero-padded into place, then summed. */
export function cat(ts: readonly Tensor[], axis = 0): Tensor {
  if (ts.length === 0) throw new Error('cat: needs at least one tensor');
  const first = ts[0]!;
  const a = normAxis('cat', axis, first.rank);
  sameBackend('cat', ...ts);
  for (const t of ts) {
    if (t.rank !== first.rank || t.dtype !== first.dtype || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`cat: ${t.dtype} ${fmt(t.shape)} does not match ${first.dtype} ${fmt(first.shape)} outside axis ${axis}`);
    }
  }
  if (ts.length === 1) return first;
  const total = ts.reduce((s, t) => s + t.shape[a]!, 0);
  let at = 0;
  let out: Tensor | null = null;
  for (const t of ts) {
    const pads = t.shape.map((_, i) => (i === a ? ([at, total - at - t.shape[a]!] as const) : ([0, 0] as const)));
    const placed = pad(t, pads);
    out = out ? binary('add', out, placed) : placed;
    at += t.shape[a]!;
  }
  return out!;
}

/** Joins tensors along a new axis. */
export function stack(ts: readonly Tensor[], axis = 0): Tensor {
  if (ts.length === 0) throw new Error('stack: needs at least one tensor');
  const a = normAxis('stack', axis, ts[0]!.rank + 1);
  for (const t of ts) {
    if (t.rank !== ts[0]!.rank || t.shape.some((d, i) => d !== ts[0]!.shape[i])) {
      throw new Error(`stack: shapes differ (${fmt(ts[0]!.shape)} and ${fmt(t.shape)})`);
    }
  }
  return cat(ts.map((t) => unsqueeze(t, a)), a);
}

export function transfer(x: Tensor, to: Backend): Tensor {
  if (x.backend === to) return x;
  if (!to.dtypes.includes(x.dtype)) throw new Error(`to: backend ${to.name} has no ${x.dtype} (cast first)`);
  return make({ kind: 'transfer' }, [x], x.shape, x.dtype, { kind: 'transfer' }, to);
}

