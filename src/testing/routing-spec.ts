/**
 * The routing specification of routing.ts, restated from its words (not
 * from its code), for the checkers to compare against:
 *
 *   rank     experts by descending score, a lower index first among equal scores;
 *   topK(k)  the first k of that ranking;
 *   threshold(ε)  A(x) = {e : N·S_e(x) > ε}, or the argmax when that is empty
 *            (the first of the ranking, so the lowest index among the maxima);
 *   thresholdTopK(ε)  topK with K = the batch mean of |A(x)| under threshold(ε),
 *            rounded to nearest with halves up, within [1, N];
 *   topP(p)  the shortest prefix of the ranking whose scores, summed in
 *            float64 in rank order, reach p (0 < p ≤ 1); all N for p = 1, or
 *            when no prefix reaches p;
 *   dense    every expert, in rank order.
 *
 * Gates are the raw scores S_e, never renormalized.
 */
/** Expert a ranks before expert b in a row of scores. */
export const ranksBefore = (row: readonly number[], a: number, b: number): boolean => row[a]! > row[b]! || (row[a] === row[b] && a < b);

/** The row's experts in rank order (a comparison sort on the rule itself). */
export function specRanking(row: readonly number[]): number[] {
  return [...row.keys()].sort((a, b) => (ranksBefore(row, a, b) ? -1 : ranksBefore(row, b, a) ? 1 : 0));
}

/** A(x) under threshold(ε), as a set in increasing index order. */
export function specThresholdSet(row: readonly number[], eps: number): number[] {
  const n = row.length;
  const above = [...row.keys()].filter((e) => n * row[e]! > eps);
  return above.length > 0 ? above : [specRanking(row)[0]!];
}

/** thresholdTopK's K for a batch of rows. */
export function specThresholdTopKCount(rows: readonly (readonly number[])[], eps: number): number {
  const n = rows[0]?.length ?? 1;
  if (rows.length === 0) return 1;
  const mean = rows.reduce((s, r) => s + specThresholdSet(r, eps).length, 0) / rows.length;
  return Math.min(n, Math.max(1, Math.floor(mean + 0.5)));
}

/** |A(x)| under topP(p) for one row. */
export function specTopPCount(row: readonly number[], p: number): number {
  if (p === 1) return row.length;
  let mass = 0;
  const ranked = specRanking(row);
  for (let c = 0; c < ranked.length; c++) {
    mass += row[ranked[c]!]!;
    if (mass >= p) return c + 1;
  }
  return row.length;
}
