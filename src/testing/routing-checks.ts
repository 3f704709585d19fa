/**
 * Routing invariants on one instance: a score matrix, a mode and the routing
 * some function returned for them. Each checker throws an InvariantError
 * naming the token, the expert and the scores involved; routing-properties.ts
 * runs them over drawn instances.
 */
import type { InferMode, Routing } from '../moe/routing.js';
import { ensure, list } from './check-error.js';
import { scoreRow, type ScoreMatrix } from './scores.js';
import { ranksBefore, specThresholdSet, specThresholdTopKCount, specTopPCount } from './routing-spec.js';

/** What a routing function is: dsmoe's `route` has this signature. */
export type RoutingFunction = (scores: ArrayLike<number>, tokens: number, nExperts: number, mode: InferMode) => Routing;

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** One list of experts and one of gates per token; experts distinct indices in [0, N); at least one each. */
export function checkWellFormed(m: ScoreMatrix, r: Routing): void {
  const what = 'well-formed routing';
  ensure(r.experts.length === m.tokens && r.gates.length === m.tokens, what, () => `${m.tokens} tokens but ${r.experts.length} expert lists and ${r.gates.length} gate lists`);
  r.experts.forEach((es, t) => {
    ensure(es.length >= 1, what, () => `token ${t} has no expert (every mode keeps at least one)`);
    ensure(r.gates[t]!.length === es.length, what, () => `token ${t} has ${es.length} experts ${list(es)} but ${r.gates[t]!.length} gates ${list(r.gates[t]!)}`);
    es.forEach((e, j) => {
      ensure(Number.isInteger(e) && e >= 0 && e < m.nExperts, what, () => `token ${t}: expert ${e} is not an index in [0, ${m.nExperts})`);
      ensure(es.indexOf(e) === j, what, () => `token ${t}: expert ${e} is listed twice in ${list(es)}`);
    });
  });
}

/** Experts listed in rank order (descending score, lower index first on ties); gates the raw S_e. */
export function checkOrderAndGates(m: ScoreMatrix, r: Routing): void {
  r.experts.forEach((es, t) => {
    const row = scoreRow(m, t);
    for (let j = 1; j < es.length; j++) {
      const [a, b] = [es[j - 1]!, es[j]!];
      ensure(ranksBefore(row, a, b), 'rank order', () => `token ${t}: expert ${a} (score ${row[a]}) is listed before expert ${b} (score ${row[b]})` +
        (row[a] === row[b] ? ', but among equal scores the lower index comes first' : ', but scores must descend'));
    }
    es.forEach((e, j) => {
      const g = r.gates[t]![j]!;
      ensure(g === row[e], 'gates are raw scores', () => `token ${t}, expert ${e}: gate ${g} but S_e = ${row[e]} (gates are never renormalized)`);
    });
  });
}

/** Exactly k experts per token, and every chosen expert ranks before every unchosen one. */
export function checkTopK(m: ScoreMatrix, r: Routing, k: number): void {
  r.experts.forEach((es, t) => {
    const row = scoreRow(m, t);
    ensure(es.length === k, 'top-K count', () => `token ${t}: ${es.length} experts ${list(es)}, expected k = ${k}`);
    const chosen = new Set(es);
    for (let u = 0; u < m.nExperts; u++) {
      if (chosen.has(u)) continue;
      for (const c of es) {
        ensure(ranksBefore(row, c, u), 'top-K exactness', () => `token ${t}: expert ${u} (score ${row[u]}) is left out but ranks before chosen expert ${c} (score ${row[c]})` +
          (row[u] === row[c] ? ': equal scores, and the lower index wins the tie' : ''));
      }
    }
  });
}

/** A(x) = {e : N·S_e > ε}, or the argmax (lowest index among the maxima) when no score clears ε. */
export function checkThreshold(m: ScoreMatrix, r: Routing, eps: number): void {
  r.experts.forEach((es, t) => {
    const row = scoreRow(m, t);
    const expected = specThresholdSet(row, eps);
    ensure(sameList(sorted(es), expected), 'threshold exactness', () => {
      const extra = es.filter((e) => !expected.includes(e)).map((e) => `expert ${e} (N·S_e = ${m.nExperts * row[e]!}) is chosen`);
      const missing = expected.filter((e) => !es.includes(e)).map((e) => `expert ${e} (N·S_e = ${m.nExperts * row[e]!}) is left out`);
      return `token ${t}, ε = ${eps}: ${[...extra, ...missing].join('; ')}; expected ${list(expected)}, got ${list(es)}`;
    });
  });
}

/** topK with K = round(mean threshold count), halves up, within [1, N]; the same K for every token. */
export function checkThresholdTopK(m: ScoreMatrix, r: Routing, eps: number): void {
  const rows = Array.from({ length: m.tokens }, (_, t) => scoreRow(m, t));
  const k = specThresholdTopKCount(rows, eps);
  checkTopK(m, r, k);
}

/**
 * topP(p): each token keeps the shortest ranked prefix whose mass reaches p
 * (all N at p = 1); with the rank order checked apart, the count decides it.
 */
