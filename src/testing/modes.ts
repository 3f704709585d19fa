/**
 * The five inference modes of routing.ts as arbitraries: dense, topK(k)
 * with k in [1, N], threshold(ε) and thresholdTopK(ε) with ε ≥ 0, and
 * topP(p) with p in (0, 1] (p = 1 a quarter of the time: the edge where
 * top-p must be dense).
 */
import fc from 'fast-check';
import type { InferMode } from '../moe/routing.js';

export interface ModeOptions {
  /** Largest ε drawn (default 3: N·S_e > 3 keeps experts with over three times the uniform score). */
  maxEps?: number;
  /** The modes to draw from (default all five). */
  modes?: readonly InferMode['mode'][];
}

/** Any mode for N experts. */
export function modeArb(nExperts: number, opts: ModeOptions = {}): fc.Arbitrary<InferMode> {
  const { maxEps = 3, modes = ['dense', 'topK', 'threshold', 'thresholdTopK', 'topP'] } = opts;
  const eps = fc.double({ min: 0, max: maxEps, noNaN: true });
  const all: Record<InferMode['mode'], fc.Arbitrary<InferMode>> = {
    dense: fc.constant<InferMode>({ mode: 'dense' }),
    topK: fc.integer({ min: 1, max: nExperts }).map((k): InferMode => ({ mode: 'topK', k })),
    threshold: eps.map((e): InferMode => ({ mode: 'threshold', eps: e })),
    thresholdTopK: eps.map((e): InferMode => ({ mode: 'thresholdTopK', eps: e })),
    topP: topPArb().map((p): InferMode => ({ mode: 'topP', p })),
  };
  if (modes.length === 0) throw new Error('modeArb: no modes to draw from');
  return fc.oneof(...modes.map((m) => all[m]));
}

/** A top-p mass in (0, 1]: 1 a quarter of the time, else anywhere above 0. */
export function topPArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constant(1), weight: 1 },
    { arbitrary: fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }), weight: 3 },
  );
}
