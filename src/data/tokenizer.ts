/**
 * What every tokenizer offers. A tokenizer maps text to integer ids and
 * back; ours work on UTF-8 bytes, so any string encodes (no "unknown"
 * token) and `decode(encode(s)) === s` for every well-formed string. Special
 * tokens (e.g. '<|endoftext|>' between documents) get the ids after the
 * regular vocabulary; `encode` never produces them from text, so a document
 * that happens to contain the string '<|endoftext|>' cannot forge one.
 */
export interface Tokenizer {
  readonly kind: 'byte' | 'bpe';
  /** Number of ids, special tokens included: ids are 0 … vocabSize − 1. */
  readonly vocabSize: number;
  readonly specials: readonly string[];
  encode(text: string): Int32Array;
  /** Ids to text; byte sequences that are not valid UTF-8 become U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  /** The bytes one id stands for (for streaming decode during generation). */
  tokenBytes(id: number): Uint8Array;
  /** The id of a special token, or an error naming the ones that exist. */
  specialId(name: string): number;
  toJSON(): TokenizerJSON;
}

export const TOKENIZER_FORMAT = 'dsmoe-tokenizer';
export const TOKENIZER_VERSION = 1;

export interface ByteTokenizerJSON {
  format: typeof TOKENIZER_FORMAT;
  version: typeof TOKENIZER_VERSION;
  kind: 'byte';
  specials: string[];
}

export interface BpeTokenizerJSON {
  format: typeof TOKENIZER_FORMAT;
  version: typeof TOKENIZER_VERSION;
  kind: 'bpe';
  specials: string[];
  /** Name of the pre-tokenizer that cuts text into chunks merges stay inside. */
  pretokenizer: string;
  /** Merge i joins ids merges[2i] and merges[2i+1] into id 256 + i. */
  merges: number[];
}

export type TokenizerJSON = ByteTokenizerJSON | BpeTokenizerJSON;

const encoder = new TextEncoder();
const lenient = new TextDecoder('utf-8', { fatal: false });

/**
 * The part both tokenizers share: special tokens after a base vocabulary,
 * and decoding by concatenating each id's bytes.
 */
export abstract class ByteLevelTokenizer implements Tokenizer {
  abstract readonly kind: 'byte' | 'bpe';
  readonly specials: readonly string[];
  private readonly specialBytes: Uint8Array[];

  constructor(
    /** Ids below this are byte sequences; specials follow. */
    protected readonly baseVocab: number,
    specials: readonly string[],
  ) {
    checkSpecials(specials);
    this.specials = Object.freeze([...specials]);
    this.specialBytes = specials.map((s) => encoder.encode(s));
  }

  get vocabSize(): number {
    return this.baseVocab + this.specials.length;
  }

  abstract encode(text: string): Int32Array;
  abstract toJSON(): TokenizerJSON;
  /** Bytes of a regular (non-special) id. */
  protected abstract pieceBytes(id: number): Uint8Array;

  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new Error(`token id ${id} is out of range for a vocabulary of ${this.vocabSize}`);
    }
    return id < this.baseVocab ? this.pieceBytes(id) : this.specialBytes[id - this.baseVocab]!;
  }

  decode(ids: ArrayLike<number>): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new Error(`decode: id ${id} at position ${i} is out of range for a vocabulary of ${this.vocabSize}`);
      }
      const b = this.tokenBytes(id);
      parts.push(b);
      total += b.length;
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return lenient.decode(all);
  }

  specialId(name: string): number {
    const i = this.specials.indexOf(name);
    if (i < 0) throw new Error(`no special token '${name}'; this tokenizer has [${this.specials.join(', ')}]`);
    return this.baseVocab + i;
  }
}

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as in any UTF-8 encoder). */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function checkSpecials(specials: readonly string[]): void {
  const seen = new Set<string>();
  for (const s of specials) {
    if (typeof s !== 'string' || s === '') throw new Error(`special tokens must be non-empty strings, got ${JSON.stringify(s)}`);
    if (seen.has(s)) throw new Error(`special token '${s}' is listed twice`);
    seen.add(s);
  }
}

/** Checks the fields every tokenizer JSON has; returns it typed. */
export function checkTokenizerHeader(json: unknown): { kind: string; specials: string[] } & Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('tokenizer JSON must be an object');
  const o = json as Record<string, unknown>;
  if (o.format !== TOKENIZER_FORMAT) throw new Error(`not a dsmoe tokenizer: format is ${JSON.stringify(o.format)}, expected '${TOKENIZER_FORMAT}'`);
  if (o.version !== TOKENIZER_VERSION) throw new Error(`tokenizer version ${JSON.stringify(o.version)} is not supported (this dsmoe reads version ${TOKENIZER_VERSION})`);
  if (!Array.isArray(o.specials) || o.specials.some((s) => typeof s !== 'string')) throw new Error('tokenizer JSON: specials must be an array of strings');
  if (typeof o.kind !== 'string') throw new Error('tokenizer JSON: kind must be a string');
  return o as { kind: string; specials: string[] } & Record<string, unknown>;
}
