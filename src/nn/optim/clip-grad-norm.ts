/**
 * Gradient clipping by global norm (Pascanu et al., 2013): if the norm of
 * all gradients together, ‖g‖ = √(Σ_p Σ g_p²), exceeds maxNorm, every
 * gradient is scaled by maxNorm/‖g‖, keeping its direction. As in PyTorch
 * the factor is min(1, maxNorm/(‖g‖ + 1e-6)), computed on the device: the
 * clipping is recorded lazily, with no readback in the training step.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/create.js';
import { noGrad } from '../../tensor/grad-mode.js';

/** Clips the gradients of `params` in place (p.grad is replaced) and returns the norm before clipping. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`clipGradNorm: maxNorm must be a positive finite number, got ${maxNorm}`);
  const withGrad = params.filter((p) => p.grad !== null);
  return noGrad(() => {
    if (withGrad.length === 0) return zeros([]);
    const sq = withGrad.map((p) => p.grad!.square().sum()).reduce((a, b) => a.add(b));
    const norm = sq.sqrt();
    const scale = norm.add(1e-6).reciprocal().mul(maxNorm).minimum(1);
    for (const p of withGrad) p.grad = p.grad!.mul(scale);
    return norm;
  });
}
