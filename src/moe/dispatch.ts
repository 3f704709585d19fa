/**
 * The sparse dispatcher shared by every inference mode (ScatterMoE's
 * scheme, Tan et al. 2024, which DS-MoE adopts for serving):
 *
 *   1. counting sort of the (token, expert, gate) triples by expert
 *      (histogram → exclusive prefix sum → stable placement), so each
 *      expert's tokens form one contiguous row block, in token order;
 *   2. one gather of the input rows in that order;
 *   3. per expert, its function (e.g. a GEMM pair using only its own weight
 *      blocks) on its row block;
 *   4. each row scaled by its gate, then summed into the token's output row
 *      with scatterAddRows; experts are combined in increasing index and rows
 *      in increasing position, a fixed order, so the result is deterministic.
 */
import { fromData, zeros } from '../tensor/create.js';
import { gatherRows, scatterAddRows } from '../tensor/ops/indexing.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import type { Routing } from './routing.js';

/** The triples in expert-major order: expert e's pairs are rows offsets[e] ≤ i < offsets[e+1]. */
export interface SortedPairs {
  nExperts: number;
  /** Pairs per expert (the load). */
  counts: Int32Array;
  /** Exclusive prefix sum of counts, length N+1. */
  offsets: Int32Array;
  /** Token index of each sorted pair. */
  token: Int32Array;
  /** Gate of each sorted pair. */
  gate: Float64Array;
}

/** Counting sort by expert: O(T·K + N), stable (tokens stay in increasing order within an expert). */
export function sortByExpert(routing: Routing, nExperts: number): SortedPairs {
  const counts = new Int32Array(nExperts);
  routing.experts.forEach((es) => es.forEach((e) => {
    if (!(Number.isInteger(e) && e >= 0 && e < nExperts)) throw new Error(`dispatch: expert index ${e} is out of range for ${nExperts} experts`);
    counts[e]!++;
  }));
  const offsets = new Int32Array(nExperts + 1);
  for (let e = 0; e < nExperts; e++) offsets[e + 1] = offsets[e]! + counts[e]!;
  const total = offsets[nExperts]!;
  const token = new Int32Array(total);
  const gate = new Float64Array(total);
  const next = offsets.slice(0, nExperts);
  routing.experts.forEach((es, t) => es.forEach((e, j) => {
    const at = next[e]!++;
    token[at] = t;
    gate[at] = routing.gates[t]![j]!;
  }));
  return { nExperts, counts, offsets, token, gate };
}

/** One expert's row block: its rows of the gathered input and which tokens they are. */
export interface ExpertBlock {
  expert: number;
  /** Gathered input rows [M, C], M = the expert's load. */
  rows: Tensor;
  /** The tokens of those rows (increasing). */
  tokens: Int32Array;
}

/** An expert's computation on its block: [M, C] → [M, D]. */
export type ExpertFn = (block: ExpertBlock) => Tensor;

/**
 * The gates of the sorted pairs as a [P, 1] tensor: host constants, or,
 * given the router's scores [T, N], gathered from them so that gradients
 * reach the router (sparse training).
 */
function gateColumn(x: Tensor, pairs: SortedPairs, scores?: Tensor): Tensor {
  const total = pairs.token.length;
  const opts = { backend: x.backend };
  if (!scores) {
    const data = x.dtype === 'float64' ? Float64Array.from(pairs.gate) : Float32Array.from(pairs.gate);
    return fromData(data, [total, 1], opts);
  }
  const [tokens, n] = [x.shape[0]!, pairs.nExperts];
  if (scores.rank !== 2 || scores.shape[0] !== tokens || scores.shape[1] !== n) {
    throw new Error(`dispatch: scores ${fmt(scores.shape)} should be [${tokens}, ${n}] for tokens ${fmt(x.shape)}`);
  }
  const flat = new Int32Array(total);
  for (let e = 0; e < n; e++) for (let i = pairs.offsets[e]!; i < pairs.offsets[e + 1]!; i++) flat[i] = pairs.token[i]! * n + e;
  return gatherRows(scores.reshape([tokens * n, 1]), fromData(flat, [total], opts));
}

/**
 * y[t] = Σ_{(t,e,g)} g · expert_e(x[t]) for x [T, C], as one gather, a
 * per-expert function on contiguous blocks and a gated, ordered combine.
 * `outCols` is the width D of the experts' outputs. With `scores` the gates
 * are read from that tensor (differentiably) instead of the host values.
 */
export function dispatch(x: Tensor, pairs: SortedPairs, outCols: number, expert: ExpertFn, opts: { scores?: Tensor } = {}): Tensor {
  if (x.rank !== 2) throw new Error(`dispatch: expected tokens [T, C], got ${fmt(x.shape)}`);
  const tokens = x.shape[0]!;
  const on = { backend: x.backend };
  let y: Tensor | null = null;
  const total = pairs.offsets[pairs.nExperts]!;
  if (total > 0) {
    const xs = gatherRows(x, fromData(pairs.token, [total], on));
    const gates = gateColumn(x, pairs, opts.scores);
    for (let e = 0; e < pairs.nExperts; e++) {
      const [start, end] = [pairs.offsets[e]!, pairs.offsets[e + 1]!];
      if (start === end) continue;
      const tok = pairs.token.subarray(start, end);
      const out = expert({ expert: e, rows: xs.slice(0, start, end), tokens: tok });
      const gated = out.mul(gates.slice(0, start, end));
      const placed = scatterAddRows(gated, fromData(Int32Array.from(tok), [end - start], on), tokens);
      y = y ? y.add(placed) : placed;
    }
  }
  return y ?? zeros([tokens, outCols], { ...on, dtype: x.dtype });
}
