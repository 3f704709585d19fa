/**
 * The page's model: dsmoe's LanguageModel at a size a software GPU can train
 * in seconds, with what the page does to it — train on random windows of the
 * corpus, route a sentence (dense scores for the heatmap, the sparse mode's
 * choices on top), predict the next byte, generate, and swap in a checkpoint.
 * Training and generation are the library's (Trainer, generate): the same
 * step as `dsmoe train` (clipping, the schedule, one tidy per step) and the
 * same sampling as `dsmoe generate`.
 *
 * The page's own model reads bytes (ByteTokenizer: the 256 byte values, so
 * any UTF-8 string is a token sequence with no tokenizer file to ship); a
 * loaded checkpoint brings its own tokenizer (byte or BPE).
 */
import {
  ByteTokenizer, fromData, generate, lmConfig, newTrainer, noGrad, realize, releaseDeviceMemory, TRAIN_PRESETS, Trainer,
  type InferMode, type LanguageModel, type LMConfig, type LMStats, type Tensor, type Tokenizer, type TrainSettings,
} from 'dsmoe';

/**
 * Two layers of 4 FFN experts and 2 attention experts over a 32-wide model:
 * about 50k parameters, a few hundred kernels per training step.
 */
export const DEMO_CONFIG: LMConfig = lmConfig('tiny', {
  maxSeqLen: 32,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 8,
  attnExperts: 2,
  nExperts: 4,
  expertHidden: 16,
  positions: 'learned',
});

/**
 * Four windows a step at a constant rate (minLr = lr: the page trains for as
 * long as you press, so there is no end for a cosine to decay towards).
 */
const DEMO_SETTINGS: TrainSettings = {
  ...TRAIN_PRESETS.tiny!, steps: 1_000_000, batchSize: 4, seqLen: DEMO_CONFIG.maxSeqLen, lr: 1e-2, minLr: 1e-2, warmup: 0,
  evalEvery: 0, checkpointEvery: 0, seed: 1234,
};

/** The page never validates: the trainer's validation stream is empty. */
const NO_VALIDATION = new Int32Array(0);

/** Sampling for the generate box: a little cooler than the distribution itself, from its nucleus. */
const SAMPLING = { temperature: 0.7, topP: 0.95 };

export interface LayerRouting {
  /** Router probabilities per token, [tokens][experts] (the dense scores). */
  scores: number[][];
  /** The experts that fire per token under the sparse mode. */
  fired: number[][];
}

export interface RouteView {
  /** One entry per token of the (truncated) text. */
  tokens: string[];
  layers: { ffn: LayerRouting; attn: LayerRouting | null }[];
  stats: LMStats;
  /** The five likeliest next bytes after the text: dense, and under the sparse mode. */
  next: { dense: Prediction[]; sparse: Prediction[] };
}

