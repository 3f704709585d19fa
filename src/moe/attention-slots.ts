/**
 * Where sparse attention experts compute: the layout that runs every
 * expert's heads of every sequence in one batched attention.
 *
 * After routing, the queries are rows (pair i, local head j): pair i is a
 * token t of sequence b = ⌊t/S⌋ at position p routed to expert e, and its
 * head j reads K/V head h = kvHeadOf(e, j). Rows that read the same K/V
 * head of the same sequence attend over the same keys, so they form one
 * block, and the B·Hkv blocks, each padded to the largest one's R rows, are
 * one batched GEMM against K viewed as [B·Hkv, Sk, D]:
 *
 *   slot (b·Hkv + h)·R + r  holds the r-th row (in pair order) of block (b, h).
 *
 * A pad slot reads query row 0 at position 0 (it sees key 0 only, so its
 * softmax is finite) and its output is never read back. However many
 * experts and sequences, the attention is then a fixed handful of ops —
 * where one attention per expert and sequence made sparse decoding of 8
 * sequences slower than dense.
 */

export interface AttentionSlots {
  /** Rows per block (the largest block's count, at least 1). */
  rows: number;
  /** int32 [B·Hkv·R]: the query row (pair·hpe + j) each slot holds; 0 for a pad. */
  source: Int32Array;
  /** int32 [P·hpe]: the slot of each query row (the inverse of `source` on the rows). */
  slot: Int32Array;
  /** [B·Hkv·R]: the position of each slot's query; 0 for a pad. */
  position: Int32Array;
}

export interface SlotInput {
  /** Token (b·S + s) and expert of each pair, in the dispatcher's order. */
  token: Int32Array;
  expert: Int32Array;
  /** Sequences B, tokens per sequence S, and the position of each sequence's first token. */
  batch: number;
  seqLen: number;
  offset: number;
  headsPerExpert: number;
  nKvHeads: number;
  /** The K/V head read by expert e's local head j. */
  kvHeadOf: (e: number, j: number) => number;
}

export function attentionSlots(a: SlotInput): AttentionSlots {
  const { token, expert, seqLen, headsPerExpert: hpe, nKvHeads: hkv } = a;
  const blocks = a.batch * hkv;
  const rowsTotal = token.length * hpe;
  // Pass 1: each query row's block and its rank within it (pair order), and the blocks' sizes.
  const blockOf = new Int32Array(rowsTotal);
  const rank = new Int32Array(rowsTotal);
  const size = new Int32Array(blocks);
  for (let i = 0; i < token.length; i++) {
    const b = Math.floor(token[i]! / seqLen);
    for (let j = 0; j < hpe; j++) {
      const blk = b * hkv + a.kvHeadOf(expert[i]!, j);
      blockOf[i * hpe + j] = blk;
      rank[i * hpe + j] = size[blk]!++;
    }
  }
  const rows = Math.max(1, ...size);
  // Pass 2: place every row; the unfilled slots stay pads (row 0, position 0).
  const source = new Int32Array(blocks * rows);
  const position = new Int32Array(blocks * rows);
  const slot = new Int32Array(rowsTotal);
  for (let r = 0; r < rowsTotal; r++) {
    const at = blockOf[r]! * rows + rank[r]!;
    slot[r] = at;
    source[at] = r;
    position[at] = a.offset + (token[Math.floor(r / hpe)]! % seqLen);
  }
  return { rows, source, slot, position };
}
