/**
 * Sparse-inference routing: from router probabilities S (T×N, realized on the
 * host) to the (token, expert, gate) triples that the dispatcher runs.
 * The four modes of the paper (§3.2, §4.3), and top-p:
 *
 *   dense            every expert, A(x) = {1..N}
 *   topK(k)          the k largest S_e
 *   threshold(ε)     A(x) = {e : N·S_e(x) > ε}, or the argmax when that is empty
 *   thresholdTopK(ε) top-K with K = the batch's mean |A(x)| under threshold(ε)
 *   topP(p)          dynamic K ("Harder Tasks Need More Experts", Huang et al.
 *                    2024): the shortest prefix of the ranking whose scores
 *                    sum to at least p, 0 < p ≤ 1; the sum runs in float64
 *                    in rank order. p = 1 keeps all N (it asks for the whole
 *                    mass, which a float sum may reach early or fall just
 *                    short of), and when rounding leaves every prefix short
 *                    of p < 1, all N are kept too.
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
  | { mode: 'thresholdTopK'; eps: number }
  | { mode: 'topP'; p: number };

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
    case 'topP':
      if (typeof mode.p !== 'number' || !(mode.p > 0 && mode.p <= 1)) {
        throw new Error(`topP: p=${mode.p} must be a number in (0, 1]`);
      }
      return;
    default:
      throw new Error(`infer: unknown mode ${JSON.stringify(mode)} (expected dense, topK, threshold, thresholdTopK or topP)`);
  }
}

/**
 * Ranks the n experts of the token whose scores start at s[offset] into
 * `order` (descending score, lower index first among equals): an insertion
 * sort, which suits the few experts of a layer and is stable, so equal
 * scores keep their increasing index order.
 */
function rankInto(s: ArrayLike<number>, offset: number, n: number, order: Int32Array, at: number): void {
  for (let e = 0; e < n; e++) {
    const v = s[offset + e]!;
    let i = at + e;
    while (i > at && s[offset + order[i - 1]!]! < v) {
      order[i] = order[i - 1]!;
      i--;
    }
    order[i] = e;
  }
}

/** Expert indices of one token's scores, by descending score (lower index first on ties). */
export function rankExperts(s: ArrayLike<number>, offset: number, n: number): number[] {
  const order = new Int32Array(n);
  rankInto(s, offset, n, order, 0);
  return Array.from(order);
}

/**
 * |A(x)| under threshold(ε): the ranked experts with N·S_e > ε form a prefix
 * of the ranking (scores descend along it), so counting that prefix is the
 * whole rule; at least 1 (the top expert) when no score clears ε.
 */
function thresholdCount(ranked: Int32Array, at: number, s: ArrayLike<number>, offset: number, n: number, eps: number): number {
  let c = 0;
  while (c < n && n * s[offset + ranked[at + c]!]! > eps) c++;
  return Math.max(1, c);
}

/**
 * |A(x)| under topP(p): the shortest prefix of the ranking whose scores sum
 * (in float64, in rank order) to at least p; all n for p = 1 or when no
 * prefix reaches p. At least 1, since p > 0.
 */
function topPCount(ranked: Int32Array, at: number, s: ArrayLike<number>, offset: number, n: number, p: number): number {
  if (p >= 1) return n;
  let mass = 0;
  for (let c = 0; c < n; c++) {
    mass += s[offset + ranked[at + c]!]!;
    if (mass >= p) return c + 1;
  }
  return n;
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
 *
 * Every mode keeps a prefix of each token's ranking; the modes differ only
 * in its length: N (dense), k (topK), the threshold count (threshold), the
 * batch's mean threshold count (thresholdTopK), or the shortest prefix
 * holding mass p (topP).
 */
export function route(scores: ArrayLike<number>, tokens: number, nExperts: number, mode: InferMode): Routing & { k: number | null } {
  checkMode(mode, nExperts);
  const n = nExperts;
  for (let i = 0; i < tokens * n; i++) {
    if (!Number.isFinite(scores[i]!)) {
      throw new Error(`route: router score ${scores[i]} for token ${Math.floor(i / n)}, expert ${i % n} is not finite`);
    }
  }
  const ranked = new Int32Array(tokens * n);
  for (let t = 0; t < tokens; t++) rankInto(scores, t * n, n, ranked, t * n);
  const kept = new Int32Array(tokens);
  let k: number | null = null;
  if (mode.mode === 'threshold' || mode.mode === 'thresholdTopK') {
    for (let t = 0; t < tokens; t++) kept[t] = thresholdCount(ranked, t * n, scores, t * n, n, mode.eps);
    if (mode.mode === 'thresholdTopK') {
      k = thresholdTopKCount(Array.from(kept), n);
      kept.fill(k);
    }
  } else if (mode.mode === 'topK') {
    k = mode.k;
    kept.fill(k);
  } else if (mode.mode === 'topP') {
    for (let t = 0; t < tokens; t++) kept[t] = topPCount(ranked, t * n, scores, t * n, n, mode.p);
  } else {
    kept.fill(n);
  }
  const experts: number[][] = new Array(tokens);
  const gates: number[][] = new Array(tokens);
  for (let t = 0; t < tokens; t++) {
    const es: number[] = new Array(kept[t]!);
    const gs: number[] = new Array(kept[t]!);
    for (let j = 0; j < kept[t]!; j++) {
      es[j] = ranked[t * n + j]!;
      gs[j] = scores[t * n + es[j]!]!;
    }
    experts[t] = es;
    gates[t] = gs;
  }
  return { experts, gates, k };
}

/**
 * True when every token keeps all n experts: the routed sum is then dense
 * mode's Σ_e S_e·e_e(x), which a layer computes faster as one pass over all
 * of them (its mixAll) than through the dispatcher.
 */
export function keepsEvery(routing: Routing, n: number): boolean {
  return routing.experts.every((es) => es.length === n);
}

/**
 * The routing of a layer with a sole expert: its score is 1 for every
 * token (the softmax of one logit), so the router need not run. Every mode
 * keeps that expert (a threshold keeps at least the top one), at gate 1.
 */
export function routeSole(tokens: number, mode: InferMode): Routing & { k: number | null } {
  return route(new Float32Array(tokens).fill(1), tokens, 1, mode);
}
