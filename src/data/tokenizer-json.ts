/** Rebuilding a tokenizer from what `toJSON()` saved (e.g. in checkpoint metadata). */
import { BpeTokenizer } from './bpe-tokenizer.js';
import { ByteTokenizer } from './byte-tokenizer.js';
import { checkTokenizerHeader, type Tokenizer } from './tokenizer.js';

/** Accepts the JSON object or its string form. */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new Error(`tokenizer JSON does not parse: ${(e as Error).message}`);
    }
  }
  const { kind } = checkTokenizerHeader(value);
  if (kind === 'byte') return ByteTokenizer.fromJSON(value);
  if (kind === 'bpe') return BpeTokenizer.fromJSON(value);
  throw new Error(`unknown tokenizer kind '${kind}' (expected 'byte' or 'bpe')`);
}
