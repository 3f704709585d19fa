/**
 * Zero-computation experts (MoE++, Jin et al. 2024): router choices that
 * run no GEMM, so that a token the router sends there does less work.
 * The router scores them beside the FFN experts (after them, in the order
 * given), and a token's output gets g·E(x) from each one it keeps, g its
 * gate (S_e times the layer's gate scale):
 *
 *   zero      E(x) = 0          the token skips this share of the layer
 *   copy      E(x) = x          the identity: the token passes through
 *   constant  E(x) = c          a learned vector c ∈ R^d (one per constant expert)
 *
 * MoE++'s constant expert mixes x and c with a second small router; here it
 * is c alone. None costs a multiply-add in the statistics: the outputs are
 * elementwise (a gather, a scale, a scatter-add, stats.ts counts only the
 * matmuls), and only a constant expert holds parameters, d of them.
 */
import { fromData } from '../tensor/create.js';
import { gatherRows, scatterAddRows } from '../tensor/ops/indexing.js';
import { cat } from '../tensor/ops/movement.js';
import type { Tensor } from '../tensor/tensor.js';
import { pairGates, type DispatchOptions, type SortedPairs } from './dispatch.js';

export const ZERO_EXPERT_KINDS = ['zero', 'copy', 'constant'] as const;
export type ZeroExpertKind = (typeof ZERO_EXPERT_KINDS)[number];

/** Refuses a list that is not an array of known kinds, naming the bad entry. */
export function checkZeroExperts(where: string, kinds: readonly ZeroExpertKind[]): void {
  if (!Array.isArray(kinds)) throw new Error(`${where} must be a list of ${ZERO_EXPERT_KINDS.join(', ')}; got ${JSON.stringify(kinds)}`);
  kinds.forEach((k, i) => {
    if (!(ZERO_EXPERT_KINDS as readonly string[]).includes(k)) throw new Error(`${where}[${i}]: unknown zero-computation expert '${String(k)}' (known: ${ZERO_EXPERT_KINDS.join(', ')})`);
  });
}

/** For each zero-computation expert, its row of the constants (in the order of the constant ones), or −1. */
export function constantRows(kinds: readonly ZeroExpertKind[]): number[] {
  let next = 0;
  return kinds.map((k) => (k === 'constant' ? next++ : -1));
}

/** Parameters of each zero-computation expert: d for a constant, none for zero and copy. */
export function zeroExpertParams(kinds: readonly ZeroExpertKind[], dModel: number): number[] {
  return kinds.map((k) => (k === 'constant' ? dModel : 0));
}

/**
 * Σ over the pairs routed to zero-computation experts (experts first …
 * first + kinds.length − 1 of `pairs`) of g·E(x), as [T, d], or null when
 * no pair needs an output (none routed there, or only to zero experts).
 * The copies' rows are read from x2 [T, d], the constants' from `constants`
 * [Z_c, d], both by one gather from their stack, then scaled by the gates
 * and summed into the tokens by one scatter-add.
 */
export function zeroExpertsOutput(x2: Tensor, pairs: SortedPairs, first: number, kinds: readonly ZeroExpertKind[], constants: Tensor | null, opts: DispatchOptions = {}): Tensor | null {
  const tokens = x2.shape[0]!;
  const rowOf = constantRows(kinds);
  const source: number[] = [];
  const kept: number[] = [];
  kinds.forEach((kind, j) => {
    if (kind === 'zero') return;
    for (let i = pairs.offsets[first + j]!; i < pairs.offsets[first + j + 1]!; i++) {
      kept.push(i);
      source.push(kind === 'copy' ? pairs.token[i]! : tokens + rowOf[j]!);
    }
  });
  if (kept.length === 0) return null;
  const on = { backend: x2.backend };
  const from = constants ? cat([x2, constants], 0) : x2; // [T (+ Z_c), d]
  const rows = gatherRows(from, fromData(Int32Array.from(source), [kept.length], on)); // [P_z, d]
  const gates = pairGates(x2, pairs, Int32Array.from(kept), opts); // [P_z, 1]
  return scatterAddRows(rows.mul(gates), fromData(Int32Array.from(kept, (i) => pairs.token[i]!), [kept.length], on), tokens);
}
