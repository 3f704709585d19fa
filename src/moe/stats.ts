/**
 * Routing statistics of one sparse forward, the quantities of the paper's
 * Tables 1, 3 and 4: how many experts a token uses, how the load spreads,
 * and what that costs in parameters and FLOPs.
 *
 *   activeExperts   mean number of computing (GEMM) experts a token is routed to
 *   load[e]         number of tokens routed to router choice e, zero-computation
 *                   experts included (Σ load = pairs); shared experts are no
 *                   router choice and never in it
 *   activeParams    parameters a token touches on average:
 *                   always-on (router, shared K/V, shared bias, shared experts, …)
 *                   + activeExperts × parameters per expert
 *                   + the parameters of the zero-computation experts it chose
 *                     (a constant's vector; zero and copy have none)
 *   activeFraction  activeParams / all parameters of the layer
 *   flops           2 × multiply-adds of the matmuls for the whole batch
 *                   (elementwise work, softmax, the gate and every
 *                   zero-computation expert are not counted)
 */
import type { Routing } from './routing.js';

export interface RoutingStats {
  /** Mean number of computing experts per token (zero-computation and shared ones aside). */
  activeExperts: number;
  /** Mean number of zero-computation experts per token. */
  zeroExperts: number;
  /** Experts every token uses outside the router (0 for most layers). */
  sharedExperts: number;
  /** Tokens per router choice: the computing experts, then the zero-computation ones. */
  load: number[];
  /** Number of (token, choice) pairs. */
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
  /** Router choices nExperts, nExperts + 1, … that run no GEMM: the parameters each holds (default none). */
  zeroExpertParams?: readonly number[];
  /** Experts outside the router every token uses, their parameters and work counted in sharedParams and sharedMacs (default 0). */
  sharedExperts?: number;
}

export function routingStats(routing: Routing & { k: number | null }, cost: CostModel): RoutingStats {
  const tokens = routing.experts.length;
  const free = cost.zeroExpertParams ?? [];
  const n = cost.nExperts;
  const load = new Array<number>(n + free.length).fill(0);
  for (const es of routing.experts) for (const e of es) load[e]!++;
  const pairs = load.reduce((a, b) => a + b, 0);
  const computing = load.slice(0, n).reduce((a, b) => a + b, 0);
  const { macsPerPair } = cost;
  const pairMacs = typeof macsPerPair === 'number'
    ? computing * macsPerPair
    : routing.experts.reduce((sum, es, t) => sum + es.filter((e) => e < n).length * macsPerPair(t), 0);
  const perToken = (v: number): number => (tokens === 0 ? 0 : v / tokens);
  const activeExperts = perToken(computing);
  const freeParams = free.reduce((sum, p, j) => sum + p * load[n + j]!, 0);
  const totalParams = cost.sharedParams + n * cost.paramsPerExpert + free.reduce((a, b) => a + b, 0);
  const activeParams = cost.sharedParams + activeExperts * cost.paramsPerExpert + perToken(freeParams);
  return {
    activeExperts,
    zeroExperts: perToken(pairs - computing),
    sharedExperts: cost.sharedExperts ?? 0,
    load,
    pairs,
    activeParams,
    activeFraction: totalParams === 0 ? 0 : activeParams / totalParams,
    totalParams,
    flops: 2 * (cost.sharedMacs + pairMacs),
    k: routing.k,
  };
}
