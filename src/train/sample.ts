/**
 * Text generation with incremental decoding: the prompts are encoded once
 * (the prefill), then each step feeds every sequence one token — its next
 * prompt token while it still has some, its sampled token after — so a
 * token costs one position of work, not a whole window (LanguageModel.decode).
 * Sparse modes route each new token by its own scores; the routing of the
 * fed position gives the per-token expert trace.
 *
 * Ragged prompts: the prefill covers the shortest prompt, and the longer
 * ones are fed token by token while the shorter already generate, so every
 * sequence keeps its own positions. Past the window (maxSeqLen) the state
 * slides it: the oldest half is dropped and the rest encoded again.
 */
import type { Tokenizer } from '../data/tokenizer.js';
import { DecodeState } from '../moe/decode-state.js';
import type { LanguageModel } from '../moe/lm.js';
import type { LMInferOptions } from '../moe/lm-stats.js';
import { fromData } from '../tensor/create.js';
import { Generator } from '../tensor/random.js';
import { sampleToken, type SamplingOptions } from './next-token.js';
import { freeResults } from '../tensor/tidy.js';

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  infer: LMInferOptions;
  /** Sequence b samples from its own generator, seeded seed + b. */
  seed: number;
}

export interface GeneratedToken {
  id: number;
  /** Per layer, the FFN experts this token's prediction used (descending score), and the attention experts. */
  ffnExperts: number[][];
  attnExperts: number[][];
}

/** Generates after `prompt`, calling onToken as each token is chosen (for streaming output). */
export async function generate(model: LanguageModel, tokenizer: Tokenizer, prompt: string, o: GenerateOptions, onToken?: (t: GeneratedToken) => void): Promise<GeneratedToken[]> {
  const [out] = await generateBatch(model, tokenizer, [prompt], o, onToken && ((_, t) => onToken(t)));
  return out!;
}

/**
 * The prompt's ids: an empty prompt starts from a newline (some context is
 * needed to predict from), a prompt longer than the window keeps its last
 * maxSeqLen tokens (what a sliding window would hold).
 */
function promptIds(tokenizer: Tokenizer, prompt: string, window: number): number[] {
  const ids = Array.from(tokenizer.encode(prompt));
  if (ids.length === 0) ids.push(...tokenizer.encode('\n'));
  return ids.slice(-window);
}

/** Generates o.maxTokens after each prompt, all in one batch; onToken(b, t) as sequence b's tokens are chosen. */
export async function generateBatch(
  model: LanguageModel, tokenizer: Tokenizer, prompts: readonly string[], o: GenerateOptions,
  onToken?: (b: number, t: GeneratedToken) => void,
): Promise<GeneratedToken[][]> {
  if (prompts.length === 0) throw new Error('generate: no prompts');
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 1) throw new Error(`generate: maxTokens must be a positive integer, got ${o.maxTokens}`);
  model.eval();
  const window = model.config.maxSeqLen;
  const ids = prompts.map((p) => promptIds(tokenizer, p, window));
  const rngs = prompts.map((_, b) => new Generator(o.seed + b));
  const out: GeneratedToken[][] = prompts.map(() => []);
  const state = new DecodeState(model, { batch: prompts.length });
  try {
    // Prefill: the part every prompt has.
    let fed = Math.min(...ids.map((r) => r.length));
    let step: number[][] = ids.map((r) => r.slice(0, fed));
    while (out.some((r) => r.length < o.maxTokens)) {
      const input = fromData(Int32Array.from(step.flat()), [step.length, step[0]!.length]);
      const r = await model.decode(state, input, o.infer);
      const logits = await r.logits.data();
      freeResults(r.logits, input); // the call leaves nothing else on the device
      const [s, v] = [step[0]!.length, model.config.vocabSize];
      step = ids.map((prompt, b) => {
        if (fed < prompt.length) return [prompt[fed]!]; // still in its prompt: the prediction is not used
        const row = (b * s + s - 1);
        const id = sampleToken(logits.subarray(row * v, (row + 1) * v), o, rngs[b]!);
        if (out[b]!.length < o.maxTokens) {
          const tok: GeneratedToken = {
            id,
            ffnExperts: r.layers.map((l) => l.ffn?.experts[row] ?? []),
            attnExperts: r.layers.map((l) => l.attn?.experts[row] ?? []),
          };
          out[b]!.push(tok);
          onToken?.(b, tok);
        }
        return [id];
      });
      fed++;
    }
  } finally {
    state.dispose();
  }
  return out;
}

/** Decodes a token stream piece by piece, holding back bytes of a character that is not complete yet. */
export class StreamDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  constructor(private readonly tokenizer: Tokenizer) {}
  push(id: number): string {
    return this.decoder.decode(this.tokenizer.tokenBytes(id), { stream: true });
  }
  flush(): string {
    return this.decoder.decode();
  }
}
