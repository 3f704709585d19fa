/**
 * What the layer checkers take: a sparse forward, on host arrays so that any
 * implementation fits (a dsmoe layer, a plain-TypeScript MoE), and the
 * weights it runs with, in the layout of oracle.ts (FfnHostWeights: W1
 * d×(N·h), expert e owning columns e·h … (e+1)·h − 1, W2 (N·h)×d owning the
 * same rows, b2 shared and ungated, gateScale 1 or N; shared experts and
 * zero-computation experts where the layer has them).
 */
import fc from 'fast-check';
import { choicesOf, type FfnHostWeights } from '../moe/oracle.js';
import type { InferMode, Routing } from '../moe/routing.js';
import { modeArb, type ModeOptions } from './modes.js';
import type { RunOptions } from './run-options.js';

/** One sparse forward: the output (T×d), the router's scores (T×N) and the routing it used. */
export interface LayerRun {
  y: ArrayLike<number>;
  scores: ArrayLike<number>;
  routing: Routing;
}

/** The forward under test: tokens x (T×d, row-major) in a mode. */
export type LayerForward = (x: Float64Array, tokens: number, mode: InferMode) => LayerRun | Promise<LayerRun>;

export type { FfnHostWeights };

export interface LayerCheckOptions extends ModeOptions, RunOptions {
  /** 1..maxTokens tokens (default 7). */
  maxTokens?: number;
  /** |y − y_expected| ≤ atol + rtol·|y_expected| (defaults 1e-5 and 1e-4, float32's reach). */
  atol?: number;
  rtol?: number;
}

export interface LayerCase {
  tokens: number;
  x: number[];
  mode: InferMode;
}

/**
 * Tokens with values in [-2, 2] that float32 represents exactly, so a
 * float32 layer and the float64 reference see the same input.
 */
export function layerCaseArb(w: FfnHostWeights, opts: LayerCheckOptions = {}): fc.Arbitrary<LayerCase> {
  const { maxTokens = 7 } = opts;
  return fc.integer({ min: 1, max: maxTokens }).chain((tokens) => fc.record({
    tokens: fc.constant(tokens),
    x: fc.array(fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround), { minLength: tokens * w.dModel, maxLength: tokens * w.dModel }),
    mode: modeArb(choicesOf(w), opts),
  }));
}

/** The Euclidean norm of n values from `offset`. */
export const norm = (v: ArrayLike<number>, offset = 0, n = v.length): number => {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[offset + i]! ** 2;
  return Math.sqrt(s);
};
