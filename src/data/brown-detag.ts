/**
 * Brown Corpus "form C" to plain text. Each sentence is one line of
 * whitespace-separated `word/tag` tokens ("The/at jury/nn said/vbd ./.");
 * we drop the tags and re-space the words the way English is printed:
 * no space before closing punctuation, none after an opening bracket or
 * quote. The corpus writes double quotes as `` and '' (TeX style); we print
 * them as ". A lone ' is used for both opening and closing single quotes,
 * so it alternates within a sentence. Three artefacts are tidied: some files
 * double their sentence-final marks ("fear/vb ?/. ?/."), an abbreviation
 * ending a sentence is followed by its own period ("Jr./np ./."), and
 * an inch mark is echoed by a stray closing quote ("1/8''/nn ''/''").
 */

/** Words that attach to the word before them. */
const CLOSERS = new Set(['.', ',', ';', ':', '?', '!', ')', ']', '}', "''", '...']);
/** Marks the corpus sometimes doubles by mistake. */
const DOUBLED = new Set(['?', '!', ';', ':']);
/** Words the next word attaches to. */
const OPENERS = new Set(['(', '[', '{', '``']);

/** The word of a `word/tag` token: everything before the last slash ("1/2/cd" is the word "1/2"). */
export function wordOf(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/** One tagged sentence line to a printed sentence. */
export function detagSentence(line: string): string {
  let out = '';
  let attachNext = true; // at the start of the sentence nothing precedes
  let singleOpen = false;
  let prev = '';
  for (const token of line.split(/\s+/)) {
    if (token === '') continue;
    const word = wordOf(token);
    if (isArtefact(word, prev)) continue;
    prev = word;
    let attachToPrev = CLOSERS.has(word);
    let opens = OPENERS.has(word);
    if (word === "'") {
      // Alternate: the first lone quote opens, the next one closes.
      opens = !singleOpen;
      attachToPrev = singleOpen;
      singleOpen = !singleOpen;
    }
    if (out !== '' && !attachNext && !attachToPrev) out += ' ';
    out += word.replace(/``|''/g, '"');
    attachNext = opens;
  }
  return out;
}

function isArtefact(word: string, prev: string): boolean {
  return (DOUBLED.has(word) && word === prev)
    || (word === '.' && prev.length > 1 && prev.endsWith('.'))
    || (word === "''" && prev.length > 2 && prev.endsWith("''"));
}

/** A whole Brown file to text: one sentence per line. */
export function detagBrown(raw: string): string {
  const sentences: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    const s = detagSentence(line);
    if (s !== '') sentences.push(s);
  }
  return sentences.join('\n');
}
