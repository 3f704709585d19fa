/**
 * The simplest tokenizer that handles every string: one id per UTF-8 byte
 * (256 ids), plus optional special tokens. Sequences get longer than with
 * BPE, but there is nothing to train and nothing can be out of vocabulary.
 */
import { ByteLevelTokenizer, checkTokenizerHeader, TOKENIZER_FORMAT, TOKENIZER_VERSION, utf8Bytes, type ByteTokenizerJSON } from './tokenizer.js';

const SINGLE_BYTES = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));

export class ByteTokenizer extends ByteLevelTokenizer {
  readonly kind = 'byte' as const;

  constructor(opts: { specials?: readonly string[] } = {}) {
    super(256, opts.specials ?? []);
  }

  encode(text: string): Int32Array {
    return Int32Array.from(utf8Bytes(text));
  }

  protected pieceBytes(id: number): Uint8Array {
    return SINGLE_BYTES[id]!;
  }

  toJSON(): ByteTokenizerJSON {
    return { format: TOKENIZER_FORMAT, version: TOKENIZER_VERSION, kind: 'byte', specials: [...this.specials] };
  }

  static fromJSON(json: unknown): ByteTokenizer {
    const o = checkTokenizerHeader(json);
    if (o.kind !== 'byte') throw new Error(`expected a byte tokenizer, got kind '${o.kind}'`);
    return new ByteTokenizer({ specials: o.specials });
  }
}
