/**
 * Which experts each kind of text uses: for every genre of the validation
 * documents, the mean router probability of each FFN router choice (per layer)
 * over that genre's tokens. If experts specialise, rows for news, fiction
 * and science differ; if routing ignored content, every row would be the
 * same.
 */
import { batchTensors, sequentialBatches } from '../data/batches.js';
import type { LanguageModel } from '../moe/lm.js';
import { routerExperts } from '../moe/lm-config.js';
import { concatTokens, type Span } from '../data/corpus.js';
import { freeResults } from '../tensor/tidy.js';

export interface GenreUse {
  genres: string[];
  /** [genre][layer·N + expert]: mean router probability. */
  use: number[][];
  layers: number;
  experts: number;
}

export async function expertUseByGenre(model: LanguageModel, val: Int32Array, spans: readonly Span[], seqLen: number, tokensPerGenre: number): Promise<GenreUse> {
  // The router's choices: its FFN experts, then any zero-computation ones (shared experts are no choice).
  const [layers, experts] = [model.config.nLayers, routerExperts(model.config)];
  const genres = [...new Set(spans.map((s) => s.genre))].sort();
  const use: number[][] = [];
  for (const genre of genres) {
    const stream = genreTokens(val, spans.filter((s) => s.genre === genre), tokensPerGenre + 1);
    const sums = new Array<number>(layers * experts).fill(0);
    let count = 0;
    for (const batch of sequentialBatches(stream, 16, Math.min(seqLen, Math.max(1, stream.length - 1)))) {
      const r = await model.infer(batchTensors(batch).inputs, { mode: { mode: 'dense' }, attention: 'dense' });
      r.layers.forEach((l, li) => l.ffn?.experts.forEach((es, t) => es.forEach((e, j) => (sums[li * experts + e]! += l.ffn!.gates[t]![j]!))));
      count += batch.batchSize * batch.seqLen;
      freeResults(r.logits); // the call leaves nothing else on the device (LanguageModel.infer)
    }
    use.push(sums.map((s) => s / Math.max(count, 1)));
  }
  return { genres, use, layers, experts };
}

/** The genre's documents, concatenated, up to `limit` tokens. */
function genreTokens(val: Int32Array, spans: readonly Span[], limit: number): Int32Array {
  const parts: Int32Array[] = [];
  let n = 0;
  for (const s of spans) {
    if (n >= limit) break;
    const take = Math.min(s.end - s.start, limit - n);
    parts.push(val.subarray(s.start, s.start + take));
    n += take;
  }
  return concatTokens(parts);
}
