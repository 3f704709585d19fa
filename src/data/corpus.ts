/**
 * From documents to the token streams a run trains and validates on: split
 * them by document with a seed, build the tokenizer (bytes, or BPE trained
 * on the training documents only), and concatenate each side into one
 * stream. The validation stream remembers which document (and genre) each
 * span came from, for the expert-use-by-genre picture. Reading the
 * documents (the Brown Corpus, a file or folder) is the caller's: this file
 * touches no file system, so a browser can use it too.
 */
import { splitDocuments } from './split.js';
import { ByteTokenizer } from './byte-tokenizer.js';
import { BpeTokenizer } from './bpe-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';
import type { TextDocument } from './document.js';

export type TokenizerKind = 'byte' | 'bpe';

export interface CorpusOptions {
  /** Where the documents were read from (a UTF-8 file or folder); the Brown Corpus when absent. */
  corpus?: string;
  tokenizer: TokenizerKind;
  /** BPE vocabulary size (ignored for bytes). */
  bpeVocab: number;
  valFraction: number;
  seed: number;
  /** An existing tokenizer (from a checkpoint) instead of building one. */
  reuse?: Tokenizer;
}

const TOKENIZER_KINDS: readonly TokenizerKind[] = ['byte', 'bpe'];

/**
 * Corpus options read back from a checkpoint, every field checked as the
 * flags would check it (a file is input too); `where` prefixes errors. The
 * fields keep the file's order, so a resumed run writes the same bytes.
 */
export function corpusOptionsFromJSON(where: string, json: unknown): Omit<CorpusOptions, 'reuse'> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${where}: corpus must be a JSON object`);
  const o = json as Record<string, unknown>;
  const bad = (k: string, what: string): never => { throw new Error(`${where}: corpus.${k} must be ${what}, got ${JSON.stringify(o[k])}`); };
  if (o.corpus !== undefined && (typeof o.corpus !== 'string' || o.corpus === '')) bad('corpus', 'a path');
  if (!TOKENIZER_KINDS.includes(o.tokenizer as TokenizerKind)) bad('tokenizer', `one of ${TOKENIZER_KINDS.join(', ')}`);
  if (!Number.isSafeInteger(o.bpeVocab) || (o.bpeVocab as number) < 257) bad('bpeVocab', 'an integer ≥ 257');
  if (typeof o.valFraction !== 'number' || !(o.valFraction >= 0.001 && o.valFraction <= 0.9)) bad('valFraction', 'a number in [0.001, 0.9]');
  if (!Number.isSafeInteger(o.seed)) bad('seed', 'an integer');
  const known = new Set(['corpus', 'tokenizer', 'bpeVocab', 'valFraction', 'seed']);
  return Object.fromEntries(Object.entries(o).filter(([k]) => known.has(k))) as Omit<CorpusOptions, 'reuse'>;
}

/** A run of the validation stream that came from one document. */
export interface Span {
  genre: string;
  start: number;
  end: number;
}

export interface PreparedCorpus {
  /** Where the documents came from: 'brown' or the path given. */
  source: string;
  tokenizer: Tokenizer;
  train: Int32Array;
  val: Int32Array;
  valSpans: Span[];
  trainDocs: number;
  valDocs: number;
}

/** Documents are joined with a blank line, as they would be in one text file. */
const SEPARATOR = '\n\n';

/** The documents read from `source` as training and validation streams; a single document is cut into parts first. */
export function prepareCorpus(source: string, loaded: readonly TextDocument[], opts: CorpusOptions): PreparedCorpus {
  const docs = loaded.length === 1 ? cutDocument(loaded[0]!, SINGLE_FILE_PARTS) : loaded;
  const { train, val } = splitDocuments(docs, { valFraction: opts.valFraction, seed: opts.seed });
  if (train.length === 0) throw new Error(`corpus ${source}: no training documents after the split`);
  if (val.length === 0) throw new Error(`corpus ${source}: no validation documents (give a folder with at least 2 files, or a valFraction > 0)`);
  const tokenizer = opts.reuse ?? buildTokenizer(opts, train);
  const trainStream = concatTokens(train.map((d) => tokenizer.encode(d.text + SEPARATOR)));
  const valParts = val.map((d) => tokenizer.encode(d.text + SEPARATOR));
  const valSpans: Span[] = [];
  let at = 0;
  val.forEach((d, i) => {
    const n = valParts[i]!.length;
    valSpans.push({ genre: d.genre, start: at, end: at + n });
    at += n;
  });
  return {
    source,
    tokenizer,
    train: trainStream,
    val: concatTokens(valParts),
    valSpans,
    trainDocs: train.length,
    valDocs: val.length,
  };
}

/** A single file is cut into this many parts, so it can be split by "document" like a folder. */
const SINGLE_FILE_PARTS = 20;

/**
 * One long text as `parts` consecutive pieces, each cut at a line break
 * where there is one near the boundary: validation then holds whole
 * stretches of text the model never saw, as with real documents.
 */
export function cutDocument(doc: TextDocument, parts: number): TextDocument[] {
  const text = doc.text;
  const cuts = [0];
  for (let i = 1; i < parts; i++) {
    const target = Math.floor((i * text.length) / parts);
    const newline = text.indexOf('\n', target);
    const at = newline >= 0 && newline - target < text.length / parts / 2 ? newline + 1 : target;
    if (at > cuts[cuts.length - 1]! && at < text.length) cuts.push(at);
  }
  cuts.push(text.length);
  return cuts.slice(0, -1).map((start, i) => ({ id: `${doc.id}#${i}`, genre: doc.genre, text: text.slice(start, cuts[i + 1]) }));
}

function buildTokenizer(opts: CorpusOptions, train: readonly TextDocument[]): Tokenizer {
  if (opts.tokenizer === 'byte') return new ByteTokenizer();
  return BpeTokenizer.train(train.map((d) => d.text).join(SEPARATOR), opts.bpeVocab);
}

/** The streams one after another, in one array. */
export function concatTokens(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** UTF-8 bytes that the tokens stand for: the denominator of bits per byte. */
export function bytesOf(tokenizer: Tokenizer, ids: ArrayLike<number>): number {
  if (tokenizer.kind === 'byte') return ids.length;
  let n = 0;
  for (let i = 0; i < ids.length; i++) n += tokenizer.tokenBytes(ids[i]!).length;
  return n;
}
