/**
 * The routing invariants as fast-check properties over drawn score matrices
 * (with exact ties and near-ties) and modes, for any routing function with
 * dsmoe's `route` signature. `routingProperties` hands them out for
 * fc.assert / fc.check; `checkRoutingFunction` asserts them all, and its
 * error names the invariant, the counterexample and the seed to replay it.
 */
import fc from 'fast-check';
import type { InferMode, Routing } from '../moe/routing.js';
import { modeArb } from './modes.js';
import { permutationArb, permuteRows } from './permutations.js';
import { parameters, type RunOptions } from './run-options.js';
import {
  checkLoads, checkMonotoneInEps, checkMonotoneInP, checkPermutationEquivariance, checkRoutingOf, checkTopNIsDense, checkTopPOneIsDense, type RoutingFunction,
} from './routing-checks.js';
import { epsFor, scoresArb, topPFor, type ScoreMatrix, type ScoreOptions } from './scores.js';

export const ROUTING_INVARIANTS = [
  'dense', 'topK', 'threshold', 'thresholdTopK', 'topP', 'monotoneInEps', 'monotoneInP', 'topNIsDense', 'topPOneIsDense', 'loads', 'permutation',
] as const;
export type RoutingInvariant = (typeof ROUTING_INVARIANTS)[number];

/** One drawn instance: a matrix, a mode, and what the invariant needs besides (a second ε, a permutation). */
export interface RoutingCase {
  m: ScoreMatrix;
  mode: InferMode;
  eps2?: number;
  p2?: number;
  perm?: number[];
}

export interface RoutingCheckOptions extends ScoreOptions, RunOptions {
  /** The loads of a routing (e.g. from the dispatcher's sort); 'loads' is checked only when given. */
  loads?: (routing: Routing, nExperts: number) => ArrayLike<number>;
  /** Which invariants (default all; 'loads' only with `loads`). */
  only?: readonly RoutingInvariant[];
}

const withMode = (scores: fc.Arbitrary<ScoreMatrix>, mode: (m: ScoreMatrix) => fc.Arbitrary<InferMode>): fc.Arbitrary<RoutingCase> =>
  scores.chain((m) => mode(m).map((md) => ({ m, mode: md })));

/** The case arbitrary of each invariant: threshold ε half the time on a score's own N·S_e. */
function caseArb(inv: RoutingInvariant, scores: fc.Arbitrary<ScoreMatrix>): fc.Arbitrary<RoutingCase> {
  const eps = (which: 'threshold' | 'thresholdTopK') => (m: ScoreMatrix) => epsFor(m).map((e): InferMode => ({ mode: which, eps: e }));
  const topP = (m: ScoreMatrix) => topPFor(m).map((p): InferMode => ({ mode: 'topP', p }));
  switch (inv) {
    case 'dense': return withMode(scores, () => fc.constant({ mode: 'dense' }));
    case 'topK': return withMode(scores, (m) => modeArb(m.nExperts, { modes: ['topK'] }));
    case 'threshold': return withMode(scores, eps('threshold'));
    case 'monotoneInEps': return withMode(scores, eps('threshold')).chain((c) => epsFor(c.m).map((e2) => ({ ...c, eps2: e2 })));
    case 'thresholdTopK': return withMode(scores, eps('thresholdTopK'));
    case 'topP': return withMode(scores, topP);
    case 'monotoneInP': return withMode(scores, topP).chain((c) => topPFor(c.m).map((p2) => ({ ...c, p2 })));
    case 'topNIsDense': return withMode(scores, (m) => fc.constant({ mode: 'topK', k: m.nExperts }));
    case 'topPOneIsDense': return withMode(scores, () => fc.constant({ mode: 'topP', p: 1 }));
    case 'loads': return withMode(scores, (m) => modeArb(m.nExperts));
    case 'permutation': return withMode(scores, (m) => fc.oneof(modeArb(m.nExperts), eps('threshold')(m), eps('thresholdTopK')(m), topP(m)))
      .chain((c) => permutationArb(c.m.tokens).map((perm) => ({ ...c, perm })));
  }
}

/** The predicate of each invariant on one case. */
function predicate(inv: RoutingInvariant, fn: RoutingFunction, opts: RoutingCheckOptions): (c: RoutingCase) => void {
  const run = (m: ScoreMatrix, mode: InferMode): Routing => fn(m.scores, m.tokens, m.nExperts, mode);
  switch (inv) {
    case 'dense': case 'topK': case 'thresholdTopK': case 'threshold': case 'topP':
      return ({ m, mode }) => checkRoutingOf(m, mode, run(m, mode));
    case 'monotoneInP':
      return ({ m, mode, p2 }) => {
        const p1 = (mode as { p: number }).p;
        const [lo, hi] = p1 <= p2! ? [p1, p2!] : [p2!, p1];
        checkMonotoneInP({ p: lo, routing: run(m, { mode: 'topP', p: lo }) }, { p: hi, routing: run(m, { mode: 'topP', p: hi }) });
      };
    case 'topPOneIsDense':
      return ({ m }) => checkTopPOneIsDense(run(m, { mode: 'dense' }), run(m, { mode: 'topP', p: 1 }));
    case 'monotoneInEps':
      return ({ m, mode, eps2 }) => {
        const e1 = (mode as { eps: number }).eps;
        const [lo, hi] = e1 <= eps2! ? [e1, eps2!] : [eps2!, e1];
        checkMonotoneInEps({ eps: lo, routing: run(m, { mode: 'threshold', eps: lo }) }, { eps: hi, routing: run(m, { mode: 'threshold', eps: hi }) });
      };
    case 'topNIsDense':
      return ({ m }) => checkTopNIsDense(run(m, { mode: 'dense' }), run(m, { mode: 'topK', k: m.nExperts }));
    case 'loads':
      return ({ m, mode }) => {
        const r = run(m, mode);
        checkLoads(r, opts.loads!(r, m.nExperts), m.nExperts);
      };
    case 'permutation':
      return ({ m, mode, perm }) => {
        const moved: ScoreMatrix = { ...m, scores: permuteRows(m.scores, perm!, m.nExperts) };
        checkPermutationEquivariance(run(m, mode), perm!, run(moved, mode));
      };
  }
}

/** The invariants as properties (all, or `opts.only`), for fc.assert or fc.check. */
export function routingProperties(fn: RoutingFunction, opts: RoutingCheckOptions = {}): Partial<Record<RoutingInvariant, fc.IProperty<[RoutingCase]>>> {
  const scores = scoresArb(opts);
  const chosen = opts.only ?? ROUTING_INVARIANTS.filter((inv) => inv !== 'loads' || opts.loads);
  if (chosen.includes('loads') && !opts.loads) throw new Error("routingProperties: 'loads' needs opts.loads, the function that computes a routing's loads");
  return Object.fromEntries(chosen.map((inv) => [inv, fc.property(caseArb(inv, scores), predicate(inv, fn, opts))]));
}

/** Asserts every chosen invariant; throws fast-check's report (counterexample, seed, path) prefixed with the invariant. */
export function checkRoutingFunction(fn: RoutingFunction, opts: RoutingCheckOptions = {}): void {
  for (const [inv, prop] of Object.entries(routingProperties(fn, opts))) {
    try {
      fc.assert(prop, parameters(opts, 200));
    } catch (e) {
      throw new Error(`routing invariant '${inv}' failed:\n${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}
