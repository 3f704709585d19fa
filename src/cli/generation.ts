/**
 * Text generation: feed the prompt, sample a token, append, repeat. Each
 * step runs the model in the chosen inference mode over the last maxSeqLen
 * tokens (the context window), so sparse modes are exercised exactly as in
 * evaluation, and the routing of the newest position gives the per-token
 * expert trace.
 */
import type { Tokenizer } from '../data/tokenizer.js';
import type { LanguageModel } from '../moe/lm.js';
import type { LMInferOptions } from '../moe/lm-stats.js';
import { fromData } from '../tensor/create.js';
import { Generator } from '../tensor/random.js';
import { sampleToken, type SamplingOptions } from './sampling.js';
import { freeResults } from '../tensor/tidy.js';

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  infer: LMInferOptions;
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
  model.eval();
  const rng = new Generator(o.seed);
  const ids = Array.from(tokenizer.encode(prompt));
  // An empty prompt starts from a newline: some context is needed to predict from.
  if (ids.length === 0) ids.push(...tokenizer.encode('\n'));
  const out: GeneratedToken[] = [];
  const window = model.config.maxSeqLen;
  for (let i = 0; i < o.maxTokens; i++) {
    const ctx = ids.slice(-window);
    const r = await model.infer(fromData(Int32Array.from(ctx), [1, ctx.length]), o.infer);
    const logits = await r.logits.data();
    freeResults(r.logits); // the call leaves nothing else on the device (LanguageModel.infer)
    const v = model.config.vocabSize;
    const last = logits.subarray((ctx.length - 1) * v, ctx.length * v);
    const id = sampleToken(last, o, rng);
    const pos = ctx.length - 1;
    const tok: GeneratedToken = {
      id,
      ffnExperts: r.layers.map((l) => l.ffn?.experts[pos] ?? []),
      attnExperts: r.layers.map((l) => l.attn?.experts[pos] ?? []),
    };
    ids.push(id);
    out.push(tok);
    onToken?.(tok);
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
