/**
 * The usual weight-decay split (GPT-2, nanoGPT, LLaMA training): decay the
 * matrices (projections, embeddings), not the vectors (biases, norm gains).
 * Decay pulls weights toward 0; for a matrix that limits its scale, but for
 * a norm gain or a bias 0 is not a sensible prior, so they are left free.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { ParamGroup } from './optimizer.js';

/** Two groups: tensors of rank ≥ 2 with `weightDecay`, the rest with 0 (empty groups dropped). */
export function decayGroups(params: readonly Tensor[], weightDecay: number): ParamGroup[] {
  const decay = params.filter((p) => p.rank >= 2);
  const free = params.filter((p) => p.rank < 2);
  const groups: ParamGroup[] = [];
  if (decay.length) groups.push({ params: decay, weightDecay });
  if (free.length) groups.push({ params: free, weightDecay: 0 });
  return groups;
}
