/**
 * Learning byte-pair merges (Sennrich et al. 2016, byte-level as in GPT-2).
 *
 * Start with every chunk of the text as a sequence of byte ids. Repeatedly
 * find the adjacent pair that occurs most often, give it a new id, and
 * replace it everywhere. Doing that by re-scanning the corpus each time costs
 * O(corpus × merges); instead we keep
 *   - the distinct chunks ("words") with their counts, so "the" is one word
 *     seen 60,000 times rather than 60,000 scans;
 *   - a count for every pair, and for every pair the words containing it,
 *     so a merge touches only the words it changes;
 *   - a max-heap of (count, pair) with stale entries skipped on pop.
 * Ties go to the smallest pair (first id, then second), so training is
 * deterministic on every machine.
 */
import { chunks, DEFAULT_PRETOKENIZER } from './pretokenize.js';
import { utf8Bytes } from './tokenizer.js';

/** Pair keys pack two ids below 2^21 into one exact double. */
const ID_LIMIT = 2 ** 21;
/** One number for the pair (a, b): the key of the trainer's counts and of the encoder's merge ranks. */
export const pairKey = (a: number, b: number): number => a * ID_LIMIT + b;

export interface BpeTrainOptions {
  pretokenizer?: string;
  /** A pair must occur at least this often to be merged (default 2: a pair seen once teaches nothing). */
  minCount?: number;
}

/**
 * Merges (flat: [a0, b0, a1, b1, …]) that grow the 256 byte ids toward
 * `targetVocab` regular ids. Stops early when no pair occurs `minCount` times.
 */
export function trainBpeMerges(text: string, targetVocab: number, opts: BpeTrainOptions = {}): number[] {
  if (!Number.isInteger(targetVocab) || targetVocab < 256 || targetVocab > ID_LIMIT) {
    throw new Error(`BPE vocabulary size must be an integer in [256, ${ID_LIMIT}], got ${targetVocab}`);
  }
  const minCount = opts.minCount ?? 2;
  const { words, freqs } = countWords(text, opts.pretokenizer ?? DEFAULT_PRETOKENIZER);
  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((w, i) => addPairs(w, freqs[i]!, i, counts, where));

  const heap = new PairHeap();
  for (const [key, c] of counts) heap.push(c, key);

  const merges: number[] = [];
  while (256 + merges.length / 2 < targetVocab) {
    const top = heap.pop();
    if (top === undefined) break;
    if (counts.get(top.key) !== top.count) continue; // stale entry
    if (top.count < minCount) break;
    const a = Math.floor(top.key / ID_LIMIT);
    const b = top.key % ID_LIMIT;
    const id = 256 + merges.length / 2;
    merges.push(a, b);
    const changed = new Set<number>();
    for (const wi of where.get(top.key) ?? []) {
      const word = words[wi]!;
      if (!containsPair(word, a, b)) continue;
      removePairs(word, freqs[wi]!, counts, changed);
      const merged = mergePair(word, a, b, id);
      words[wi] = merged;
      addPairs(merged, freqs[wi]!, wi, counts, where, changed);
    }
    where.delete(top.key);
    for (const key of changed) {
      const c = counts.get(key) ?? 0;
      if (c > 0) heap.push(c, key);
    }
  }
  return merges;
}

/** Distinct chunks as byte-id arrays, with how often each occurs. */
function countWords(text: string, pretokenizer: string): { words: number[][]; freqs: number[] } {
  const tally = new Map<string, number>();
  for (const c of chunks(text, pretokenizer)) tally.set(c, (tally.get(c) ?? 0) + 1);
  // Sorted so that word indices (and so every later step) do not depend on Map order quirks.
  const keys = [...tally.keys()].sort();
  return { words: keys.map((k) => Array.from(utf8Bytes(k))), freqs: keys.map((k) => tally.get(k)!) };
}

function addPairs(
  word: number[], freq: number, wi: number,
  counts: Map<number, number>, where: Map<number, Set<number>>, changed?: Set<number>,
): void {
  for (let i = 0; i + 1 < word.length; i++) {
    const key = pairKey(word[i]!, word[i + 1]!);
    counts.set(key, (counts.get(key) ?? 0) + freq);
    let set = where.get(key);
    if (!set) where.set(key, (set = new Set()));
    set.add(wi);
    changed?.add(key);
  }
}

function removePairs(word: number[], freq: number, counts: Map<number, number>, changed: Set<number>): void {
  for (let i = 0; i + 1 < word.length; i++) {
    const key = pairKey(word[i]!, word[i + 1]!);
    const c = counts.get(key)! - freq;
    if (c > 0) counts.set(key, c);
    else counts.delete(key);
    changed.add(key);
  }
}

function containsPair(word: number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < word.length; i++) if (word[i] === a && word[i + 1] === b) return true;
  return false;
}

/** Replaces every non-overlapping (a, b), left to right, by `id`. Shared with the encoder. */
export function mergePair(word: readonly number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      out.push(id);
      i++;
    } else {
      out.push(word[i]!);
    }
  }
  return out;
}

/** Binary max-heap on (count desc, key asc). */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];

  push(count: number, key: number): void {
    this.c.push(count);
    this.k.push(key);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { count: number; key: number } | undefined {
    if (this.c.length === 0) return undefined;
    const top = { count: this.c[0]!, key: this.k[0]! };
    const lastC = this.c.pop()!;
    const lastK = this.k.pop()!;
    if (this.c.length > 0) {
      this.c[0] = lastC;
      this.k[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.c.length && this.above(l, best)) best = l;
        if (r < this.c.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }

  /** Does entry i belong above entry j? */
  private above(i: number, j: number): boolean {
    return this.c[i]! > this.c[j]! || (this.c[i] === this.c[j] && this.k[i]! < this.k[j]!);
  }

  private swap(i: number, j: number): void {
    [this.c[i], this.c[j]] = [this.c[j]!, this.c[i]!];
    [this.k[i], this.k[j]] = [this.k[j]!, this.k[i]!];
  }
}
