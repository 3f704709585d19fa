/**
 * Pre-tokenization: cut text into chunks (a word with its leading space, a
 * run of digits, of punctuation, of whitespace) before BPE, so merges never
 * span two words. This keeps the learned vocabulary made of word pieces and
 * lets the encoder cache each distinct chunk. The pattern is GPT-2's.
 * Patterns are referred to by name in saved tokenizers, never stored as
 * regex source, so a checkpoint cannot smuggle in a pathological regex.
 */
const PATTERNS: Readonly<Record<string, RegExp>> = {
  gpt2: /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu,
};

export const DEFAULT_PRETOKENIZER = 'gpt2';

export function checkPretokenizer(name: string): void {
  if (!(name in PATTERNS)) throw new Error(`unknown pre-tokenizer '${name}'; known: ${Object.keys(PATTERNS).join(', ')}`);
}

/** The chunks of `text`, in order; they concatenate back to `text` exactly. */
export function* chunks(text: string, pretokenizer = DEFAULT_PRETOKENIZER): Generator<string> {
  checkPretokenizer(pretokenizer);
  const re = new RegExp(PATTERNS[pretokenizer]!);
  let last = 0;
  for (const m of text.matchAll(re)) {
    // The pattern covers every character; a gap would still be encoded, as its own chunk.
    if (m.index > last) yield text.slice(last, m.index);
    yield m[0];
    last = m.index + m[0].length;
  }
  if (last < text.length) yield text.slice(last);
}
