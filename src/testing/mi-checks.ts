/**
 * The mutual-information loss of DS-MoE (mi-loss.ts, the paper's eqs. 4–6),
 * checked from its definition:
 *
 *   L_MI = −H(e) + (1/T) Σ_x H(e|x),  p(e) = (1/T) Σ_x S(e|x),
 *
 * so L_MI = −I(e; x) ∈ [−log N, 0], and it is exactly −log N when every
 * token is routed one-hot and every expert gets the same number of tokens.
 */
import fc from 'fast-check';
import { ensure } from './check-error.js';
import { assertAsync, type RunOptions } from './run-options.js';
import { permutationArb } from './permutations.js';
import { scoresArb, type ScoreMatrix, type ScoreOptions } from './scores.js';

/** The loss under test, on one score matrix. */
export type MiLossFunction = (m: ScoreMatrix) => number | Promise<number>;

export interface MiCheckOptions extends ScoreOptions, RunOptions {
  /** Slack on the bounds and the formula (default 1e-5: float32, and the 1e-8 inside the logs). */
  tol?: number;
}

const entropy = (p: readonly number[]): number => -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0);

/** L_MI from the definition, in float64. */
export function miLossSpec(m: ScoreMatrix): number {
  const { tokens: t, nExperts: n } = m;
  const rows = Array.from({ length: t }, (_, i) => m.scores.slice(i * n, (i + 1) * n));
  const p = Array.from({ length: n }, (_, e) => rows.reduce((s, r) => s + r[e]!, 0) / t);
  return -entropy(p) + rows.reduce((s, r) => s + entropy(r), 0) / t;
}

/** `copies` tokens per expert, one-hot, in the order `perm` gives. */
function balancedOneHot(n: number, copies: number, perm: readonly number[]): ScoreMatrix {
  const scores = new Array<number>(n * copies * n).fill(0);
  perm.forEach((slot, t) => (scores[t * n + (slot % n)] = 1));
  return { tokens: n * copies, nExperts: n, scores };
}

/** Within [−log N, 0] and equal to the definition on drawn scores; −log N on balanced one-hot routing. */
export async function checkMiLoss(loss: MiLossFunction, opts: MiCheckOptions = {}): Promise<void> {
  const { tol = 1e-5 } = opts;
  await assertAsync(scoresArb({ minTokens: 1, ...opts }), async (m) => {
    const [l, spec, logN] = [await loss(m), miLossSpec(m), Math.log(m.nExperts)];
    ensure(l >= -logN - tol && l <= tol, 'MI loss bounds', () => `L = ${l} on ${m.tokens} tokens × ${m.nExperts} experts, outside [−log N, 0] = [${-logN}, 0]`);
    ensure(Math.abs(l - spec) <= tol * (1 + Math.abs(spec)), 'MI loss value', () => `L = ${l} on ${m.tokens} tokens × ${m.nExperts} experts; −H(e) + mean H(e|x) = ${spec}`);
  }, opts, 100);
  const balanced = fc.record({ n: fc.integer({ min: 1, max: opts.maxExperts ?? 6 }), copies: fc.integer({ min: 1, max: 4 }) })
    .chain(({ n, copies }) => permutationArb(n * copies).map((perm) => balancedOneHot(n, copies, perm)));
  await assertAsync(balanced, async (m) => {
    const l = await loss(m);
    ensure(Math.abs(l + Math.log(m.nExperts)) <= tol, 'MI loss on balanced one-hot routing', () =>
      `L = ${l} with ${m.tokens / m.nExperts} one-hot tokens per expert, N = ${m.nExperts}: expected −log N = ${-Math.log(m.nExperts)}`);
  }, opts, 30);
}