export function checkTopP(m: ScoreMatrix, r: Routing, p: number): void {
  r.experts.forEach((es, t) => {
    const row = scoreRow(m, t);
    const want = specTopPCount(row, p);
    ensure(es.length === want, 'top-p prefix', () => {
      const mass = (c: number): number => es.slice(0, c).reduce((a, e) => a + row[e]!, 0);
      return `token ${t}, p = ${p}: ${es.length} experts ${list(es)} (mass ${mass(es.length)}), expected the shortest prefix reaching p, ${want} experts` +
        (es.length > want ? ` (the first ${want} already hold ${mass(want)})` : '') + (p === 1 ? '; p = 1 keeps every expert' : '');
    });
    checkTopK({ ...m, tokens: 1, scores: row }, { experts: [es], gates: [r.gates[t]!] }, want);
  });
}

/** The routing of one mode, against the spec: shape, order, gates, and the mode's own rule. */
export function checkRoutingOf(m: ScoreMatrix, mode: InferMode, r: Routing): void {
  checkWellFormed(m, r);
  checkOrderAndGates(m, r);
  switch (mode.mode) {
    case 'dense': return checkTopK(m, r, m.nExperts);
    case 'topK': return checkTopK(m, r, mode.k);
    case 'threshold': return checkThreshold(m, r, mode.eps);
    case 'thresholdTopK': return checkThresholdTopK(m, r, mode.eps);
    case 'topP': return checkTopP(m, r, mode.p);
  }
}

/** Raising ε never adds an expert: A_hi(x) ⊆ A_lo(x) for lo ≤ hi. */
export function checkMonotoneInEps(lo: { eps: number; routing: Routing }, hi: { eps: number; routing: Routing }): void {
  hi.routing.experts.forEach((es, t) => {
    for (const e of es) {
      ensure(lo.routing.experts[t]!.includes(e), 'monotone in ε', () => `token ${t}: expert ${e} is chosen at ε = ${hi.eps} but not at the smaller ε = ${lo.eps} (${list(lo.routing.experts[t]!)})`);
    }
  });
}

/** topK with k = N is dense: the same experts, in the same order, with the same gates. */
export function checkTopNIsDense(dense: Routing, topN: Routing, what = 'K = N is dense', name = 'topK(N)'): void {
  dense.experts.forEach((es, t) => {
    ensure(sameList(es, topN.experts[t]!) && sameList(dense.gates[t]!, topN.gates[t]!), what, () =>
      `token ${t}: dense gives experts ${list(es)} gates ${list(dense.gates[t]!)}, ${name} gives ${list(topN.experts[t]!)} gates ${list(topN.gates[t]!)}`);
  });
}

/** topP with p = 1 is dense: every expert, whatever the float sum of the scores comes to. */
export function checkTopPOneIsDense(dense: Routing, topP1: Routing): void {
  checkTopNIsDense(dense, topP1, 'p = 1 is dense', 'topP(1)');
}

/** Raising p never drops an expert: A_lo(x) ⊆ A_hi(x) for lo ≤ hi (the kept prefix only grows). */
export function checkMonotoneInP(lo: { p: number; routing: Routing }, hi: { p: number; routing: Routing }): void {
  lo.routing.experts.forEach((es, t) => {
    for (const e of es) {
      ensure(hi.routing.experts[t]!.includes(e), 'monotone in p', () => `token ${t}: expert ${e} is chosen at p = ${lo.p} but not at the larger p = ${hi.p} (${list(hi.routing.experts[t]!)})`);
    }
  });
}

/** Per-expert loads: load_e = the tokens that chose e, and the loads sum to the (token, expert) assignments. */
export function checkLoads(r: Routing, loads: ArrayLike<number>, nExperts: number): void {
  ensure(loads.length === nExperts, 'loads', () => `${loads.length} loads for ${nExperts} experts`);
  const pairs = r.experts.reduce((n, es) => n + es.length, 0);
  const total = Array.from(loads).reduce((a, b) => a + b, 0);
  for (let e = 0; e < nExperts; e++) {
    const tokens = r.experts.flatMap((es, t) => (es.includes(e) ? [t] : []));
    ensure(loads[e] === tokens.length, 'loads', () => `expert ${e}: load ${loads[e]} but ${tokens.length} tokens chose it (${list(tokens)})`);
  }
  ensure(total === pairs, 'loads sum to assignments', () => `the loads ${list(loads)} sum to ${total}, the routing has ${pairs} (token, expert) pairs`);
}

/** Permuting the tokens permutes the routing: token i of the permuted batch gets what token perm[i] got. */
export function checkPermutationEquivariance(r: Routing, perm: readonly number[], permuted: Routing): void {
  perm.forEach((src, i) => {
    const [a, b] = [r.experts[src]!, permuted.experts[i]!];
    ensure(sameList(a, b) && sameList(r.gates[src]!, permuted.gates[i]!), 'permutation equivariance', () =>
      `token ${src}, moved to position ${i}, got experts ${list(b)} gates ${list(permuted.gates[i]!)}; in place it got ${list(a)} gates ${list(r.gates[src]!)}`);
  });
}
