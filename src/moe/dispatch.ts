/**
 * The sparse dispatcher shared by every inference mode (ScatterMoE's
 * scheme, Tan et al. 2024, which DS-MoE adopts for serving):
 *
 *   1. counting sort of the (token, expert, gate) triples by expert
 *      (histogram → exclusive prefix sum → stable placement), so each
 *      expert's tokens form one contiguous row block, in token order;
 *   2. the input rows in that order (gathered — by the grouped experts
 *      inside their first GEMM, as ScatterMoE does, so never copied);
 *   3. the experts on their row blocks: expert e runs on block e only;
 *   4. each row scaled by its gate and summed into its token's output
 *      row. Rows are combined in sorted order — experts in increasing index,
 *      tokens in increasing order within one — a fixed order, so the result
 *      is deterministic.
 *
 * Two forms of step 3. `dispatchGrouped` hands the experts every block at
 * once, for experts that are grouped primitives (the FFN's grouped GEMM
 * pair, ops/grouped-matmul.ts): one expert call, whose first GEMM reads its
 * rows through the sorted token index, then one scatter-add, whatever the
 * number of experts. `dispatch` gathers the rows and calls the expert
 * once per block and scatter-adds each block's output, for experts that are
 * not (the attention experts, each with its own heads over shared keys).
 */
import { fromData, zeros } from '../tensor/create.js';
import { gatherRows, scatterAddRows } from '../tensor/ops/indexing.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../base/shape.js';
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
  /** Expert of each sorted pair (non-decreasing). */
  expert: Int32Array;
  /** Gate of each sorted pair. */
  gate: Float64Array;
}

