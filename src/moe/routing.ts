/**
 * Sparse-inference routing: from router probabilities S (T×N, realized on the
 * host) to the (token, expert, gate) triples that the dispatcher runs.
 * The four modes of the paper (§3.2, §4.3):
 *
 *   dense            every expert, A(x) = {1..N}
 *   topK(k)          the k largest S_e
 *   threshold(ε)     A(x) = {e : N·S_e(x) > ε}, or the argmax when that is empty
 *   thresholdTopK(ε) top-K with K = the batch's mean |A(x)| under threshold(ε)
 *
 * Gates are the raw scores S_e (never renormalized), so the layer's sparse
 * output is Σ_{e∈A(x)} S_e(x)·e(x) and K = N reproduces the dense output.
 *
 * Order and ties: each token's experts are listed by descending score, a
 * lower expert index first among equal scores. "The k largest" is that
 * order's first k, so ties are broken deterministically.
 */

export type InferMode =
  | { mode: 'dense' }
  | { mode: 'topK'; k: number }
  | { mode: 'threshold'; eps: number }
  | { mode: 'thresholdTopK'; eps: number };

/** Per token, the chosen experts (descending score) and their gates (the matching S_e). */
export interface Routing {
  experts: number[][];
  gates: number[][];
}

/** Checks a mode's parameters; the errors name the bad value. */
export function checkMode(mode: InferMode, nExperts: number): void {
  switch (mode.mode) {
    case 'dense':
      return;
    case 'topK':
      if (!Number.isInteger(mode.k) || mode.k < 1 || mode.k > nExperts) {
        throw new Error(`topK: k=${mode.k} must be an integer in [1, ${nExperts}] (the number of experts)`);
      }
      return;
    case 'threshold':
    case 'thresholdTopK':
      if (typeof mode.eps !== 'number' || !Number.isFinite(mode.eps) || mode.eps < 0) {
        throw new Error(`${mode.mode}: eps=${mode.eps} must be a finite number ≥ 0`);
      }
      return;
    default:
      throw new Error(`infer: unknown mode ${JSON.stringify(mode)} (expected dense, topK, threshold or thresholdTopK)`);
  }
}

/** Expert indices of one token's scores, by descending score (lower index first on ties). */
export function rankExperts(s: ArrayLike<number>, offset: number, n: number): number[] {
  const order = Array.from({ length: n }, (_, e) => e);
  return order.sort((a, b) => s[offset + b]! - s[offset + a]! || a - b);
}

/** threshold(ε) for one token: {e : N·S_e > ε} in rank order, or the top expert alone. */
export function thresholdSet(ranked: readonly number[], s: ArrayLike<number>, offset: number, eps: number): number[] {
  const n = ranked.length;
  const kept = ranked.filter((e) => n * s[offset + e]! > eps);
  return kept.length > 0 ? kept : [ranked[0]!];
}

/**
 * thresholdTopK's K: the batch mean of |A(x)| under threshold(ε), rounded
 * to the nearest integer with halves rounding up (Math.round), within [1, N].
 */
export function thresholdTopKCount(counts: readonly number[], nExperts: number): number {
  if (counts.length === 0) return 1;
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return Math.min(nExperts, Math.max(1, Math.round(mean)));
}

/**
 * The routing of T tokens whose scores are the rows of `scores` (T×N,
 * row-major). `k` is the number of experts per token for topK and
 * thresholdTopK (null for the other modes).
 */
export function route(scores: ArrayLike<number>, tokens: number, nExperts: number, mode: InferMode): Routing & { k: number | null } {
  checkMode(mode, nExperts);
  for (let i = 0; i < tokens * nExperts; i++) {
    if (!Number.isFinite(scores[i]!)) {
      throw new Error(`route: router score ${scores[i]} for token ${Math.floor(i / nExperts)}, expert ${i % nExperts} is not finite`);
    }
  }
  const ranked = Array.from({ length: tokens }, (_, t) => rankExperts(scores, t * nExperts, nExperts));
  let chosen: number[][];
  let k: number | null = null;
  switch (mode.mode) {
    case 'dense':
      chosen = ranked;
      break;
    case 'topK':
      k = mode.k;
      chosen = ranked.map((r) => r.slice(0, mode.k));
      break;
    case 'threshold':
      chosen = ranked.map((r, t) => thresholdSet(r, scores, t * nExperts, mode.eps));
      break;
    case 'thresholdTopK': {
      const counts = ranked.map((r, t) => thresholdSet(r, scores, t * nExperts, mode.eps).length);
      const kk = thresholdTopKCount(counts, nExperts);
      k = kk;
      chosen = ranked.map((r) => r.slice(0, kk));
      break;
    }
  }
  const gates = chosen.map((es, t) => es.map((e) => scores[t * nExperts + e]!));
  return { experts: chosen, gates, k };
}
