/**
 * The mutual-information loss of DS-MoE (paper eqs. 4–6, following
 * ModuleFormer, Shen et al. 2023):
 *
 *   L_MI = −H(e) + (1/|X|) Σ_{x∈X} H(e|x),
 *   H(e) = −Σ_e p(e) log p(e),   p(e) = (1/|X|) Σ_x S(e|x),
 *   H(e|x) = −Σ_e S(e|x) log S(e|x),
 *
 * over the tokens X of the batch, per router. Minimising it maximises the
 * marginal entropy (balanced load across the batch) and minimises each
 * token's entropy (confident routing, so few experts carry most of a token's
 * score mass and sparse inference loses little). L_MI = −I(e; x) lies in
 * [−log N, 0] (up to the eps): it is −log N exactly when routing is one-hot
 * and balanced.
 *
 * log S(e|x) is logSoftmax(logits) when the router's logits are given (exact
 * for tiny probabilities, as ModuleFormer computes it), and log(S + 1e-8)
 * otherwise; log p(e) is always log(p(e) + 1e-8). Computed in the scores'
 * dtype (float32 in training).
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../base/shape.js';

export const MI_EPS = 1e-8;

/** [..., N] → [T, N]: tokens are every position but the last axis. */
export function asTokens(scores: Tensor, what: string): Tensor {
  if (scores.rank < 1) throw new Error(`${what}: scores must have an expert axis, got ${fmt(scores.shape)}`);
  const n = scores.shape[scores.rank - 1]!;
  return scores.reshape([scores.size / Math.max(n, 1), n]);
}

/** mean_x H(e|x): the mean per-token routing entropy. */
export function conditionalEntropy(scores: Tensor, logits?: Tensor): Tensor {
  const s = asTokens(scores, 'conditionalEntropy');
  const logS = logits ? asTokens(logits, 'conditionalEntropy').logSoftmax(-1) : s.add(MI_EPS).log();
  return s.mul(logS).sum(-1).mean().neg();
}

/** H(e) of the batch-marginal p(e) = mean_x S(e|x). */
export function marginalEntropy(scores: Tensor): Tensor {
  const p = asTokens(scores, 'marginalEntropy').mean(0);
  return p.mul(p.add(MI_EPS).log()).sum().neg();
}

/** L_MI = −H(e) + mean_x H(e|x), a scalar. `logits` (same shape) selects the log-softmax form. */
export function miLoss(scores: Tensor, opts: { logits?: Tensor } = {}): Tensor {
  const { logits } = opts;
  if (logits && !sameShape(logits.shape, scores.shape)) {
    throw new Error(`miLoss: logits ${fmt(logits.shape)} and scores ${fmt(scores.shape)} must have the same shape`);
  }
  if (scores.size === 0) throw new Error(`miLoss: no tokens in scores ${fmt(scores.shape)}`);
  return conditionalEntropy(scores, logits).sub(marginalEntropy(scores));
}