export interface Prediction {
  token: string;
  prob: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** A token as something readable in a table cell: visible spaces and newlines, hex for other control bytes. */
export function showToken(tokenizer: Tokenizer, id: number): string {
  const bytes = tokenizer.tokenBytes(id);
  if (bytes.length === 1 && (bytes[0]! < 32 || bytes[0]! > 126) && bytes[0] !== 10) {
    return bytes[0] === 32 ? '␣' : `\\x${bytes[0]!.toString(16).padStart(2, '0')}`;
  }
  return utf8.decode(bytes).replace(/ /g, '␣').replace(/\n/g, '⏎');
}

/** One sequence of token ids as a [1, S] tensor. */
function sequence(tokens: Int32Array): Tensor {
  return fromData(tokens, [1, tokens.length]);
}

function softmaxRow(logits: ArrayLike<number>, offset: number, n: number): number[] {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  const e = Array.from({ length: n }, (_, i) => Math.exp(logits[offset + i]! - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

function top5(tokenizer: Tokenizer, probs: number[]): Prediction[] {
  return probs.map((p, i) => ({ id: i, prob: p })).sort((a, b) => b.prob - a.prob).slice(0, 5)
    .map(({ id, prob }) => ({ token: showToken(tokenizer, id), prob }));
}

/** [1, S, N] scores → [S][N] numbers. */
async function rows(t: Tensor): Promise<number[][]> {
  const n = t.shape[t.rank - 1]!;
  const data = await t.data();
  return Array.from({ length: data.length / n }, (_, i) => Array.from(data.subarray(i * n, (i + 1) * n)));
}

export class DemoModel {
  private trainer: Trainer;
  tokenizer: Tokenizer = new ByteTokenizer();
  /** Steps trained so far and the loss of each (before its update). */
  readonly losses: number[] = [];
  /** Each generation draws from its own seed, so pressing Generate again gives another sample. */
  private samples = 0;

  constructor(private readonly text: string, config: LMConfig = DEMO_CONFIG) {
    this.trainer = newTrainer(config, DEMO_SETTINGS, { train: this.tokenizer.encode(text), val: NO_VALIDATION });
  }

  get lm(): LanguageModel {
    return this.trainer.model;
  }

  get config(): LMConfig {
    return this.lm.config;
  }

  /** One training step on a fresh batch of random windows; resolves to its loss. */
  async step(): Promise<number> {
    const { loss } = await this.trainer.trainStep();
    await releaseDeviceMemory();
    this.losses.push(loss);
    return loss;
  }

  /**
   * How `text` is routed: the dense scores of every router (the heatmap's
   * colours) and, in `mode`, which experts fire (its outlines), the cost,
   * and the next-byte prediction with and without sparsity.
   */
  async route(text: string, mode: InferMode): Promise<RouteView> {
    const tokens = this.tokenizer.encode(text).subarray(0, this.config.maxSeqLen);
    if (tokens.length === 0) throw new Error('route: type at least one character');
    const x = sequence(tokens);
    const dense = noGrad(() => this.lm.forward(x));
    const sparse = await this.lm.infer(x, { mode });
    const last = (tokens.length - 1) * this.config.vocabSize;
    // One realize for everything read below: reads of one graph are never run concurrently.
    await realize(dense.logits, sparse.logits, ...dense.aux.ffnScores, ...dense.aux.attnScores);
    const denseLogits = await dense.logits.data();
    const sparseLogits = await sparse.logits.data();
    const layers: RouteView['layers'] = [];
    for (let l = 0; l < this.config.nLayers; l++) {
      const ffnScores = dense.aux.ffnScores[l];
      const attnScores = dense.aux.attnScores[l];
      const routed = sparse.layers[l]!;
      layers.push({
        ffn: { scores: ffnScores ? await rows(ffnScores) : [], fired: routed.ffn?.experts ?? [] },
        attn: attnScores && routed.attn ? { scores: await rows(attnScores), fired: routed.attn.experts } : null,
      });
    }
    return {
      tokens: Array.from(tokens, (id) => showToken(this.tokenizer, id)),
      layers,
      stats: sparse.stats,
      next: {
        dense: top5(this.tokenizer, softmaxRow(denseLogits, last, this.config.vocabSize)),
        sparse: top5(this.tokenizer, softmaxRow(sparseLogits, last, this.config.vocabSize)),
      },
    };
  }

  /** Logits for the last position of `text` under `mode` (a test compares them across engines). */
  async lastLogits(text: string, mode: InferMode): Promise<number[]> {
    const tokens = this.tokenizer.encode(text).subarray(-this.config.maxSeqLen);
    const out = await this.lm.infer(sequence(tokens), { mode });
    const v = this.config.vocabSize;
    return Array.from((await out.logits.data()).subarray((tokens.length - 1) * v, tokens.length * v));
  }

  /**
   * Sparse generation through the KV cache (the library's generate: the
   * prompt encoded once, then one single-token step per new token, the
   * window sliding past maxSeqLen). `onText` sees the text so far.
   */
  async generate(prompt: string, n: number, mode: InferMode, onText?: (text: string) => void): Promise<string> {
    const ids: number[] = [];
    const text = (): string => prompt + this.tokenizer.decode(ids);
    await generate(this.lm, this.tokenizer, prompt, { ...SAMPLING, maxTokens: n, seed: this.samples++, infer: { mode } }, (t) => {
      ids.push(t.id);
      onText?.(text());
    });
    return text();
  }

  /** Replaces the model (and tokenizer) with ones read from a checkpoint; training goes on from it. */
  replace(lm: LanguageModel, tokenizer: Tokenizer): void {
    this.tokenizer = tokenizer;
    this.trainer = new Trainer(lm, { ...DEMO_SETTINGS, seqLen: lm.config.maxSeqLen }, { train: tokenizer.encode(this.text), val: NO_VALIDATION });
    this.losses.length = 0;
  }
}
