/** Small host-side helpers shared by the MoE suites. */
import fc from 'fast-check';
import { Generator, fromData, type Tensor } from '../../src/index.js';
import type { InferMode } from '../../src/moe/routing.js';

/** Max |a − b| ≤ atol + rtol·|b| elementwise; returns the worst excess (≤ 0 when within). */
export function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): { ok: boolean; worst: string } {
  if (a.length !== b.length) return { ok: false, worst: `lengths ${a.length} vs ${b.length}` };
  let worst = '';
  let worstExcess = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - (atol + rtol * Math.abs(b[i]!));
    if (!(excess <= worstExcess) || Number.isNaN(excess)) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = `at ${i}: ${a[i]} vs ${b[i]}`;
    }
  }
  return { ok: a.length === 0 || worstExcess <= 0, worst };
}

/** Random normal data of a shape, from a seed (float32, current backend). */
export function randomTensor(shape: readonly number[], seed: number, scale = 1): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = g.normal() * scale;
  return fromData(data, shape);
}

/** Any of the four inference modes for N experts. */
export function modeArb(nExperts: number): fc.Arbitrary<InferMode> {
  return fc.oneof(
    fc.constant<InferMode>({ mode: 'dense' }),
    fc.integer({ min: 1, max: nExperts }).map((k): InferMode => ({ mode: 'topK', k })),
    fc.double({ min: 0, max: 3, noNaN: true }).map((eps): InferMode => ({ mode: 'threshold', eps })),
    fc.double({ min: 0, max: 3, noNaN: true }).map((eps): InferMode => ({ mode: 'thresholdTopK', eps })),
  );
}

export function rowNorm(a: ArrayLike<number>, offset: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[offset + i]! ** 2;
  return Math.sqrt(s);
}
