/**
 * Tiny, deliberately naive reference implementations (nested index loops, no
 * strides, no shared code with src/) that forward values are compared with.
 */
import { broadcastOf, sizeOf } from './arbitraries.js';

export interface Arr {
  shape: number[];
  data: number[];
}

/** Flat row-major position → multi-index. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

/** Multi-index → flat row-major position. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + idx[d]!;
  return flat;
}

/** The element of `x` that position `outIdx` of a broadcast result reads. */
function broadcastRead(x: Arr, outIdx: readonly number[]): number {
  const lead = outIdx.length - x.shape.length;
  const idx = x.shape.map((d, i) => (d === 1 ? 0 : outIdx[i + lead]!));
  return x.data[ravel(idx, x.shape)]!;
}

export function binary(f: (a: number, b: number) => number, a: Arr, b: Arr): Arr {
  const shape = broadcastOf(a.shape, b.shape);
  const data = Array.from({ length: sizeOf(shape) }, (_, o) => {
    const idx = unravel(o, shape);
    return f(broadcastRead(a, idx), broadcastRead(b, idx));
  });
  return { shape, data };
}

export function where(c: Arr, a: Arr, b: Arr): Arr {
  const shape = broadcastOf(broadcastOf(c.shape, a.shape), b.shape);
  const data = Array.from({ length: sizeOf(shape) }, (_, o) => {
    const idx = unravel(o, shape);
    return broadcastRead(c, idx) !== 0 ? broadcastRead(a, idx) : broadcastRead(b, idx);
  });
  return { shape, data };
}

/** Reduces `axes` (all when undefined; non-negative) with f over the list of values. */
export function reduce(f: (xs: number[]) => number, x: Arr, axes: readonly number[] | undefined, keepDims: boolean): Arr {
  const ax = axes ?? x.shape.map((_, i) => i);
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(kept) }, () => []);
  x.data.forEach((v, flat) => {
    const idx = unravel(flat, x.shape).map((i, d) => (ax.includes(d) ? 0 : i));
    groups[ravel(idx, kept)]!.push(v);
  });
  const shape = keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i));
  return { shape, data: groups.map(f) };
}

export const sum = (xs: number[]): number => xs.reduce((s, v) => s + v, 0);
export const max = (xs: number[]): number => Math.max(...xs);
export const min = (xs: number[]): number => Math.min(...xs);
export const mean = (xs: number[]): number => sum(xs) / xs.length;

/** NumPy matmul: 1-D operands promoted, batch axes broadcast. */
export function matmul(a: Arr, b: Arr): Arr {
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const [m, k] = A.shape.slice(-2) as [number, number];
  const n = B.shape[B.shape.length - 1]!;
  const batch = broadcastOf(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const shape = [...batch, m, n];
  const data = Array.from({ length: sizeOf(shape) }, (_, o) => {
    const idx = unravel(o, shape);
    const bIdx = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let p = 0; p < k; p++) {
      s += broadcastRead(A, [...bIdx, i, p]) * broadcastRead(B, [...bIdx, p, j]);
    }
    return s;
  });
  let out = shape;
  if (a.shape.length === 1) out = [...out.slice(0, -2), n];
  if (b.shape.length === 1) out = out.slice(0, -1);
  return { shape: out, data };
}

/** Softmax along a (non-negative) axis, straight from the definition. */
export function softmax(x: Arr, axis: number): Arr {
  const out = new Array<number>(x.data.length);
  x.data.forEach((_, flat) => {
    const idx = unravel(flat, x.shape);
    const row: number[] = [];
    for (let j = 0; j < x.shape[axis]!; j++) {
      const at = [...idx];
      at[axis] = j;
      row.push(x.data[ravel(at, x.shape)]!);
    }
    const m = Math.max(...row);
    out[flat] = Math.exp(x.data[flat]! - m) / sum(row.map((v) => Math.exp(v - m)));
  });
  return { shape: x.shape, data: out };
}

/** Permutes axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Arr, perm: readonly number[]): Arr {
  const shape = perm.map((p) => x.shape[p]!);
  const data = Array.from({ length: x.data.length }, (_, o) => {
    const idx = unravel(o, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, i) => (src[p] = idx[i]!));
    return x.data[ravel(src, x.shape)]!;
  });
  return { shape, data };
}
