/**
 * The four inference modes of routing.ts as arbitraries: dense, topK(k)
 * with k in [1, N], threshold(ε) and thresholdTopK(ε) with ε ≥ 0.
 */
import fc from 'fast-check';
import type { InferMode } from '../moe/routing.js';

export interface ModeOptions {
  /** Largest ε drawn (default 3: N·S_e > 3 keeps experts with over three times the uniform score). */
  maxEps?: number;
  /** The modes to draw from (default all four). */
  modes?: readonly InferMode['mode'][];
}

/** Any mode for N experts. */
export function modeArb(nExperts: number, opts: ModeOptions = {}): fc.Arbitrary<InferMode> {
  const { maxEps = 3, modes = ['dense', 'topK', 'threshold', 'thresholdTopK'] } = opts;
  const eps = fc.double({ min: 0, max: maxEps, noNaN: true });
  const all: Record<InferMode['mode'], fc.Arbitrary<InferMode>> = {
    dense: fc.constant<InferMode>({ mode: 'dense' }),
    topK: fc.integer({ min: 1, max: nExperts }).map((k): InferMode => ({ mode: 'topK', k })),
    threshold: eps.map((e): InferMode => ({ mode: 'threshold', eps: e })),
    thresholdTopK: eps.map((e): InferMode => ({ mode: 'thresholdTopK', eps: e })),
  };
  if (modes.length === 0) throw new Error('modeArb: no modes to draw from');
  return fc.oneof(...modes.map((m) => all[m]));
}
