/**
 * The page's model: dsmoe's LanguageModel at a size a software GPU can train
 * in seconds, with what the page does to it — train on random windows of the
 * corpus, route a sentence (dense scores for the heatmap, the sparse mode's
 * choices on top), predict the next byte, generate, and swap in a checkpoint.
 *
 * The page's own model reads bytes (ByteTokenizer: the 256 byte values, so
 * any UTF-8 string is a token sequence with no tokenizer file to ship); a
 * loaded checkpoint brings its own tokenizer (byte or BPE).
 */
import {
  AdamW, ByteTokenizer, DecodeState, Generator, LanguageModel, lmConfig, noGrad, realize, tensor,
  type InferMode, type LMConfig, type LMStats, type Tensor, type Tokenizer,
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

export const BATCH = 4;
export const LEARNING_RATE = 1e-2;

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

function ids(rows: readonly (ArrayLike<number>)[]): Tensor {
  const s = rows[0]!.length;
  const flat = new Int32Array(rows.length * s);
  rows.forEach((r, i) => flat.set(Array.from(r), i * s));
  return tensor(flat, { shape: [rows.length, s], dtype: 'int32' });
}

function softmaxRow(logits: ArrayLike<number>, offset: number, n: number, temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]! / temperature);
  const e = Array.from({ length: n }, (_, i) => Math.exp(logits[offset + i]! / temperature - max));
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
  lm: LanguageModel;
  tokenizer: Tokenizer = new ByteTokenizer();
  private opt: AdamW;
  private readonly rng = new Generator(1234);
  /** Steps trained so far and the loss after each. */
  readonly losses: number[] = [];

  /** The corpus as token ids of the current tokenizer. */
  private corpus: Int32Array;

  constructor(private readonly text: string, config: LMConfig = DEMO_CONFIG) {
    this.corpus = this.tokenizer.encode(text);
    this.lm = new LanguageModel(config);
    this.opt = new AdamW(this.lm.parameters(), { lr: LEARNING_RATE, weightDecay: 0.01 });
  }

  get config(): LMConfig {
    return this.lm.config;
  }

  /** BATCH random windows of the corpus: inputs and the same tokens shifted by one. */
  private batch(): { x: Tensor; y: Tensor } {
    const s = this.config.maxSeqLen;
    const xs: Int32Array[] = [];
    const ys: Int32Array[] = [];
    for (let b = 0; b < BATCH; b++) {
      const start = this.rng.int(this.corpus.length - s - 1);
      xs.push(this.corpus.subarray(start, start + s));
      ys.push(this.corpus.subarray(start + 1, start + s + 1));
    }
    return { x: ids(xs), y: ids(ys) };
  }

  /** One AdamW step on a fresh batch; resolves to the loss before the update. */
  async step(): Promise<number> {
    const { x, y } = this.batch();
    const { loss } = this.lm.loss(x, y);
    this.opt.zeroGrad();
    loss.backward();
    this.opt.step();
    // One await realizes the loss, the gradients and the updated parameters together.
    await realize(loss, ...this.lm.parameters());
    const value = await loss.item();
    this.losses.push(value);
    return value;
  }

  /**
   * How `text` is routed: the dense scores of every router (the heatmap's
   * colours) and, in `mode`, which experts fire (its outlines), the cost,
   * and the next-byte prediction with and without sparsity.
   */
  async route(text: string, mode: InferMode): Promise<RouteView> {
    const tokens = this.tokenizer.encode(text).subarray(0, this.config.maxSeqLen);
    if (tokens.length === 0) throw new Error('route: type at least one character');
    const x = ids([tokens]);
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
    const out = await this.lm.infer(ids([tokens]), { mode });
    const v = this.config.vocabSize;
    return Array.from((await out.logits.data()).subarray((tokens.length - 1) * v, tokens.length * v));
  }

  /**
   * Sparse generation: the prompt encoded once, then `n` tokens sampled one
   * at a time, each a single-token step through the KV cache (DecodeState;
   * the window slides past maxSeqLen). `onText` sees the text so far.
   */
  async generate(prompt: string, n: number, mode: InferMode, onText?: (text: string) => void, temperature = 0.7): Promise<string> {
    const out = Array.from(this.tokenizer.encode(prompt.length ? prompt : ' '));
    const v = this.config.vocabSize;
    const state = new DecodeState(this.lm);
    let feed = out.slice(-this.config.maxSeqLen);
    try {
      for (let i = 0; i < n; i++) {
        const res = await this.lm.decode(state, ids([feed]), { mode });
        const logits = await res.logits.data();
        res.logits.dispose();
        const probs = softmaxRow(logits, (feed.length - 1) * v, v, temperature);
        let r = this.rng.uniform();
        let next = probs.length - 1;
        for (let b = 0; b < probs.length; b++) {
          r -= probs[b]!;
          if (r <= 0) { next = b; break; }
        }
        out.push(next);
        feed = [next];
        onText?.(this.tokenizer.decode(out));
      }
    } finally {
      state.dispose();
    }
    return this.tokenizer.decode(out);
  }

  /** Replaces the model (and tokenizer) with ones read from a checkpoint. */
  replace(lm: LanguageModel, tokenizer: Tokenizer): void {
    this.lm = lm;
    this.tokenizer = tokenizer;
    this.corpus = tokenizer.encode(this.text);
    this.opt = new AdamW(this.lm.parameters(), { lr: LEARNING_RATE, weightDecay: 0.01 });
    this.losses.length = 0;
  }
}
