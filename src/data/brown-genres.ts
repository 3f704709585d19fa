/**
 * The Brown Corpus's 15 genres. A file id is 'c' + genre letter + two
 * digits ('ca01' is press reportage); the letters skip i, o and q.
 * Names follow the corpus manual (Francis & Kučera).
 */
export const BROWN_GENRES: Readonly<Record<string, string>> = Object.freeze({
  a: 'press: reportage',
  b: 'press: editorial',
  c: 'press: reviews',
  d: 'religion',
  e: 'skill and hobbies',
  f: 'popular lore',
  g: 'belles-lettres',
  h: 'miscellaneous: government & house organs',
  j: 'learned',
  k: 'fiction: general',
  l: 'fiction: mystery',
  m: 'fiction: science',
  n: 'fiction: adventure',
  p: 'fiction: romance',
  r: 'humor',
});

/** The genre letter of a Brown file id, or an error naming the id. */
export function brownGenreOf(id: string): string {
  const m = /^c([a-r])\d\d$/.exec(id);
  if (!m || !(m[1]! in BROWN_GENRES)) throw new Error(`not a Brown Corpus file id: '${id}' (expected c + genre letter + two digits, e.g. 'ca01')`);
  return m[1]!;
}

/** 'a' → 'press: reportage'; unknown letters come back unchanged. */
export function brownGenreName(letter: string): string {
  return BROWN_GENRES[letter] ?? letter;
}
