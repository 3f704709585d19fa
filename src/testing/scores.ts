/**
 * Router score matrices: T tokens × N experts, row-major, each row a
 * probability distribution (S_e ≥ 0, Σ_e S_e = 1 up to rounding), as a
 * softmax router produces them. The rows are drawn to hit the routing rules'
 * edges: exact ties (values on a coarse grid, so equal scores are common and
 * exactly equal), near-ties (two scores one or a few ulps apart, where a
 * comparison written the wrong way round shows), one-hot-like rows and plain
 * random ones.
 */
import fc from 'fast-check';
import { topPArb } from './modes.js';
import { specRanking } from './routing-spec.js';

export interface ScoreMatrix {
  tokens: number;
  nExperts: number;
  /** T·N scores, token t's at t·N … t·N + N − 1. */
  scores: number[];
}

export interface ScoreOptions {
  minTokens?: number;
  maxTokens?: number;
  minExperts?: number;
  maxExperts?: number;
}

/** Row `t` of a score matrix. */
export const scoreRow = (m: ScoreMatrix, t: number): number[] => m.scores.slice(t * m.nExperts, (t + 1) * m.nExperts);

function normalize(raw: number[]): number[] {
  const sum = raw.reduce((a, b) => a + b, 0);
  // Equal raw values divided by one sum stay exactly equal: ties survive.
  return sum > 0 ? raw.map((v) => v / sum) : raw.map(() => 1 / raw.length);
}

/** Values on a grid of five levels: most rows hold exact ties. */
const gridRow = (n: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n });

const randomRow = (n: number): fc.Arbitrary<number[]> => fc.array(fc.double({ min: 1e-3, max: 1, noNaN: true }), { minLength: n, maxLength: n });

/** A random row in which expert j's score is expert i's nudged by a relative 2⁻⁵², 2⁻⁴⁰ or 1e-9 (either way). */
function nearTieRow(n: number): fc.Arbitrary<number[]> {
  return fc
    .tuple(randomRow(n), fc.nat(n - 1), fc.nat(n - 1), fc.constantFrom(2 ** -52, 2 ** -40, 1e-9, -(2 ** -52), -1e-9))
    .map(([row, i, j, rel]) => row.map((v, e) => (e === j && i !== j ? row[i]! * (1 + rel) : v)));
}

/** One expert with nearly all the mass: threshold routing's small-|A(x)| end. */
function peakedRow(n: number): fc.Arbitrary<number[]> {
  return fc.tuple(fc.nat(n - 1), fc.double({ min: 0, max: 1e-3, noNaN: true })).map(([top, rest]) => Array.from({ length: n }, (_, e) => (e === top ? 1 : rest)));
}

/** One row of N scores, a probability distribution. */
export function scoreRowArb(nExperts: number): fc.Arbitrary<number[]> {
  return fc
    .oneof({ weight: 3, arbitrary: gridRow(nExperts) }, { weight: 2, arbitrary: randomRow(nExperts) }, { weight: 2, arbitrary: nearTieRow(nExperts) }, { weight: 1, arbitrary: peakedRow(nExperts) })
    .map(normalize);
}

/** A score matrix: 0..8 tokens and 1..6 experts unless said otherwise. */
export function scoresArb(opts: ScoreOptions = {}): fc.Arbitrary<ScoreMatrix> {
  const { minTokens = 0, maxTokens = 8, minExperts = 1, maxExperts = 6 } = opts;
  return fc
    .record({ tokens: fc.integer({ min: minTokens, max: maxTokens }), nExperts: fc.integer({ min: minExperts, max: maxExperts }) })
    .chain(({ tokens, nExperts }) => fc
      .array(scoreRowArb(nExperts), { minLength: tokens, maxLength: tokens })
      .map((rows) => ({ tokens, nExperts, scores: rows.flat() })));
}

/**
 * A threshold ε for a matrix: half the time exactly N·S_e of one of its
 * scores (where `>` and `≥` part ways), otherwise anywhere in [0, N].
 */
export function epsFor(m: ScoreMatrix): fc.Arbitrary<number> {
  const anywhere = fc.double({ min: 0, max: m.nExperts, noNaN: true });
  if (m.scores.length === 0) return anywhere;
  return fc.oneof(anywhere, fc.constantFrom(...m.scores).map((s) => m.nExperts * s));
}

/**
 * A top-p mass for a matrix: half the time exactly the float64 sum of a
 * ranked prefix of one of its rows (where `≥` and `>` part ways), when that
 * lies in (0, 1]; otherwise topPArb's draw.
 */
export function topPFor(m: ScoreMatrix): fc.Arbitrary<number> {
  const sums: number[] = [];
  for (let t = 0; t < m.tokens; t++) {
    let mass = 0;
    for (const e of specRanking(scoreRow(m, t))) {
      mass += m.scores[t * m.nExperts + e]!;
      if (mass > 0 && mass <= 1) sums.push(mass);
    }
  }
  return sums.length === 0 ? topPArb() : fc.oneof(topPArb(), fc.constantFrom(...sums));
}
