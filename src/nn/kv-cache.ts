/**
 * A key/value cache for autoregressive generation. Keys and values of the
 * tokens already seen never change (attention is causal), so each step
 * computes them for the new tokens only and writes them here; the new
 * queries then attend over everything cached.
 *
 * The cache is one buffer per tensor, [B, Hkv, capacity, D], written in
 * place (writeAt) at positions length … length + S − 1: appending a token
 * copies nothing already held. Capacity grows geometrically (doubling, up to
 * maxLength), so over a whole generation each position is copied at most a
 * few times. Attention reads the whole buffer and masks the positions past
 * the query (attention-core.ts's `past`), which also hides the unfilled tail.
 *
 * The buffers live outside every tidy (untracked): a tidy around one step
 * must not free what the next step reads. The tensors `append` returns are
 * valid until the next append — an in-place write donates the old ones.
 */
import { full } from '../tensor/create.js';
import { noGrad } from '../tensor/grad-mode.js';
import { writeAt } from '../tensor/ops/write.js';
import { fmt } from '../base/shape.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { untracked } from '../tensor/tidy.js';

/** The smallest buffer a cache starts with, in positions. */
const MIN_CAPACITY = 16;

export interface KvCacheOptions {
  /** The most positions it may hold (a model's maxSeqLen); default unbounded. */
  maxLength?: number;
}

export class KvCache {
  private kBuf: Tensor | null = null;
  private vBuf: Tensor | null = null;
  private filled = 0;
  readonly maxLength: number;

  constructor(opts: KvCacheOptions = {}) {
    this.maxLength = opts.maxLength ?? Infinity;
  }

  /** Positions already cached: the offset (the rotary position) of the next token. */
  get length(): number {
    return this.filled;
  }

  /** Positions the buffers have room for before they must grow. */
  get capacity(): number {
    return this.kBuf ? this.kBuf.shape[2]! : 0;
  }

  /**
   * Writes k, v [B, Hkv, S, D] at positions length … length + S − 1 and
   * returns the whole buffers [B, Hkv, capacity, D]: positions ≥ `length`
   * (the new length) hold nothing yet and must be masked by the reader.
   */
  append(k: Tensor, v: Tensor): { k: Tensor; v: Tensor; length: number } {
    this.check(k, v);
    const at = this.filled;
    const s = k.shape[2]!;
    this.reserve(k, at + s);
    [this.kBuf, this.vBuf] = untracked(() => noGrad(() => [writeAt(this.kBuf!, k, 2, at), writeAt(this.vBuf!, v, 2, at)]));
    this.filled = at + s;
    return { k: this.kBuf!, v: this.vBuf!, length: this.filled };
  }

  /**
   * For a writer that bypasses the graph (the direct decoding step,
   * moe/direct-decode.ts): room for s more positions, and the buffers
   * [B, Hkv, capacity, D], realized, for it to write positions length …
   * length + s − 1 in place before it calls advance(s). Writing there
   * changes nothing any reader sees: every reader masks (or stops before)
   * the positions ≥ length.
   */
  async reserveFor(s: number): Promise<{ k: Tensor; v: Tensor }> {
    if (!this.kBuf || !this.vBuf) throw new Error('KvCache: nothing cached yet; append (a prefill) before writing in place');
    if (this.filled + s > this.maxLength) throw new Error(`KvCache: ${this.filled} cached + ${s} new positions exceed its maxLength ${this.maxLength}`);
    this.reserve(this.kBuf, this.filled + s);
    await realize(this.kBuf, this.vBuf);
    return { k: this.kBuf, v: this.vBuf };
  }

  /** Counts s positions written in place after reserveFor(s). */
  advance(s: number): void {
    if (!(Number.isInteger(s) && s >= 0 && this.filled + s <= this.capacity)) {
      throw new Error(`KvCache: cannot advance ${s} positions past ${this.filled} with room for ${this.capacity}`);
    }
    this.filled += s;
  }

  /** Forgets every position (the buffers stay, for the next sequence). */
  clear(): void {
    this.filled = 0;
  }

  /** Frees the buffers now. */
  dispose(): void {
    this.kBuf?.dispose();
    this.vBuf?.dispose();
    this.kBuf = this.vBuf = null;
    this.filled = 0;
  }

  private check(k: Tensor, v: Tensor): void {
    const [b, h, , d] = k.shape;
    const ok = k.rank === 4 && v.rank === 4 && v.shape.every((n, i) => n === k.shape[i]);
    if (!ok) throw new Error(`KvCache: k and v must both be [B, Hkv, S, D], got k ${fmt(k.shape)} and v ${fmt(v.shape)}`);
    const held = this.kBuf;
    if (held && (held.shape[0] !== b || held.shape[1] !== h || held.shape[3] !== d || held.dtype !== k.dtype || held.backend !== k.backend)) {
      throw new Error(`KvCache: holds ${held.dtype} [${held.shape[0]}, ${held.shape[1]}, ·, ${held.shape[3]}] on ${held.backend.name}, cannot append ${k.dtype} ${fmt(k.shape)} on ${k.backend.name}`);
    }
    const s = k.shape[2]!;
    if (this.filled + s > this.maxLength) {
      throw new Error(`KvCache: ${this.filled} cached + ${s} new positions exceed its maxLength ${this.maxLength}`);
    }
  }

  /** Room for `need` positions: a new buffer of double the capacity (at least), holding what is cached. */
  private reserve(like: Tensor, need: number): void {
    if (need <= this.capacity) return;
    const cap = Math.min(this.maxLength, Math.max(need, 2 * this.capacity, MIN_CAPACITY));
    const [b, h, , d] = like.shape as [number, number, number, number];
    const grow = (old: Tensor | null): Tensor => untracked(() => noGrad(() => {
      const fresh = full([b, h, cap, d], 0, { dtype: like.dtype, backend: like.backend });
      // The old buffer is read by this write and freed by the collector once it is realized.
      return old && this.filled > 0 ? writeAt(fresh, old.slice(2, 0, this.filled), 2, 0) : fresh;
    }));
    this.kBuf = grow(this.kBuf);
    this.vBuf = grow(this.vBuf);
  }
}