/** Counting sort by expert: O(T·K + N), stable (tokens stay in increasing order within an expert). */
export function sortByExpert(routing: Routing, nExperts: number): SortedPairs {
  const counts = new Int32Array(nExperts);
  for (const es of routing.experts) {
    for (const e of es) {
      if (!(Number.isInteger(e) && e >= 0 && e < nExperts)) throw new Error(`dispatch: expert index ${e} is out of range for ${nExperts} experts`);
      counts[e]!++;
    }
  }
  const offsets = new Int32Array(nExperts + 1);
  for (let e = 0; e < nExperts; e++) offsets[e + 1] = offsets[e]! + counts[e]!;
  const total = offsets[nExperts]!;
  const [token, expert, gate] = [new Int32Array(total), new Int32Array(total), new Float64Array(total)];
  const next = offsets.slice(0, nExperts);
  for (let t = 0; t < routing.experts.length; t++) {
    const es = routing.experts[t]!;
    for (let j = 0; j < es.length; j++) {
      const at = next[es[j]!]!++;
      token[at] = t;
      expert[at] = es[j]!;
      gate[at] = routing.gates[t]![j]!;
    }
  }
  return { nExperts, counts, offsets, token, expert, gate };
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
 * Every expert's row block at once: the rows in sorted order, cut into
 * groups by expert. The rows are x[token[i]]; the experts read them through
 * the index (groupedMatmul's rowIndex) rather than from a gathered copy.
 */
export interface ExpertGroups {
  /** The input [T, C]. */
  x: Tensor;
  /** int32 [P], P = the number of pairs: the token of each sorted pair; expert e's are pairs offsets[e] … offsets[e+1] − 1. */
  token: Tensor;
  /** int32 [N + 1], the group offsets of a grouped matmul. */
  offsets: Tensor;
  /** Each row's gate [P, 1], for the experts to apply where it costs least (see below). */
  gates: Tensor;
  pairs: SortedPairs;
}

/**
 * All experts on their blocks, gated: [P, C] → [P, D], row i is
 * g_i·expert(x_i) for the expert of pair i. The experts apply the gate
 * themselves because a linear last layer lets it move inward: the FFN
 * scales its h hidden units, (g·act(x·W1_e))·W2_e, as the dense training
 * formula does, rather than its d outputs.
 */
export type GroupedExpertFn = (groups: ExpertGroups) => Tensor;

/**
 * The gates of the sorted pairs `which` (indices into the pairs) as a
 * [P, 1] tensor: host constants, or, given the router's scores [T, N],
 * gathered from them so that gradients reach the router (sparse training).
 */
export function pairGates(x: Tensor, pairs: SortedPairs, which: Int32Array, { scores, gateScale = 1 }: DispatchOptions): Tensor {
  const total = which.length;
  const opts = { backend: x.backend };
  if (!scores) {
    const data = x.dtype === 'float64' ? new Float64Array(total) : new Float32Array(total);
    for (let i = 0; i < total; i++) data[i] = gateScale * pairs.gate[which[i]!]!;
    return fromData(data, [total, 1], opts);
  }
  const [tokens, n] = [x.shape[0]!, pairs.nExperts];
  if (scores.rank !== 2 || scores.shape[0] !== tokens || scores.shape[1] !== n) {
    throw new Error(`dispatch: scores ${fmt(scores.shape)} should be [${tokens}, ${n}] for tokens ${fmt(x.shape)}`);
  }
  const flat = new Int32Array(total);
  for (let i = 0; i < total; i++) flat[i] = pairs.token[which[i]!]! * n + pairs.expert[which[i]!]!;
  const gates = gatherRows(scores.reshape([tokens * n, 1]), fromData(flat, [total], opts));
  return gateScale === 1 ? gates : gates.mul(gateScale);
}

/** The gates of the first `total` sorted pairs. */
function gateColumn(x: Tensor, pairs: SortedPairs, opts: DispatchOptions, total = pairs.token.length): Tensor {
  return pairGates(x, pairs, Int32Array.from({ length: total }, (_, i) => i), opts);
}

/** How the dispatcher reads its gates. */
export interface DispatchOptions {
  /** The router's scores [T, N]: gates gathered from them, differentiably (sparse training); else the host values. */
  scores?: Tensor;
  /** Every gate multiplied by this (a layer's GateScale, gate.ts); default 1. */
  gateScale?: number;
  /**
   * The grouped experts are experts 0 … groups − 1 only (default all N):
   * the pairs of the others, sorted after them, are left to the caller
   * (zero-computation experts, zero-experts.ts).
   */
  groups?: number;
}

function checkTokens(x: Tensor): void {
  if (x.rank !== 2) throw new Error(`dispatch: expected tokens [T, C], got ${fmt(x.shape)}`);
}

/**
 * y[t] = Σ_{(t,e,g)} g · expert_e(x[t]) for x [T, C], as one call of the
 * grouped experts on all blocks (rows read through the token index, gates
 * applied) and one scatter-add in sorted order. `outCols` is the width D of
 * the experts' outputs. With `scores` the gates are read from that tensor
 * (differentiably) instead of the host values.
 */
export function dispatchGrouped(x: Tensor, pairs: SortedPairs, outCols: number, experts: GroupedExpertFn, opts: DispatchOptions = {}): Tensor {
  checkTokens(x);
  const groups = opts.groups ?? pairs.nExperts;
  const [tokens, total, on] = [x.shape[0]!, pairs.offsets[groups]!, { backend: x.backend }];
  if (total === 0) return zeros([tokens, outCols], { ...on, dtype: x.dtype });
  const token = fromData(pairs.token.subarray(0, total), [total], on);
  const offsets = fromData(pairs.offsets.subarray(0, groups + 1), [groups + 1], on);
  const out = experts({ x, token, offsets, gates: gateColumn(x, pairs, opts, total), pairs });
  return scatterAddRows(out, token, tokens);
}

/**
 * The same combine with the expert called once per non-empty block: each
 * block's gated output is scatter-added into [T, D] and the experts' results
 * summed in increasing expert index (the sorted order, as above).
 */
export function dispatch(x: Tensor, pairs: SortedPairs, outCols: number, expert: ExpertFn, opts: DispatchOptions = {}): Tensor {
  checkTokens(x);
  const tokens = x.shape[0]!;
  const on = { backend: x.backend };
  let y: Tensor | null = null;
  const total = pairs.offsets[pairs.nExperts]!;
  if (total > 0) {
    const xs = gatherRows(x, fromData(pairs.token, [total], on));
    const gates = gateColumn(x, pairs, opts);
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
