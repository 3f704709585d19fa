/**
 * Byte-level BPE: ids 0–255 are bytes, id 256 + i is merge i's pair joined.
 * Encoding cuts text into chunks (see pretokenize.ts) and, inside each chunk,
 * applies the lowest-ranked applicable merge until none applies — which gives
 * the same pieces as replaying the merges in training order, because a merge
 * can only use ids made by earlier merges.
 */
import { mergePair, pairKey, trainBpeMerges, type BpeTrainOptions } from './bpe-train.js';
import { checkPretokenizer, chunks, DEFAULT_PRETOKENIZER } from './pretokenize.js';
import {
  ByteLevelTokenizer, checkTokenizerHeader, TOKENIZER_FORMAT, TOKENIZER_VERSION, utf8Bytes, type BpeTokenizerJSON,
} from './tokenizer.js';

/** Distinct chunks remembered by the encoder before it starts over. */
const CACHE_LIMIT = 50_000;

export class BpeTokenizer extends ByteLevelTokenizer {
  readonly kind = 'bpe' as const;
  /** The pre-tokenizer's name (see pretokenize.ts). */
  readonly pretokenizer: string;
  private readonly merges: readonly number[];
  private readonly rank = new Map<number, number>();
  private readonly pieces: Uint8Array[] = [];
  private readonly cache = new Map<string, readonly number[]>();

  constructor(merges: readonly number[], opts: { specials?: readonly string[]; pretokenizer?: string } = {}) {
    super(256 + merges.length / 2, opts.specials ?? []);
    this.pretokenizer = opts.pretokenizer ?? DEFAULT_PRETOKENIZER;
    checkPretokenizer(this.pretokenizer);
    checkMerges(merges);
    this.merges = Object.freeze([...merges]);
    for (let b = 0; b < 256; b++) this.pieces.push(Uint8Array.of(b));
    for (let i = 0; i < merges.length / 2; i++) {
      const a = merges[2 * i]!;
      const b = merges[2 * i + 1]!;
      this.rank.set(pairKey(a, b), i);
      this.pieces.push(concat(this.pieces[a]!, this.pieces[b]!));
    }
  }

  /** Learns merges on `text` until the vocabulary (specials included) has `vocabSize` ids, or no pair repeats. */
  static train(text: string, vocabSize: number, opts: BpeTrainOptions & { specials?: readonly string[] } = {}): BpeTokenizer {
    const specials = opts.specials ?? [];
    if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length) {
      throw new Error(`BPE vocabulary size must be an integer of at least 256 bytes + ${specials.length} special tokens = ${256 + specials.length}, got ${vocabSize}`);
    }
    const merges = trainBpeMerges(text, vocabSize - specials.length, opts);
    return new BpeTokenizer(merges, { specials, pretokenizer: opts.pretokenizer });
  }

  /** Number of merges learned. */
  get numMerges(): number {
    return this.merges.length / 2;
  }

  encode(text: string): Int32Array {
    const out: number[] = [];
    for (const c of chunks(text, this.pretokenizer)) {
      for (const id of this.encodeChunk(c)) out.push(id);
    }
    return Int32Array.from(out);
  }

  private encodeChunk(chunk: string): readonly number[] {
    const hit = this.cache.get(chunk);
    if (hit) return hit;
    let word: number[] = Array.from(utf8Bytes(chunk));
    for (;;) {
      // The applicable merge learned first wins.
      let best = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.rank.get(pairKey(word[i]!, word[i + 1]!));
        if (r !== undefined && r < best) best = r;
      }
      if (best === Infinity) break;
      word = mergePair(word, this.merges[2 * best]!, this.merges[2 * best + 1]!, 256 + best);
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(chunk, word);
    return word;
  }

  protected pieceBytes(id: number): Uint8Array {
    return this.pieces[id]!;
  }

  toJSON(): BpeTokenizerJSON {
    return {
      format: TOKENIZER_FORMAT, version: TOKENIZER_VERSION, kind: 'bpe',
      specials: [...this.specials], pretokenizer: this.pretokenizer, merges: [...this.merges],
    };
  }

  static fromJSON(json: unknown): BpeTokenizer {
    const o = checkTokenizerHeader(json);
    if (o.kind !== 'bpe') throw new Error(`expected a bpe tokenizer, got kind '${o.kind}'`);
    if (typeof o.pretokenizer !== 'string') throw new Error('bpe tokenizer JSON: pretokenizer must be a string');
    if (!Array.isArray(o.merges)) throw new Error('bpe tokenizer JSON: merges must be an array of ids');
    return new BpeTokenizer(o.merges as number[], { specials: o.specials, pretokenizer: o.pretokenizer });
  }
}

/** Merge i may only join ids that exist before it: bytes and merges 0 … i − 1. */
function checkMerges(merges: readonly number[]): void {
  if (merges.length % 2 !== 0) throw new Error(`BPE merges must come in pairs; got ${merges.length} ids`);
  for (let i = 0; i < merges.length; i++) {
    const id = merges[i];
    const limit = 256 + Math.floor(i / 2);
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= limit) {
      throw new Error(`BPE merge ${Math.floor(i / 2)} refers to id ${JSON.stringify(id)}, which does not exist yet (must be an integer in [0, ${limit}))`);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
