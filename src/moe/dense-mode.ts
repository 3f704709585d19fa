/**
 * Dense mode as a layer's training forward. A densely trained MoE layer's
 * forward computes exactly Σ_e S_e·e_e(x) over all experts — for the FFN one
 * GEMM pair, for attention one pass over all heads — with nothing to sort or
 * gather, so it is the fast way to run every expert. The routing (every
 * expert, by score) and its statistics are read off the scores afterwards.
 * The output and the scores come back realized; everything else the forward
 * built is freed at once (tidy).
 */
import { noGrad } from '../tensor/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/tidy.js';
import { route, type Routing } from './routing.js';
import { routingStats, type CostModel, type RoutingStats } from './stats.js';

export async function inferAllExperts(
  forward: () => { y: Tensor; scores: Tensor },
  cost: CostModel,
): Promise<{ y: Tensor; scores: Tensor; routing: Routing; stats: RoutingStats }> {
  const [y, scores] = await tidy(() => noGrad(() => {
    const out = forward();
    return [out.y, out.scores] as const;
  }));
  const s = await scores.data();
  const n = cost.nExperts;
  const routing = route(s, s.length / n, n, { mode: 'dense' });
  return { y, scores, routing: { experts: routing.experts, gates: routing.gates }, stats: routingStats(routing, cost) };
}
