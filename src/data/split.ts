/**
 * Train/validation split by document. Cutting inside documents would put
 * the second half of an article in validation after the model trained on
 * the first half, and flatter it. The split is stratified: each genre gives
 * round(valFraction × its size) documents to validation, at least one when
 * it has two or more, so every genre is measured, and at least one stays in
 * training. (If no genre has two documents, one document drawn at random
 * is held out.) Seeded: the same seed and documents give the same split on
 * every machine, in any input order.
 */
import { Generator } from '../tensor/random.js';
import type { TextDocument } from './document.js';

export interface SplitOptions {
  /** Share of each genre's documents held out, in [0, 1). */
  valFraction: number;
  seed: number;
}

export interface Split<D extends TextDocument = TextDocument> {
  train: D[];
  val: D[];
}

export function splitDocuments<D extends TextDocument>(docs: readonly D[], opts: SplitOptions): Split<D> {
  const { valFraction, seed } = opts;
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`valFraction must be in [0, 1), got ${valFraction}`);
  if (!Number.isInteger(seed)) throw new Error(`split seed must be an integer, got ${seed}`);
  checkIds(docs);
  if (valFraction > 0 && docs.length < 2) {
    throw new Error(`a split by document needs at least 2 documents, got ${docs.length}: give a folder of files, or split the text yourself`);
  }
  const held = new Set<string>();
  for (const [genre, group] of byGenre(docs)) {
    const ids = group.map((d) => d.id).sort();
    const rng = new Generator(seed ^ hashString(genre));
    shuffle(ids, rng);
    // Each genre keeps at least one training document; one with two or more gives at least one to validation.
    const k = ids.length < 2 || valFraction === 0 ? 0 : Math.min(Math.max(Math.round(valFraction * ids.length), 1), ids.length - 1);
    for (const id of ids.slice(0, k)) held.add(id);
  }
  // With one document per genre, stratifying holds out nothing: fall back to a plain draw.
  if (valFraction > 0 && held.size === 0) held.add(drawOne(docs, seed));
  return { train: docs.filter((d) => !held.has(d.id)), val: docs.filter((d) => held.has(d.id)) };
}

function checkIds(docs: readonly TextDocument[]): void {
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.id)) throw new Error(`document id '${d.id}' appears twice; ids must be unique to split by document`);
    seen.add(d.id);
  }
}

function byGenre<D extends TextDocument>(docs: readonly D[]): Map<string, D[]> {
  const groups = new Map<string, D[]>();
  for (const d of docs) {
    const g = groups.get(d.genre);
    if (g) g.push(d);
    else groups.set(d.genre, [d]);
  }
  return groups;
}

/** Fisher–Yates with our seeded generator. */
function shuffle<T>(a: T[], rng: Generator): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

function drawOne(docs: readonly TextDocument[], seed: number): string {
  const ids = docs.map((d) => d.id).sort();
  return ids[new Generator(seed).int(ids.length)]!;
}

/** FNV-1a: gives each genre its own stream, so adding a genre does not reshuffle the others. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
