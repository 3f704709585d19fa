/**
 * The state of incremental decoding: for each block, the KV cache of its
 * attention layer, and the token ids the caches hold (the window).
 *
 * Decoding feeds only new tokens: their keys and values join the caches and
 * their queries attend over everything held, so a token costs one position
 * of work instead of a whole window (LanguageModel.decode). A batch of B
 * sequences shares one length: ragged prompts are fed token by token past
 * the shortest (generation.ts), which keeps every row's positions its own.
 *
 * When the window (the model's maxSeqLen) is full, decode slides it the way
 * llama.cpp's context shift does: the oldest half is dropped and the rest is
 * encoded again from position 0, one prefill every W/2 tokens. Each logit is
 * then what a full recompute over the tokens held gives.
 */
import { KvCache } from '../nn/kv-cache.js';
import { fmt } from '../base/shape.js';

/** What a DecodeState needs of its model (LanguageModel, without the import cycle). */
export interface DecodableModel {
  readonly config: { readonly maxSeqLen: number };
  readonly blocks: readonly unknown[];
}

export interface DecodeStateOptions {
  /** Sequences decoded together (default 1). */
  batch?: number;
}

export class DecodeState {
  readonly batch: number;
  readonly window: number;
  private readonly caches: KvCache[];
  /** Per sequence, the ids the caches hold, in order. */
  private readonly held: number[][];
  private disposed = false;

  constructor(readonly model: DecodableModel, opts: DecodeStateOptions = {}) {
    const batch = opts.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`DecodeState: batch must be a positive integer, got ${batch}`);
    this.batch = batch;
    this.window = model.config.maxSeqLen;
    this.caches = model.blocks.map(() => new KvCache({ maxLength: this.window }));
    this.held = Array.from({ length: batch }, () => []);
  }

  /** Tokens held per sequence: the position of the next one. */
  get length(): number {
    return this.held[0]!.length;
  }

  /** The ids sequence b's caches hold (a copy). */
  tokens(b: number): number[] {
    return [...this.row(b)];
  }

  /** Block i's cache. */
  cache(i: number): KvCache {
    return this.caches[i]!;
  }

  /** Refuses a model it was not made for, a used-up state, or ids that do not fit it. */
  check(model: DecodableModel, shape: readonly number[]): void {
    if (this.disposed) throw new Error('DecodeState: used after dispose(); make a new one with new DecodeState(model)');
    if (model !== this.model) throw new Error('DecodeState: made for another model; make one per model (new DecodeState(model))');
    if (shape.length !== 2 || shape[0] !== this.batch || shape[1]! < 1) {
      throw new Error(`DecodeState: expected ids [${this.batch}, S ≥ 1] (its batch), got ${fmt(shape)}`);
    }
    if (shape[1]! > this.window) throw new Error(`DecodeState: ${shape[1]} new tokens at once exceed the window (maxSeqLen ${this.window}); feed them in pieces`);
  }

  /** Records the ids just fed (row-major [B, S]). */
  record(ids: ArrayLike<number>, s: number): void {
    for (let b = 0; b < this.batch; b++) for (let j = 0; j < s; j++) this.held[b]!.push(ids[b * s + j]!);
  }

  /**
   * Makes room for s more tokens: when they would not fit the window, empties
   * the caches and returns, per sequence, the ids to encode again (the
   * newest ⌈W/2⌉ that leave room for s); otherwise null.
   */
  slide(s: number): number[][] | null {
    if (this.length + s <= this.window) return null;
    const keep = Math.min(Math.ceil(this.window / 2), this.window - s);
    const kept = this.held.map((row) => row.slice(row.length - keep));
    this.clear();
    return kept;
  }

  /** Forgets every sequence: the next decode starts from position 0 (the buffers are kept for reuse). */
  clear(): void {
    for (const c of this.caches) c.clear();
    for (const row of this.held) row.length = 0;
  }

  /** Frees the caches; the state cannot be used again. */
  dispose(): void {
    for (const c of this.caches) c.dispose();
    this.disposed = true;
  }

  private row(b: number): number[] {
    const r = this.held[b];
    if (!r) throw new Error(`DecodeState: no sequence ${b} in a batch of ${this.batch}`);
    return r;
  }
}
