/**
 * The auxiliary losses of the sparse-training (SMoE) baseline.
 *
 * Switch load balancing (Fedus et al. 2021, eq. 4):  L = N · Σ_e f_e · P_e,
 *   f_e = the fraction of the batch's (token, expert) assignments that go
 *         to expert e (Σ_e f_e = 1; for top-1 it is the fraction of tokens),
 *   P_e = mean_x S_e(x), the mean router probability.
 * f is a count and carries no gradient; P carries it. Perfectly balanced
 * routing gives L = 1 for any k (MegaBlocks' normalisation).
 *
 * Router z-loss (ST-MoE, Zoph et al. 2022): mean_x (logsumexp_e h_e(x))²,
 * which keeps the router's logits small.
 */
import { oneHot } from '../tensor/ops/functional.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../base/shape.js';
import { asTokens } from './mi-loss.js';

/**
 * The assignment mask [T, N] (1 where token t uses expert e) from either a
 * float mask of the scores' shape or int32 expert indices [..., k].
 */
function assignmentMask(assignments: Tensor, tokens: number, nExperts: number): Tensor {
  if (assignments.dtype === 'int32') {
    const k = assignments.shape[assignments.rank - 1] ?? 0;
    if (assignments.size !== tokens * k) {
      throw new Error(`switchLoss: expert indices ${fmt(assignments.shape)} do not give k experts for each of ${tokens} tokens`);
    }
    return oneHot(assignments.reshape([tokens, k]), nExperts).sum(1);
  }
  if (assignments.size !== tokens * nExperts) {
    throw new Error(`switchLoss: assignment mask ${fmt(assignments.shape)} should have ${tokens}×${nExperts} entries`);
  }
  return assignments.reshape([tokens, nExperts]);
}

/** N·Σ f_e·P_e for scores [..., N] and assignments (a 0/1 mask like scores, or int32 indices [..., k]). */
export function switchLoss(scores: Tensor, assignments: Tensor): Tensor {
  const s = asTokens(scores, 'switchLoss');
  const [tokens, n] = s.shape as [number, number];
  const mask = assignmentMask(assignments, tokens, n).detach().cast(s.dtype);
  const f = mask.sum(0).div(mask.sum().maximum(1));
  const p = s.mean(0);
  return f.mul(p).sum().mul(n);
}

/** mean over tokens of (logsumexp of the router logits)². */
export function routerZLoss(logits: Tensor): Tensor {
  const z = asTokens(logits, 'routerZLoss').logsumexp(-1);
  return z.square().mean();
}
