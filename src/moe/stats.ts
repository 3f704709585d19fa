/**
 * Routing statistics of one sparse forward, the quantities of the paper's
 * Tables 1, 3 and 4: how many experts a token uses, how the load spreads,
 * and what that costs in parameters and FLOPs.
 *
 *   activeExperts   mean |A(x)| over the tokens
 *   load[e]         number of tokens routed to expert e (Σ load = pairs)
 *   activeParams    parameters a token touches on average:
 *                   always-on (router, shared K/V, shared bias, …)
 *                   + activeExperts × parameters per expert
 *   activeFraction  activeParams / all parameters of the layer
 *   flops           2 × multiply-adds of the matmuls for the whole batch
 *                   (elementwise work, softmax and the gate are not counted)
 */
import type { Routing } from './routing.js';

export interface RoutingStats {
  /** Mean number of experts per token. */
  activeExperts: number;
  /** Tokens per expert. */
  load: number[];
  /** Number of (token, expert) pairs. */
  pairs: number;
  /** Parameters used per token, on average (this layer). */
  activeParams: number;
  /** activeParams / totalParams. */
  activeFraction: number;
  /** All parameters of this layer. */
  totalParams: number;
  /** Matmul FLOPs (2 per multiply-add) of this forward. */
  flops: number;
  /** The K used by topK and thresholdTopK (null for dense and threshold). */
  k: number | null;
}

/** How a layer's parameters and matmul work split into an always-on part and a per-expert part. */
export interface CostModel {
  nExperts: number;
  /** Parameters every token uses (router and anything shared). */
  sharedParams: number;
  /** Parameters owned by one expert. */
  paramsPerExpert: number;
  /** Multiply-adds of the always-on part, for the whole batch. */
  sharedMacs: number;
  /** Multiply-adds one (token, expert) pair costs (a function of the token where it varies, as in attention). */
  macsPerPair: number | ((token: number) => number);
}

export function routingStats(routing: Routing & { k: number | null }, cost: CostModel): RoutingStats {
  const tokens = routing.experts.length;
  const load = new Array<number>(cost.nExperts).fill(0);
  for (const es of routing.experts) for (const e of es) load[e]!++;
  const pairs = load.reduce((a, b) => a + b, 0);
  const { macsPerPair } = cost;
  const pairMacs = typeof macsPerPair === 'number'
    ? pairs * macsPerPair
    : routing.experts.reduce((sum, es, t) => sum + es.length * macsPerPair(t), 0);
  const activeExperts = tokens === 0 ? 0 : pairs / tokens;
  const totalParams = cost.sharedParams + cost.nExperts * cost.paramsPerExpert;
  const activeParams = cost.sharedParams + activeExperts * cost.paramsPerExpert;
  return {
    activeExperts,
    load,
    pairs,
    activeParams,
    activeFraction: totalParams === 0 ? 0 : activeParams / totalParams,
    totalParams,
    flops: 2 * (cost.sharedMacs + pairMacs),
    k: routing.k,
  };
}
